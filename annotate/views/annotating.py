from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from annotate.selectors import projects_for_user


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    return render(request, "annotate/project_list.html", {"memberships": projects_for_user(user=request.user)})


urlpatterns = [
    path("", project_list, name="project_list"),
]
