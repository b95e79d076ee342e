"""URLs: the pages of each app, the admin, and one API router gathered from each app's api.routes."""

from importlib import import_module

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from fits import account_views
from fits import api as core_api
from fits import views as core_views
from fits.safeguarding_views import SafeguardingLeadsView
from fits.schema import SchemaView


def build_router() -> DefaultRouter:
    """One router for /api/: the core's routes, then every app's `api.routes`."""
    router = DefaultRouter()
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.api")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.api":
                raise
            continue
        for prefix, viewset, basename in getattr(module, "routes", []):
            router.register(prefix, viewset, basename=basename)
    return router


api_patterns = [
    path("auth/token/", core_api.TokenView.as_view(), name="token"),
    path("me/", core_api.MeView.as_view(), name="me"),
    path("schema/", SchemaView.as_view(), name="schema"),
    # Swagger UI keeps the site's strict Content-Security-Policy: its inline style and script carry the nonce.
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api:schema", template_name="fits/swagger_ui.html"),
        name="docs",
    ),
    # ReDoc (styled-components) writes <style> elements without a nonce and searches in a blob: worker: its page
    # alone allows inline styles and that worker.
    path(
        "redoc/",
        csp_replace({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="api:schema", template_name="fits/redoc.html")
        ),
        name="redoc",
    ),
    *build_router().urls,
]

# The admin signs in through /accounts/login/ (lockout, two-factor), never its own form; set before admin.site.urls.
admin.site.login = account_views.admin_login

urlpatterns = [
    path("", include("servicedesk.urls")),
    path("incidents/", include("incidents.urls")),
    path("problems/", include("problems.urls")),
    path("service-levels/", include("servicelevels.urls")),
    path("changes/", include("changes.urls")),
    path("releases/", include("releases.urls")),
    path("availability/", include("availability.urls")),
    path("om/", include("om.urls")),
    path("om/sysadmin/", include("om.sysadmin.urls")),
    path("om/security/", include("om.security.urls")),
    path("om/patches/", include("om.patches.urls")),
    path("om/directory/", include("om.directory.urls")),
    path("om/storage/", include("om.storage.urls")),
    path("om/printing/", include("om.printing.urls")),
    path("continuity/", include("continuity.urls")),
    path("finance/", include("finance.urls")),
    path("assessment/", include("fits.assessment.urls")),
    path("strategy/", include("fits.strategy.urls")),
    path("cmdb/", include("cmdb.urls")),
    path("inventory/", include("cmdb.inventory.urls")),
    path("notifications/", include("fits.notification_views")),
    path("school/switch/", core_views.switch_school, name="switch_school"),
    path("school/safeguarding/", SafeguardingLeadsView.as_view(), name="safeguarding_leads"),
    path("healthz/", core_views.healthz, name="healthz"),
    path("accounts/login/", account_views.SignInView.as_view(), name="login"),
    path("accounts/two-factor/", account_views.TwoFactorView.as_view(), name="two_factor"),
    path("accounts/two-factor/verify/", account_views.TwoFactorVerifyView.as_view(), name="two_factor_verify"),
    path("accounts/sign-ins/", account_views.SignInRecordView.as_view(), name="sign_ins"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("api/", include((api_patterns, "api"))),
    path("admin/", admin.site.urls),
]

# A path nothing routes answers 404; under /api/ in the API's JSON error format.
handler404 = core_api.page_not_found

admin.site.site_header = "FITS Service Desk administration"
admin.site.site_title = "FITS Service Desk"
