from annotate.apis import annotating, imports

app_name = "api"

urlpatterns = [*annotating.urlpatterns, *imports.urlpatterns]
