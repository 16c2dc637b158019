from annotate.views import annotating, gold, imports

app_name = "annotate"

urlpatterns = [*annotating.urlpatterns, *imports.urlpatterns, *gold.urlpatterns]
