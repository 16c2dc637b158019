from annotate.views import annotating, imports

app_name = "annotate"

urlpatterns = [*annotating.urlpatterns, *imports.urlpatterns]
