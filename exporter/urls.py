from exporter import views

app_name = "exporter"

urlpatterns = [*views.urlpatterns]
