"""The restore drill of docs/deploy.md, run for real: pg_dump the database, pg_restore it into a
fresh one, and `aftersales verify-log` passes on the copy with the same counts as the source.

The test commits for real (`transaction=True`) so that pg_dump, another process, sees the rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection

from aftersales.cases.services import create_case, perform_action
from tests.factories import T0

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TABLES = ("cases_case", "core_event", "ledger_ledgerentry", "deadlines_deadline", "orders_order")
TOOL_TIMEOUT = 60  # seconds for each of pg_dump, pg_restore and verify-log


def conninfo(name: str) -> dict[str, str]:
    db = connection.settings_dict
    return {"host": db["HOST"], "port": str(db["PORT"]), "user": db["USER"], "dbname": name}


def counts(name: str) -> dict[str, int]:
    with psycopg.connect(**conninfo(name), connect_timeout=5) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


@pytest.fixture
def restored_name() -> Iterator[str]:
    name = f"{connection.settings_dict['NAME']}_restored"
    admin = {**conninfo("postgres")}
    with psycopg.connect(**admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')  # fresh: nothing but template1
    yield name
    with psycopg.connect(**admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def verify_log(name: str, data_dir: str) -> subprocess.CompletedProcess:
    info = conninfo(name)
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{info['user']}@{info['host']}:{info['port']}/{name}",
        "AFTERSALES_DATA_DIR": data_dir,
        "DJANGO_SETTINGS_MODULE": "aftersales.settings",
    }
    return subprocess.run(
        [sys.executable, "-m", "aftersales.cli", "verify-log"],
        env=env,
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
    )


def test_a_dump_restored_into_a_fresh_database_verifies_with_the_same_counts(
    market, restored_name, tmp_path
):
    # given cases with events, a refund on the ledger and pending deadlines
    for _ in range(3):
        case = create_case(
            market.consumer.user,
            order_sn=market.order().order_sn,
            type="refund_only",
            reason="quality",
            now=T0,
        )
    perform_action(market.merchant.user, case_no=case.case_no, action="agree", fields_in={}, now=T0)
    source = connection.settings_dict["NAME"]
    before = counts(source)
    assert before["cases_case"] == 3 and before["ledger_ledgerentry"] >= 2

    # when it is dumped (custom format, as docs/deploy.md's nightly job does) and restored
    dump = tmp_path / "aftersales.dump"
    info = conninfo(source)
    target = ["-h", info["host"], "-p", info["port"], "-U", info["user"]]
    subprocess.run(
        ["pg_dump", "-Fc", *target, "-d", source, "-f", str(dump)],
        check=True,
        timeout=TOOL_TIMEOUT,
    )
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", *target, "-d", restored_name, str(dump)],
        check=True,
        timeout=TOOL_TIMEOUT,
    )

    # then the copy has the same rows and its event chains verify
    assert counts(restored_name) == before
    done = verify_log(restored_name, str(tmp_path / "data"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().startswith("ok")

    # and verify-log really read the copy: a tampered event there is caught
    with psycopg.connect(**conninfo(restored_name), autocommit=True) as conn:
        conn.execute(
            "UPDATE core_event SET data = jsonb_set(data, '{amount_fen}', '1') "
            "WHERE id = (SELECT min(id) FROM core_event)"
        )
    tampered = verify_log(restored_name, str(tmp_path / "data"))
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
