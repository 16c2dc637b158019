from analytics import scorecards, views

app_name = "analytics"

urlpatterns = [*views.urlpatterns, *scorecards.urlpatterns]
