from django.urls import path

from annotate import apis

app_name = "api"

urlpatterns: list = []
