from annotate.views import annotating, gold, imports, members

app_name = "annotate"

urlpatterns = [*annotating.urlpatterns, *imports.urlpatterns, *gold.urlpatterns, *members.urlpatterns]
