"""Reading checkpoints back and comparing the database with the latest one (`verify-log`).

Every line of the checkpoint file for this database must carry a valid signature by a trusted
key; the latest valid one is the reference. Chains are checked against it in the chain walk
(eventlog.verify_chain's anchor); what is outside the events (a case's money fields, the
ledger's rows) is compared here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature

from aftersales.core import checkpoints, eventlog


@dataclass
class Reference:
    """What the checkpoint file says about one database."""

    found_file: bool = False
    body: dict[str, Any] | None = None
    line_no: int | None = None
    lines_for_other_databases: int = 0
    problems: list[str] = field(default_factory=list)
    _signed: dict[tuple[str, str], list[Any]] | None = field(default=None, repr=False)

    @property
    def at(self) -> str:
        return str(self.body["at"]) if self.body else ""

    def anchors(self) -> dict[tuple[str, str], tuple[int, str]]:
        if not self.body:
            return {}
        return {(kind, key): (seq, head) for kind, key, seq, head, _c in self.body["chains"]}

    def signed_chains(self) -> dict[tuple[str, str], list[Any]]:
        """(kind, key) -> signed entry; built once, every chain looks itself up in it."""
        if not self.body:
            return {}
        if self._signed is None:
            self._signed = {(entry[0], entry[1]): entry for entry in self.body["chains"]}
        return self._signed


def read_reference(path: Path, database: str) -> Reference:
    """The latest validly signed checkpoint of `database` in `path`, and every line that is
    not one (unparsable, untrusted key, bad signature)."""
    ref = Reference(found_file=path.exists())
    if not ref.found_file:
        return ref
    trusted = checkpoints.trusted_public_keys()
    if not trusted:
        ref.problems.append(
            f"checkpoints in {path} cannot be checked: no trusted key "
            "(set AFTERSALES_CHECKPOINT_KEY or AFTERSALES_CHECKPOINT_TRUSTED_KEYS)"
        )
        return ref
    with path.open("rb") as lines:
        for line_no, raw in enumerate(lines, 1):
            try:
                record = json.loads(raw)
                body, signature = record["body"], bytes.fromhex(record["sig"])
                database_of_line = body["database"]
                public_key = str(body["public_key"]).lower()
            except (ValueError, KeyError, TypeError):
                ref.problems.append(f"checkpoint line {line_no}: not a signed checkpoint")
                continue
            if database_of_line != database:
                ref.lines_for_other_databases += 1
                continue
            where = f"checkpoint line {line_no} ({body.get('at', '?')})"
            key = trusted.get(public_key)
            if key is None:
                ref.problems.append(f"{where}: signed by untrusted key {public_key[:16]}")
                continue
            try:
                key.verify(signature, checkpoints.canonical(body))
            except InvalidSignature:
                ref.problems.append(f"{where}: signature does not verify")
                continue
            ref.body, ref.line_no, ref._signed = body, line_no, None
    return ref


def covered_problem(ref: Reference, head: eventlog.ChainHead) -> str | None:
    """A chain's covered fields (a case's money) changed while its chain did not move since
    the checkpoint: no event explains the change."""
    entry = ref.signed_chains().get((head.kind, head.key))
    if entry is None or ref.body is None or entry[2] != head.seq:
        return None
    fields = ref.body.get("covered_fields", {}).get(head.kind, [])
    current = {spec.kind: list(spec.covered_fields) for spec in eventlog.chained_models()}
    if fields != current.get(head.kind) or not fields:
        return None  # the covered fields were redefined since: nothing comparable
    if checkpoints.covered_digest(head.covered) == entry[4]:
        return None
    return (
        f"{head.kind}:{head.key} seq {head.seq} (chain head): {', '.join(fields)} altered "
        f"since the checkpoint of {ref.at} with no event"
    )


def table_problems(ref: Reference) -> list[str]:
    """Every bucket of an append-only table that differs from the checkpoint."""
    if ref.body is None:
        return []
    problems: list[str] = []
    registered = {t.name: t for t in checkpoints.covered_tables()}
    for name, signed in sorted(ref.body.get("tables", {}).items()):
        table = registered.get(name)
        if table is None or list(table.fields) != signed["fields"]:
            continue  # no longer covered, or covered differently: nothing comparable
        size = signed["bucket_size"]
        current = checkpoints.table_buckets(table, max_id=signed["max_id"], bucket_size=size)
        for bucket in sorted(set(signed["buckets"]) | set(current), key=int):
            was, now = signed["buckets"].get(bucket), current.get(bucket)
            if was == now:
                continue
            first, last = int(bucket) * size, int(bucket) * size + size - 1
            was_count, now_count = (was or [0])[0], (now or [0])[0]
            if now_count < was_count:
                what = f"{was_count - now_count} of {was_count} signed entries deleted"
            elif now_count > was_count:
                what = f"{now_count - was_count} entries inserted below the signed last id"
            else:
                what = f"altered ({was_count} entries, digest differs)"
            problems.append(
                f"{name} entries id {first}-{last}: {what} since the checkpoint of {ref.at}"
            )
    return problems
