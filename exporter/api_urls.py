from exporter import apis

urlpatterns = [*apis.urlpatterns]
