from django.contrib import admin
from django.urls import include, path

from aftersales.cases.api import router as cases_router
from aftersales.catalog.api import router as catalog_router
from aftersales.core.api import api
from aftersales.ledger.api import router as ledger_router
from aftersales.orders.api import router as orders_router

api.add_router("", catalog_router)
api.add_router("", orders_router)
api.add_router("", cases_router)
api.add_router("", ledger_router)


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("aftersales.web.urls")),
]
