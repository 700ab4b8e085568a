"""Signed checkpoints: with one in place, `verify-log` catches every single tamper of the
event chains, the case rows' money fields and the ledger, and reports every broken chain."""

from __future__ import annotations

import datetime as dt
import http.server
import io
import json
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from aftersales.cases.models import Case
from aftersales.core import checkpoints, clock
from aftersales.core.eventlog import GENESIS, compute_hash
from aftersales.core.models import Event
from aftersales.ledger.models import LedgerEntry


def _verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_log", stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def signing_key(monkeypatch, settings, tmp_path) -> str:
    private, public = checkpoints.generate_key()
    monkeypatch.setenv("AFTERSALES_CHECKPOINT_KEY", private)
    monkeypatch.delenv("AFTERSALES_CHECKPOINT_TRUSTED_KEYS", raising=False)
    monkeypatch.delenv("AFTERSALES_CHECKPOINT_WITNESS_URL", raising=False)
    settings.DATA_DIR = tmp_path
    return public


@pytest.fixture
def signed(market, travel, signing_key):
    """Three cases of three events each and one refunded case (two ledger entries), then a
    checkpoint of it all."""
    cases = []
    for _ in range(3):
        order = market.order()
        case = market.consumer.post(
            "/cases", {"order_sn": order.order_sn, "type": "return_refund", "reason": "damaged"}
        ).json()
        market.merchant.act(case["case_no"], "agree")
        market.consumer.act(
            case["case_no"], "ship_return", {"carrier": "sf", "tracking_no": "SF1234567"}
        )
        cases.append(case["case_no"])
    refund = market.consumer.post(
        "/cases",
        {"order_sn": market.order().order_sn, "type": "refund_only", "reason": "damaged"},
    ).json()["case_no"]
    assert market.merchant.act(refund, "agree").status_code == 200
    assert Case.objects.get(case_no=refund).refunded_fen > 0
    assert LedgerEntry.objects.filter(case__case_no=refund).count() == 2
    out = io.StringIO()
    call_command("checkpoint", stdout=out)
    assert "appended to" in out.getvalue()
    return {"cases": cases, "refund": refund}


def _events(case_no: str) -> int:
    return Event.objects.filter(subject_key=case_no).count()


def test_the_untouched_database_verifies_against_its_checkpoint(signed):
    code, out, err = _verify()
    assert code == 0, err
    assert out == f"ok {9 + _events(signed['refund'])} events\n"
    assert err.startswith("checked against the checkpoint of ")


def test_a_checkpoint_is_one_signed_line_appended(signed, signing_key, settings):
    # When a second checkpoint is taken
    call_command("checkpoint", stdout=io.StringIO())
    lines = (Path(settings.DATA_DIR) / "checkpoints.jsonl").read_text().splitlines()
    # Then the file holds two lines, each naming every chain and the ledger
    assert len(lines) == 2
    body = json.loads(lines[-1])["body"]
    assert body["public_key"] == signing_key
    assert {entry[1] for entry in body["chains"]} >= {*signed["cases"], signed["refund"]}
    assert body["tables"]["ledger"]["rows"] == LedgerEntry.objects.count()


def test_a_step_is_provable_to_a_third_party_with_the_public_key_and_a_merkle_path(
    signed, signing_key, settings
):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    record = json.loads((Path(settings.DATA_DIR) / "checkpoints.jsonl").read_text())
    body = record["body"]
    # The third party checks the signature with the public key only
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(signing_key)).verify(
        bytes.fromhex(record["sig"]), checkpoints.canonical(body)
    )
    # and recomputes the case's chain from its events up to the signed head
    case_no = signed["cases"][0]
    entry = next(e for e in body["chains"] if e[1] == case_no)
    prev = GENESIS
    for event in Event.objects.filter(subject_key=case_no).order_by("seq"):
        prev = compute_hash(
            prev,
            kind="case",
            key=case_no,
            seq=event.seq,
            at=event.at,
            actor=event.actor,
            action=event.action,
            data=event.data,
        )
    assert prev == entry[3]
    # and finds that entry under the signed root with a Merkle path, without the other chains
    leaves = [checkpoints.chain_leaf(e) for e in body["chains"]]
    index = body["chains"].index(entry)
    path = checkpoints.merkle_path(leaves, index)
    assert checkpoints.root_from_path(checkpoints.chain_leaf(entry), path) == body["chains_root"]


# ---------------------------------------------------------------- the eleven single tampers


def test_1_altered_event_data(signed):
    event = Event.objects.get(subject_key=signed["cases"][1], seq=2)
    Event.objects.filter(id=event.id).update(data={**event.data, "return_address": "别处"})
    code, _, err = _verify()
    assert code == 1
    assert err.splitlines()[0] == (
        f"altered: case:{signed['cases'][1]} seq 2 (event {event.id}): content altered"
    )


def test_2_altered_event_hash(signed):
    event = Event.objects.get(subject_key=signed["cases"][0], seq=3)
    Event.objects.filter(id=event.id).update(hash="f" * 64)
    code, _, err = _verify()
    assert code == 1
    assert f"case:{signed['cases'][0]} seq 3 (event {event.id}): content altered" in err


def test_3_deleted_event(signed):
    Event.objects.filter(subject_key=signed["cases"][2], seq=2).delete()
    code, _, err = _verify()
    third = Event.objects.get(subject_key=signed["cases"][2], seq=3)
    assert code == 1
    assert f"(event {third.id}): events missing before this one" in err


def test_4_reordered_events(signed):
    case_no = signed["cases"][1]
    first = Event.objects.get(subject_key=case_no, seq=2)
    second = Event.objects.get(subject_key=case_no, seq=3)
    Event.objects.filter(id=first.id).update(seq=99)
    Event.objects.filter(id=second.id).update(seq=2)
    Event.objects.filter(id=first.id).update(seq=3)
    code, _, err = _verify()
    assert code == 1
    assert f"case:{case_no} seq 2 (event {second.id}): previous hash does not match" in err


def _rehash_chain(case_no: str) -> None:
    """What a forger with database access does: recompute every hash and the head."""
    prev = GENESIS
    for event in Event.objects.filter(subject_key=case_no).order_by("seq"):
        event.prev_hash = prev
        event.hash = compute_hash(
            prev,
            kind="case",
            key=case_no,
            seq=event.seq,
            at=event.at,
            actor=event.actor,
            action=event.action,
            data=event.data,
        )
        event.save(update_fields=["prev_hash", "hash"])
        prev = event.hash
    count = Event.objects.filter(subject_key=case_no).count()
    Case.objects.filter(case_no=case_no).update(event_seq=count, event_head=prev)


def test_5_whole_chain_recomputed_after_altering(signed):
    # Given an event altered and the chain and its head recomputed: consistent in itself
    case_no = signed["cases"][0]
    event = Event.objects.get(subject_key=case_no, seq=2)
    Event.objects.filter(id=event.id).update(data={**event.data, "return_address": "伪造地址"})
    _rehash_chain(case_no)
    # Then only the signed checkpoint tells: the head at seq 3 is not the signed one
    code, _, err = _verify()
    last = Event.objects.get(subject_key=case_no, seq=3)
    assert code == 1
    assert (
        f"case:{case_no} seq 3 (event {last.id}): differs from the signed checkpoint "
        "(chain rewritten)"
    ) in err


def test_6_tail_truncated_and_head_fixed(signed):
    case_no = signed["cases"][2]
    Event.objects.filter(subject_key=case_no, seq=3).delete()
    second = Event.objects.get(subject_key=case_no, seq=2)
    Case.objects.filter(case_no=case_no).update(event_seq=2, event_head=second.hash)
    code, _, err = _verify()
    assert code == 1
    assert (
        f"case:{case_no} seq 2 (chain head): truncated: chain ends at seq 2 but the "
        "checkpoint signed seq 3"
    ) in err


def test_7_case_row_deleted(signed):
    case_no = signed["cases"][1]
    Case.objects.filter(case_no=case_no).delete()
    code, _, err = _verify()
    assert code == 1
    assert f"case:{case_no}: subject deleted" in err
    # one line for the chain, not a second one for its orphaned events
    assert err.count(case_no) == 1


def test_8_ledger_amount_altered(signed):
    entry = LedgerEntry.objects.filter(case__case_no=signed["refund"]).order_by("id").first()
    LedgerEntry.objects.filter(id=entry.id).update(amount_fen=entry.amount_fen - 1)
    code, _, err = _verify()
    bucket = entry.id // checkpoints.BUCKET_SIZE * checkpoints.BUCKET_SIZE
    assert code == 1
    assert f"ledger entries id {bucket}-{bucket + checkpoints.BUCKET_SIZE - 1}: altered" in err


def test_9_ledger_entry_deleted(signed):
    entry = LedgerEntry.objects.filter(case__case_no=signed["refund"]).order_by("id").first()
    LedgerEntry.objects.filter(id=entry.id).delete()
    code, _, err = _verify()
    assert code == 1
    assert "1 of " in err and "signed entries deleted" in err


def test_10_case_refunded_fen_altered(signed):
    case = Case.objects.get(case_no=signed["refund"])
    Case.objects.filter(id=case.id).update(refunded_fen=case.refunded_fen - 100)
    code, _, err = _verify()
    assert code == 1
    assert f"case:{case.case_no} seq {case.event_seq} (chain head): amount_fen, refunded_fen" in err


def test_11_forged_checkpoint_line(signed, settings):
    # Given a chain rewritten and a checkpoint of the forgery signed with the forger's own key
    case_no = signed["cases"][0]
    event = Event.objects.get(subject_key=case_no, seq=2)
    Event.objects.filter(id=event.id).update(data={**event.data, "return_address": "伪造地址"})
    _rehash_chain(case_no)
    forger_key, _ = checkpoints.generate_key()
    body = checkpoints.snapshot(clock.now())
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(forger_key))
    body["public_key"] = checkpoints.public_hex(key)
    checkpoints.append_line(
        Path(settings.DATA_DIR) / "checkpoints.jsonl",
        {"body": body, "sig": key.sign(checkpoints.canonical(body)).hex()},
    )
    # And a line that claims the trusted key but whose signature is copied from another body
    genuine = json.loads(
        (Path(settings.DATA_DIR) / "checkpoints.jsonl").read_text().splitlines()[0]
    )
    tampered = {**genuine, "body": {**genuine["body"], "at": "2030-01-01T00:00:00.000000+00:00"}}
    checkpoints.append_line(Path(settings.DATA_DIR) / "checkpoints.jsonl", tampered)
    # Then both lines are reported and the chain is still checked against the genuine line
    code, _, err = _verify()
    assert code == 1
    assert "checkpoint line 2 (" in err and "signed by untrusted key" in err
    assert "checkpoint line 3 (2030-01-01T00:00:00.000000+00:00): signature does not verify" in err
    assert f"case:{case_no} seq 3" in err and "differs from the signed checkpoint" in err


# ---------------------------------------------------------------- reporting


def test_every_broken_chain_is_reported_on_its_own_line(signed):
    first, second = signed["cases"][0], signed["cases"][2]
    Event.objects.filter(subject_key=first, seq=1).update(actor="someone_else")
    Event.objects.filter(subject_key=second, seq=2).update(actor="someone_else")
    code, _, err = _verify()
    altered = [line for line in err.splitlines() if line.startswith("altered: ")]
    assert code == 1
    assert len(altered) == 2
    assert altered[0].startswith(f"altered: case:{first} seq 1 ")
    assert altered[1].startswith(f"altered: case:{second} seq 2 ")
    assert err.splitlines()[-1] == "2 problem(s)"


def test_without_a_checkpoint_the_chains_are_still_verified(market, travel, signing_key):
    order = market.order()
    market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": "return_refund", "reason": "damaged"}
    )
    code, out, err = _verify()
    assert code == 0
    assert err.startswith("no checkpoint found")
    assert out == "ok 1 events\n"


def test_checkpoint_refuses_without_a_key(db, monkeypatch, settings, tmp_path):
    from django.core.management.base import CommandError

    monkeypatch.delenv("AFTERSALES_CHECKPOINT_KEY", raising=False)
    settings.DATA_DIR = tmp_path
    with pytest.raises(CommandError, match="AFTERSALES_CHECKPOINT_KEY is not set"):
        call_command("checkpoint", stdout=io.StringIO())
    assert not (tmp_path / "checkpoints.jsonl").exists()


def test_legitimate_steps_after_a_checkpoint_still_verify(signed, market):
    # Given a case that moves on after the checkpoint (its money may change with an event)
    assert market.merchant.act(signed["cases"][0], "confirm_return").status_code == 200
    code, _, err = _verify()
    assert code == 0, err


# ---------------------------------------------------------------- the worker and the witness


def test_the_worker_job_checkpoints_once_per_interval_and_only_on_change(
    signed, market, settings, monkeypatch
):
    monkeypatch.setattr(checkpoints, "_last_run", None)
    monkeypatch.setattr(checkpoints, "_last_root", None)
    path = Path(settings.DATA_DIR) / "checkpoints.jsonl"
    now = clock.now()
    checkpoints.periodic_job(now)
    assert len(path.read_text().splitlines()) == 2
    # Within the interval nothing is written; after it, nothing either while nothing changed
    checkpoints.periodic_job(now + dt.timedelta(seconds=10))
    checkpoints.periodic_job(now + dt.timedelta(seconds=checkpoints.DEFAULT_INTERVAL_SECONDS))
    assert len(path.read_text().splitlines()) == 2
    # A step later, the next interval writes one
    assert market.merchant.act(signed["cases"][0], "confirm_return").status_code == 200
    checkpoints.periodic_job(now + dt.timedelta(seconds=2 * checkpoints.DEFAULT_INTERVAL_SECONDS))
    assert len(path.read_text().splitlines()) == 3
    assert _verify()[0] == 0


def test_the_job_is_registered_with_the_worker_loop():
    from aftersales.deadlines import sweeper

    assert checkpoints.periodic_job in sweeper._jobs


class _Witness(http.server.BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        if self.path == "/hang":
            time.sleep(3)
        _Witness.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def witness():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Witness)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Witness.received = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_witness_receives_the_signed_line(signed, witness, monkeypatch):
    monkeypatch.setenv("AFTERSALES_CHECKPOINT_WITNESS_URL", f"{witness}/checkpoints")
    record = checkpoints.write_checkpoint(clock.now())
    assert [json.loads(body) for body in _Witness.received] == [record]


def test_a_hanging_or_absent_witness_is_logged_not_fatal(signed, witness, monkeypatch, caplog):
    monkeypatch.setattr(checkpoints, "WITNESS_TIMEOUT_SECONDS", 0.5)
    started = time.monotonic()
    assert checkpoints.send_to_witness({"body": {}}, f"{witness}/hang") is False
    assert time.monotonic() - started < 2
    assert checkpoints.send_to_witness({"body": {}}, "http://127.0.0.1:9/nothing") is False
    assert checkpoints.send_to_witness({"body": {}}, "file:///etc/passwd") is False
    assert "checkpoint witness" in caplog.text
