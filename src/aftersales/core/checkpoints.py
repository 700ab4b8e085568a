"""Signed checkpoints: the state of every chain and of the money, anchored outside the database.

Anyone who can write to the database can rewrite a hash chain end to end and fix its head, so
the chain alone proves nothing to a third party. A checkpoint states, for every chain, its
(kind, key, seq, head) and a digest of the row's covered money fields, plus a digest of every
append-only table registered here (the ledger), signs it with an Ed25519 key taken from the
environment, and appends it as one JSON line to a file the database cannot rewrite
(optionally also POSTing it to a witness). `verify-log` then checks the database against the
latest checkpoint (core/checkpoint_audit.py). See docs/tamper-evidence.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import connection, models

from aftersales.core import eventlog

log = logging.getLogger("aftersales.checkpoints")

FORMAT_VERSION = 1
# Ledger rows are digested in buckets of consecutive ids: a checkpoint stays small (one digest
# per bucket) and an alteration is still located to a bucket of 256 entries.
BUCKET_SIZE = 256
WITNESS_TIMEOUT_SECONDS = 5.0
DEFAULT_INTERVAL_SECONDS = 300


class CheckpointKeyError(Exception):
    """The signing key is missing or malformed."""


# ---------------------------------------------------------------- append-only tables


@dataclass(frozen=True)
class CoveredTable:
    """An append-only table whose rows (by id) must never change once checkpointed."""

    name: str
    model: type[models.Model]
    fields: tuple[str, ...]


_tables: dict[str, CoveredTable] = {}


def register_table(name: str, model: type[models.Model], fields: Iterable[str]) -> None:
    _tables[name] = CoveredTable(name, model, tuple(fields))


def covered_tables() -> list[CoveredTable]:
    return sorted(_tables.values(), key=lambda t: t.name)


# ---------------------------------------------------------------- digests


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return eventlog.canonical_time(value)
    return value


def canonical(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    ).encode()


def covered_digest(values: tuple[Any, ...]) -> str:
    return hashlib.sha256(canonical([_plain(v) for v in values])).hexdigest() if values else ""


def leaf_hash(data: bytes) -> bytes:
    # Domain-separated leaves and nodes (RFC 6962): a node can never pass for a leaf.
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves: list[bytes]) -> str:
    """Root over leaf hashes; an odd node is carried up unchanged."""
    level = leaves or [hashlib.sha256(b"").digest()]
    while len(level) > 1:
        level = [
            _node(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
    return level[0].hex()


def merkle_path(leaves: list[bytes], index: int) -> list[tuple[str, str]]:
    """The sibling hashes ("L" or "R", hex) that lead from leaf `index` to the root."""
    path: list[tuple[str, str]] = []
    level = leaves
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(("L" if sibling < index else "R", level[sibling].hex()))
        level = [
            _node(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
        index //= 2
    return path


def root_from_path(leaf: bytes, path: list[tuple[str, str]]) -> str:
    """What a third party computes from one leaf and its path; compare with a signed root."""
    node = leaf
    for side, sibling in path:
        node = (
            _node(bytes.fromhex(sibling), node)
            if side == "L"
            else _node(node, bytes.fromhex(sibling))
        )
    return node.hex()


def chain_leaf(entry: list[Any]) -> bytes:
    """The leaf of one chain entry [kind, key, seq, head, covered digest]."""
    return leaf_hash(canonical(entry))


def table_buckets(
    table: CoveredTable, *, max_id: int | None = None, bucket_size: int = BUCKET_SIZE
) -> dict[str, list[Any]]:
    """{bucket: [row count, digest]} over the table's rows (up to `max_id`)."""
    rows = table.model._default_manager.order_by("pk").values_list("pk", *table.fields)
    if max_id is not None:
        rows = rows.filter(pk__lte=max_id)
    hashers: dict[int, Any] = {}
    counts: dict[int, int] = {}
    for row in rows.iterator(chunk_size=2000):
        bucket = row[0] // bucket_size
        hasher = hashers.setdefault(bucket, hashlib.sha256())
        hasher.update(leaf_hash(canonical([_plain(v) for v in row])))
        counts[bucket] = counts.get(bucket, 0) + 1
    return {str(b): [counts[b], hashers[b].hexdigest()] for b in sorted(hashers)}


# ---------------------------------------------------------------- keys


def _private_key() -> Ed25519PrivateKey:
    raw = os.environ.get("AFTERSALES_CHECKPOINT_KEY", "").strip()
    if not raw:
        raise CheckpointKeyError(
            "AFTERSALES_CHECKPOINT_KEY is not set; create one with "
            "`aftersales checkpoint --generate-key`"
        )
    try:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(raw))
    except ValueError as error:
        raise CheckpointKeyError(
            "AFTERSALES_CHECKPOINT_KEY must be 64 hex digits (an Ed25519 private key)"
        ) from error


def public_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def generate_key() -> tuple[str, str]:
    """A new (private, public) key pair, both hex."""
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()).hex()
    return private, public_hex(key)


def trusted_public_keys() -> dict[str, Ed25519PublicKey]:
    """The keys a checkpoint may be signed with: the current signing key's public half and
    every key in AFTERSALES_CHECKPOINT_TRUSTED_KEYS (earlier keys kept after a rotation, or the
    only keys a verifier who cannot sign holds). A malformed entry is skipped and logged."""
    found: list[str] = []
    if os.environ.get("AFTERSALES_CHECKPOINT_KEY", "").strip():
        found.append(public_hex(_private_key()))
    found += os.environ.get("AFTERSALES_CHECKPOINT_TRUSTED_KEYS", "").replace(",", " ").split()
    trusted: dict[str, Ed25519PublicKey] = {}
    for hex_key in found:
        try:
            trusted[hex_key.lower()] = Ed25519PublicKey.from_public_bytes(bytes.fromhex(hex_key))
        except ValueError:
            log.error("ignoring malformed trusted checkpoint key %r", hex_key[:80])
    return trusted


# ---------------------------------------------------------------- making and writing


def database_name() -> str:
    """Which database a checkpoint describes: verify-log only compares a database with its
    own checkpoints (a restored copy is checked with `verify-log --as-database`)."""
    return str(connection.settings_dict["NAME"])


def checkpoint_path() -> Path:
    return Path(settings.DATA_DIR) / "checkpoints.jsonl"


def snapshot(now: dt.datetime) -> dict[str, Any]:
    """The unsigned body of a checkpoint of the current database state."""
    chains: list[list[Any]] = [
        [h.kind, h.key, h.seq, h.head, covered_digest(h.covered)] for h in eventlog.heads()
    ]
    chains_root = merkle_root([chain_leaf(entry) for entry in chains])
    tables: dict[str, Any] = {}
    for table in covered_tables():
        buckets = table_buckets(table)
        max_id = table.model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0
        tables[table.name] = {
            "fields": list(table.fields),
            "max_id": max_id,
            "rows": sum(count for count, _digest in buckets.values()),
            "bucket_size": BUCKET_SIZE,
            "buckets": buckets,
            "root": merkle_root([bytes.fromhex(d) for _c, d in buckets.values()]),
        }
    covered = {spec.kind: list(spec.covered_fields) for spec in eventlog.chained_models()}
    return {
        "v": FORMAT_VERSION,
        "at": eventlog.canonical_time(now),
        "database": database_name(),
        "covered_fields": covered,
        "chains": chains,
        "chains_root": chains_root,
        "tables": tables,
        "root": hashlib.sha256(
            canonical([chains_root, {name: t["root"] for name, t in tables.items()}])
        ).hexdigest(),
    }


def sign(body: dict[str, Any]) -> dict[str, Any]:
    key = _private_key()
    body = {**body, "public_key": public_hex(key)}
    return {"body": body, "sig": key.sign(canonical(body)).hex()}


def append_line(path: Path, record: dict[str, Any]) -> None:
    """Append one line with a single write to a file opened O_APPEND, then fsync: writers
    never overwrite each other and a crash leaves whole lines (a torn last line is reported
    by verify-log, not silently taken)."""
    data = canonical(record) + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        written = os.write(fd, data)
        if written != len(data):
            raise OSError(f"short write to {path}: {written} of {len(data)} bytes")
        os.fsync(fd)
    finally:
        os.close(fd)


def send_to_witness(record: dict[str, Any], url: str) -> bool:
    """POST the signed line to a witness. A failure is logged, never raised: the local file
    is the record and the witness a second copy."""
    if not url.startswith(("https://", "http://")):
        log.error("checkpoint witness URL must be http(s): %r", url[:200])
        return False
    request = urllib.request.Request(
        url, data=canonical(record), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=WITNESS_TIMEOUT_SECONDS) as response:
            ok = 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError) as error:
        log.warning("checkpoint witness %s failed: %s", url[:200], error)
        return False
    if not ok:
        log.warning("checkpoint witness %s answered %s", url[:200], response.status)
    return ok


def write_checkpoint(now: dt.datetime, *, path: Path | None = None) -> dict[str, Any]:
    """Make, sign and append a checkpoint (and send it to the witness if one is set)."""
    record = sign(snapshot(now))
    append_line(path or checkpoint_path(), record)
    witness = os.environ.get("AFTERSALES_CHECKPOINT_WITNESS_URL", "").strip()
    if witness:
        send_to_witness(record, witness)
    return record


def _interval_seconds() -> int:
    raw = os.environ.get("AFTERSALES_CHECKPOINT_INTERVAL_SECONDS", "")
    try:
        return max(1, int(raw)) if raw.strip() else DEFAULT_INTERVAL_SECONDS
    except ValueError:
        log.error("AFTERSALES_CHECKPOINT_INTERVAL_SECONDS=%r is not a number", raw[:40])
        return DEFAULT_INTERVAL_SECONDS


_last_run: dt.datetime | None = None
_last_root: str | None = None


def periodic_job(now: dt.datetime) -> None:
    """The worker loop calls this after every sweep: a checkpoint every
    AFTERSALES_CHECKPOINT_INTERVAL_SECONDS (default 300) when a key is set and something
    changed since this worker's last one."""
    global _last_run, _last_root
    if not os.environ.get("AFTERSALES_CHECKPOINT_KEY", "").strip():
        return
    interval = dt.timedelta(seconds=_interval_seconds())
    if _last_run is not None and now - _last_run < interval:
        return
    _last_run = now
    body = snapshot(now)
    if body["root"] == _last_root:
        return
    try:
        record = sign(body)
        append_line(checkpoint_path(), record)
    except (CheckpointKeyError, OSError):
        log.exception("checkpoint not written")
        return
    _last_root = body["root"]
    witness = os.environ.get("AFTERSALES_CHECKPOINT_WITNESS_URL", "").strip()
    if witness:
        send_to_witness(record, witness)
