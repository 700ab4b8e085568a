from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import path

from aftersales.cases.api import router as cases_router
from aftersales.catalog.api import router as catalog_router
from aftersales.core.api import api
from aftersales.ledger.api import router as ledger_router
from aftersales.orders.api import router as orders_router

api.add_router("", catalog_router)
api.add_router("", orders_router)
api.add_router("", cases_router)
api.add_router("", ledger_router)


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        "<!doctype html><meta charset=utf-8><title>Aftersales 售后平台</title>"
        "<h1>Aftersales 售后平台</h1><ul>"
        '<li><a href="/api/v1/docs">API 文档 / API docs</a></li>'
        '<li><a href="/api/v1/openapi.json">OpenAPI</a></li>'
        '<li><a href="/admin/">管理后台 / Admin</a></li></ul>'
    )


urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
