from analytics import views

app_name = "analytics"

urlpatterns = [*views.urlpatterns]
