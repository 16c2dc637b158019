from django.contrib import admin, messages
from django.contrib.auth import views as auth_views
from django.db import connection
from django.forms import Form
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path, reverse_lazy
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.auth import ThrottledAuthenticationForm


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for the load balancer and docker-compose: the app answers and the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Everyone changes their own password (the admin only sets a first one): back to My projects
    with a word that it worked. The session stays logged in; others of the same user end."""

    template_name = "registration/own_password_change.html"
    success_url = reverse_lazy("annotate:project_list")

    def form_valid(self, form: Form) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password was changed.")
        return response


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/", auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm), name="login"
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", PasswordChangeView.as_view(), name="password_change"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/", include("annotate.api_urls")),
    path("api/", include(("analytics.api_urls", "analytics_api"))),
    path("api/", include(("exporter.api_urls", "exporter_api"))),
    path("", include("analytics.urls")),
    path("", include("exporter.urls")),
    path("", include("annotate.urls")),
]
