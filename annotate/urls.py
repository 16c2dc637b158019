from annotate.views import annotating, gold, imports, members, project_settings

app_name = "annotate"

urlpatterns = [
    *annotating.urlpatterns,
    *imports.urlpatterns,
    *gold.urlpatterns,
    *members.urlpatterns,
    *project_settings.urlpatterns,
]
