from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.api_paths import is_api_request
from config.auth import PasswordChangeView, ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for the load balancer and docker-compose: the app answers and the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A path under /api/ that no route matches (`/api/assignments/-1/judgment/`) is answered in
    JSON, as the API's own 404s are; an API client cannot read Django's HTML page. (Under DEBUG, as in
    the demo, Django answers with its debug page instead, and ignores these handlers.)"""
    if is_api_request(request):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """As `not_found`, for an error no view handled (DRF answers its own; a middleware's is not)."""
    if is_api_request(request):
        return JsonResponse({"detail": "A server error occurred.", "code": "server_error"}, status=500)
    return defaults.server_error(request)


handler404 = not_found
handler500 = server_error

# The admin's login says why a locked username is refused, as the login page does.
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/", auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm), name="login"
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", PasswordChangeView.as_view(), name="password_change"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: the policy refuses inline scripts.
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="swagger-ui"),
    path("api/", include("annotate.api_urls")),
    path("api/", include(("analytics.api_urls", "analytics_api"))),
    path("api/", include(("exporter.api_urls", "exporter_api"))),
    path("", include("analytics.urls")),
    path("", include("exporter.urls")),
    path("", include("annotate.urls")),
]
