from django.contrib import admin

from analytics.models import BiasReport
from annotate.admin_deletion import CountedDeletion


@admin.register(BiasReport)
class BiasReportAdmin(CountedDeletion, admin.ModelAdmin):
    list_display = ["id", "project", "state", "judgments_seen", "created_at", "computed_at", "duration_ms", "attempts"]
    list_filter = ["state", "project"]
    readonly_fields = [field.name for field in BiasReport._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # reports are asked for on the dashboard, by the API or by beat
