from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import time_machine
from django.test import Client

from aftersales.core.auth import issue_token
from aftersales.core.models import Role, User
from tests.factories import T0, CarrierFactory, OrderFactory, ShopFactory, UserFactory


@dataclass
class ApiCaller:
    """A user with a bearer token, calling the API through Django's test client."""

    user: User
    token: str
    client: Client = field(default_factory=Client)

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {
            "HTTP_AUTHORIZATION": f"Bearer {self.token}",
            # Messages are asserted in English; the API answers in the caller's language.
            "HTTP_ACCEPT_LANGUAGE": "en",
            **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()},
        }

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any):
        return self.client.get(f"/api/v1{path}", params, **self._headers(headers))

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None):
        payload = body if isinstance(body, str | bytes) else json.dumps(body or {})
        return self.client.post(
            f"/api/v1{path}", payload, content_type="application/json", **self._headers(headers)
        )

    def act(self, case_no: str, action: str, body: Any = None, **kw: Any):
        return self.post(f"/cases/{case_no}/actions/{action}", body, **kw)


def make_caller(role: str, **extra: Any) -> ApiCaller:
    user = UserFactory(role=role, **extra)
    return ApiCaller(user=user, token=issue_token(user, now=T0))


@dataclass
class Market:
    shop: Any
    other_shop: Any
    carrier: Any
    consumer: ApiCaller
    other_consumer: ApiCaller
    merchant: ApiCaller
    other_merchant: ApiCaller
    agent: ApiCaller
    admin: ApiCaller

    def order(self, **kw: Any):
        kw.setdefault("shop", self.shop)
        kw.setdefault("consumer", self.consumer.user)
        return OrderFactory(**kw)


@pytest.fixture
def market(db) -> Market:
    shop, other_shop = ShopFactory(), ShopFactory()
    return Market(
        shop=shop,
        other_shop=other_shop,
        carrier=CarrierFactory(),
        consumer=make_caller(Role.CONSUMER),
        other_consumer=make_caller(Role.CONSUMER),
        merchant=make_caller(Role.MERCHANT, shop=shop),
        other_merchant=make_caller(Role.MERCHANT, shop=other_shop),
        agent=make_caller(Role.AGENT),
        admin=make_caller(Role.ADMIN),
    )


@pytest.fixture(autouse=True)
def _rate_limits_off(settings):
    """The suite sends hundreds of requests from one address within one frozen minute: the
    rate limits are off here and tested with their own numbers in tests/api/test_rate_limits.py."""
    settings.AFTERSALES_RATE_LIMITS = {}


@pytest.fixture
def travel() -> Iterator[Any]:
    """Travel in time: `travel.to(instant)`, `travel.by(hours=…)`. Starts at T0."""
    with time_machine.travel(T0, tick=False) as traveller:

        class Travel:
            def to(self, instant: dt.datetime) -> None:
                traveller.move_to(instant)

            def by(self, **delta: float) -> None:
                traveller.shift(dt.timedelta(**delta))

        yield Travel()


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need PostgreSQL's row locks; on SQLite they are deselected
    (not skipped): `.ci/run` runs the whole suite again on PostgreSQL."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    selected = [item for item in items if "postgres" not in item.keywords]
    deselected = [item for item in items if "postgres" in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """Tests that commit (`transaction=True`) end with a flush that also deletes the reference
    data the data migrations loaded (rule 1.2's categories, routing rules, SLA targets). Load
    it again before each such test, with the migrations' own functions."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        return
    request.getfixturevalue("transactional_db")
    import importlib

    from django.apps import apps

    for module, function in (
        ("aftersales.catalog.migrations.0002_reference_categories", "load"),
        ("aftersales.tickets.migrations.0002_default_rules", "load"),
        ("aftersales.tickets.migrations.0004_counterfeit_before_quality", "forwards"),
    ):
        getattr(importlib.import_module(module), function)(apps, None)
