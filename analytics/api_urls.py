from analytics import apis

urlpatterns = [*apis.urlpatterns]
