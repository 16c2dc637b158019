from django.urls import path

from annotate.views import annotating

app_name = "annotate"

urlpatterns = [
    path("", annotating.project_list, name="project_list"),
]
