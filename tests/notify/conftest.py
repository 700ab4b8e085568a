from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.notify.test_webhooks import Receiver


@pytest.fixture(autouse=True)
def local_receivers_allowed(settings: Any) -> None:
    # The receivers of these tests listen on 127.0.0.1, which the egress filter refuses
    # unless the allow-list names it (test_egress.py overrides this to test the refusals).
    settings.AFTERSALES_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()
