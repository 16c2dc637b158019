from django.urls import path

from annotate import views

app_name = "annotate"

urlpatterns = [
    path("", views.project_list, name="project_list"),
]
