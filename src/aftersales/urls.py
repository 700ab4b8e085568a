from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _

from aftersales.assistant.api import router as assistant_router
from aftersales.cases.api import router as cases_router
from aftersales.catalog.api import router as catalog_router
from aftersales.core.api import api
from aftersales.ledger.api import router as ledger_router
from aftersales.notify.api import router as notify_router
from aftersales.orders.api import router as orders_router
from aftersales.tickets.api import router as tickets_router

api.add_router("", catalog_router)
api.add_router("", orders_router)
api.add_router("", cases_router)
api.add_router("", ledger_router)
api.add_router("", notify_router)
api.add_router("", tickets_router)
api.add_router("", assistant_router)
api.add_router("", "aftersales.surveys.api.router")


def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    body = {"error": {"code": "not_found", "message": _("Not found."), "field": None}}
    return JsonResponse(body, status=404)


urlpatterns = [
    path("", include("aftersales.ops.urls")),  # /healthz, /readyz, /metrics
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/", api_not_found),  # unknown API paths get the JSON error shape too
    path("i18n/", include("django.conf.urls.i18n")),
    path("surveys/", include("aftersales.surveys.urls")),
    path("", include("aftersales.web.urls")),
]
