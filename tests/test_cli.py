"""The `aftersales` console script as a user runs it: real processes on a fresh SQLite data
directory."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

AFTERSALES = shutil.which("aftersales") or str(Path(sys.executable).parent / "aftersales")


@pytest.fixture
def data_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "XDG_RUNTIME_DIR")}
    env["AFTERSALES_DATA_DIR"] = str(tmp_path / "var")
    # Production mode, whose server needs a real key and a host list (docs/security.md).
    env["AFTERSALES_SECRET_KEY"] = "cli-test-" + "k" * 60
    env["AFTERSALES_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    # A home of its own: the commands write nothing outside the data directory.
    (tmp_path / "home").mkdir()
    env["HOME"] = str(tmp_path / "home")
    return env


def run(env, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [AFTERSALES, *args], env=env, capture_output=True, text=True, timeout=120, check=check
    )


def test_createuser_sweep_and_verify_log_on_a_fresh_data_dir(data_env):
    run(data_env, "migrate", "--verbosity", "0")
    # A bad role is refused with a message and a non-zero exit
    bad = run(data_env, "createuser", "x", "--role", "wizard", check=False)
    assert bad.returncode != 0 and "invalid choice" in bad.stderr
    bad_shop = run(data_env, "createuser", "m", "--role", "merchant", "--shop", "nope", check=False)
    # The platform speaks Chinese first (LANGUAGE_CODE zh-hans).
    assert bad_shop.returncode != 0 and "未知店铺 nope" in bad_shop.stderr
    created = run(data_env, "createuser", "ops", "--role", "admin")
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("as_") and len(token) > 30
    swept = run(data_env, "sweep")
    assert swept.stdout.strip().splitlines()[-1] == "fired 0"
    verified = run(data_env, "verify-log")
    assert verified.stdout.strip().splitlines()[-1] == "ok 0 events"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_keeps_gunicorns_control_socket_in_the_data_directory(tmp_path, monkeypatch):
    # given no runtime directory, where gunicorn would fall back to ~/.gunicorn/
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    from aftersales.web.management.commands.serve import gunicorn_options

    # when serve builds gunicorn's settings
    options = gunicorn_options(host="127.0.0.1", port=8123, workers=1, data_dir=tmp_path)

    # then the control socket lives in the data directory
    assert options["control_socket"] == str(tmp_path / "gunicorn.ctl")
    assert options["bind"] == "127.0.0.1:8123" and options["workers"] == 1


def test_serve_migrates_and_serves_the_api(data_env, tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        [AFTERSALES, "serve", "--port", str(port)],
        env=data_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        # Migrating a fresh PostgreSQL database on a busy 2-core machine can take a while:
        # wait up to two minutes, but stop at once if the server exits.
        give_up = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                pytest.fail(f"the server exited: {server.stdout.read() if server.stdout else ''}")
            try:
                with urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=2) as r:
                    document = json.load(r)
                break
            except OSError:
                if time.monotonic() > give_up:
                    pytest.fail("the server did not answer")
                time.sleep(0.2)
        assert "/api/v1/cases" in document["paths"]
        with urllib.request.urlopen(f"{base}/", timeout=2) as r:
            assert "Aftersales" in r.read().decode()
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in output
    # it says what the deadline worker did on start, in words
    assert "No deadline passed while the server was stopped." in output
    # and it wrote nothing in the home directory
    assert list((tmp_path / "home").rglob("*")) == []
