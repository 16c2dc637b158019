from django.contrib import admin

from annotate.admin_deletion import CountedDeletion
from exporter.models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(CountedDeletion, admin.ModelAdmin):
    list_display = ["id", "project", "format", "state", "created_by", "size", "created_at", "finished_at"]
    # Named: the admin's own join follows only the non-null keys, so each row's creator was a query of its own.
    list_select_related = ["project", "created_by"]
    list_filter = ["state", "format", "project"]
    readonly_fields = [field.name for field in ExportJob._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # exports start from the Exports page or the API
