"""Hardening of the consoles (OWASP ASVS level 2; docs/security.md): sign-in lockout, sessions,
CSP, uploads served so that they cannot run, request ids, and production mode."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings

from aftersales.cases.attachments import file_path
from aftersales.cases.models import Attachment
from aftersales.core.models import User
from aftersales.core.requestlog import JsonFormatter, RequestContextFilter
from tests.web.test_pages import file_repair

PASSWORD = "correct horse battery staple"
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "aftersales" / "web" / "templates"


def sign_in(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(
        "/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # Sign-ins hash a password each; the lockout does not depend on how slowly.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def consumer(db) -> User:
    return User.objects.create_user("shopper", password=PASSWORD, role="consumer")


# --- sign-in lockout (django-axes) ---------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_from_that_address_even_for_the_right_one(
    consumer, travel
):
    client = Client()
    # given five wrong passwords from one address
    for _attempt in range(5):
        assert sign_in(client, "shopper", "wrong").status_code in (200, 429)
    # when the right password follows from that address
    response = sign_in(client, "shopper", PASSWORD)
    # then it is refused with the lockout page, translated, and no session is opened
    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()
    assert int(response["Retry-After"]) == 15 * 60
    assert "_auth_user_id" not in client.session
    zh = client.post(
        "/login/", {"username": "shopper", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert zh.status_code == 429 and "登录已暂停" in zh.content.decode()
    # another address is not locked out by them
    assert sign_in(Client(), "shopper", PASSWORD, address="10.0.0.2").status_code == 302
    # and after the cool-off of 15 minutes the owner gets in again
    travel.by(minutes=16)
    assert sign_in(client, "shopper", PASSWORD).status_code == 302


def test_a_success_before_the_limit_resets_the_count(consumer, travel):
    client = Client()
    for _attempt in range(4):
        sign_in(client, "shopper", "wrong")
    assert sign_in(client, "shopper", PASSWORD).status_code == 302
    assert AccessAttempt.objects.filter(username="shopper").count() == 0


@override_settings(AFTERSALES_RATE_LIMITS={"login": "3/m"})
def test_one_address_trying_many_usernames_is_slowed_down(db, travel):
    client = Client()
    answers = [sign_in(client, f"user{i}", "guess").status_code for i in range(5)]
    assert answers == [200, 200, 200, 429, 429]


# --- sessions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "seconds"), [("agent", 8 * 3600), ("admin", 8 * 3600), ("consumer", 14 * 86400)]
)
def test_staff_sessions_end_after_a_shift_and_consumers_stay_two_weeks(db, role, seconds):
    User.objects.create_user("someone", password=PASSWORD, role=role)
    client = Client()
    assert sign_in(client, "someone", PASSWORD).status_code == 302
    assert client.session.get_expiry_age() == seconds


def test_an_administrator_signed_in_at_the_admin_site_gets_the_staff_session_too(db):
    User.objects.create_user("root", password=PASSWORD, role="admin", is_staff=True)
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 302
    client.get("/admin/")
    assert client.session.get_expiry_age() == 8 * 3600


# --- password validators ---------------------------------------------------------------------


def test_a_short_or_common_new_password_is_refused(consumer):
    client = Client()
    client.force_login(consumer)
    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "demo1234", "new_password2": "demo1234"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    consumer.refresh_from_db()
    assert consumer.check_password(PASSWORD)


# --- demo accounts only in demo mode ---------------------------------------------------------


def test_the_sign_in_page_lists_demo_accounts_only_in_demo_mode(db):
    User.objects.create_user("consumer1", password="demo1234", role="consumer")
    with override_settings(AFTERSALES_DEMO=False):
        page = Client().get("/login/").content.decode()
    assert "consumer1" not in page and "demo1234" not in page
    with override_settings(AFTERSALES_DEMO=True):
        page = Client().get("/login/").content.decode()
    assert "consumer1" in page and "demo1234" in page


# --- CSP and no inline script ----------------------------------------------------------------


def test_pages_carry_a_csp_that_allows_scripts_and_styles_from_the_site_only(db):
    response = Client().get("/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_no_template_has_inline_script_style_or_event_handler():
    offenders = []
    pattern = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|hx-on", re.I)
    for template in TEMPLATES.rglob("*.html"):
        for number, line in enumerate(template.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{template.relative_to(TEMPLATES)}:{number}")
    assert offenders == []


# --- uploads cannot run in the site's origin -------------------------------------------------

GIF_HTML_POLYGLOT = b"GIF89a<html><script>alert(document.cookie)</script></html>"
PDF_WITH_JS = b"%PDF-1.4\n1 0 obj<</OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj"


def _attachment_with(market, content: bytes, content_type: str) -> Attachment:
    case = file_repair(market, market.order())
    attachment = Attachment.objects.get(case=case)
    file_path(attachment).write_bytes(content)
    Attachment.objects.filter(id=attachment.id).update(content_type=content_type)
    return attachment


def _get_file(market, attachment: Attachment):
    client = Client()
    client.force_login(market.consumer.user)
    return client.get(f"/files/{attachment.public_id}/")


def test_a_gif_html_polyglot_is_shown_only_as_an_image_in_a_sandbox(market, travel):
    response = _get_file(market, _attachment_with(market, GIF_HTML_POLYGLOT, "text/html"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_a_pdf_with_javascript_is_a_download_not_a_page(market, travel):
    response = _get_file(market, _attachment_with(market, PDF_WITH_JS, "application/pdf"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert "sandbox" in response["Content-Security-Policy"]


# --- request ids and structured logs ---------------------------------------------------------


def test_every_response_carries_a_request_id_and_keeps_a_plausible_incoming_one(db):
    first, second = Client().get("/login/"), Client().get("/login/")
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert Client().get("/login/", HTTP_X_REQUEST_ID="edge-42")["X-Request-ID"] == "edge-42"
    forged = Client().get("/login/", HTTP_X_REQUEST_ID="x\n" + "y" * 100)
    assert forged["X-Request-ID"] != "x\n" + "y" * 100


@pytest.fixture
def request_log(caplog):
    """The records of aftersales.request, with the request's fields as the console has them."""
    request_filter = RequestContextFilter()
    caplog.handler.addFilter(request_filter)
    with caplog.at_level(logging.INFO, logger="aftersales.request"):
        yield caplog
    caplog.handler.removeFilter(request_filter)


def test_a_server_error_is_logged_with_traceback_and_answered_with_the_request_id(
    consumer, request_log, monkeypatch
):
    from aftersales.web.views import account

    def explode(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(account, "redirect", explode)
    client = Client(raise_request_exception=False)
    client.force_login(consumer)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    request_id = response["X-Request-ID"]
    assert response.status_code == 500
    assert request_id in response.content.decode()
    [record] = [
        r for r in request_log.records if r.name == "aftersales.request" and r.levelno == 40
    ]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == request_id
    assert line["actor"] == "shopper"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/", 500)
    assert "ZeroDivisionError: a bug" in line["traceback"]


def test_the_access_line_is_one_json_object_with_request_id_actor_status_and_duration(
    consumer, request_log
):
    client = Client()
    client.force_login(consumer)
    response = client.get("/my/orders/")
    [record] = [r for r in request_log.records if r.name == "aftersales.request"]
    line = json.loads(JsonFormatter().format(record))
    assert set(line) >= {"time", "level", "logger", "message", "request_id", "actor", "method"}
    assert line["request_id"] == response["X-Request-ID"]
    assert (line["actor"], line["method"], line["path"]) == ("shopper", "GET", "/my/orders/")
    assert line["status"] == response.status_code and line["duration_ms"] >= 0
    dt.datetime.fromisoformat(line["time"])


# --- production mode -------------------------------------------------------------------------

PRODUCTION_KEY = "k" + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_" * 2


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AFTERSALES_")}
    clean.pop("DATABASE_URL", None)
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        env={**clean, "DJANGO_SETTINGS_MODULE": "aftersales.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _wsgi(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AFTERSALES_")}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", "import aftersales.wsgi"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_mode_refuses_to_start_without_a_key_and_hosts(tmp_path):
    refused = _wsgi(AFTERSALES_DATA_DIR=str(tmp_path))
    assert refused.returncode != 0
    assert "AFTERSALES_SECRET_KEY" in refused.stderr
    assert "AFTERSALES_ALLOWED_HOSTS" in refused.stderr
    # with both set it starts (the demo, AFTERSALES_DEMO=1, starts without them)
    started = _wsgi(
        AFTERSALES_DATA_DIR=str(tmp_path),
        AFTERSALES_SECRET_KEY=PRODUCTION_KEY,
        AFTERSALES_ALLOWED_HOSTS="aftersales.example.com",
    )
    assert started.returncode == 0, started.stderr


def test_check_deploy_is_clean_in_production_settings(tmp_path):
    # HSTS, Secure cookies and the https redirect are among what --deploy checks.
    result = _run(
        ["check", "--deploy", "--fail-level", "WARNING"],
        AFTERSALES_DATA_DIR=str(tmp_path),
        AFTERSALES_SECRET_KEY=PRODUCTION_KEY,
        AFTERSALES_ALLOWED_HOSTS="aftersales.example.com",
        AFTERSALES_HTTPS="1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_log_filter_leaves_records_outside_a_request_alone():
    record = logging.LogRecord("aftersales.x", logging.INFO, __file__, 1, "hello", (), None)
    assert RequestContextFilter().filter(record)
    assert json.loads(JsonFormatter().format(record))["message"] == "hello"
    assert "request_id" not in json.loads(JsonFormatter().format(record))


def test_an_api_server_error_answers_json_with_the_request_id(market, request_log, monkeypatch):
    from aftersales.cases import queries

    def explode(*args, **kwargs):
        raise ZeroDivisionError("a bug in the list")

    monkeypatch.setattr(queries, "list_cases", explode)
    market.consumer.client.raise_request_exception = False
    response = market.consumer.get("/cases")
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "server_error" and error["field"] is None
    assert error["request_id"] == response["X-Request-ID"]
    assert response["X-Request-ID"] in error["message"]
    [record] = [
        r for r in request_log.records if r.name == "aftersales.request" and r.levelno == 40
    ]
    assert record.request_id == response["X-Request-ID"]
    assert record.actor == market.consumer.user.username
