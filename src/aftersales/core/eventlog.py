"""The hash-chained event log (DESIGN.md "Event log").

Each subject (a case, a ticket) keeps its chain head (`event_seq`, `event_head`) on its own
row, which the caller has locked, so appending costs one INSERT and no extra read. Domains
that keep chains register their model here (in their AppConfig.ready), so verification and
checkpoints (core/checkpoints.py) find every chain without `core` importing a domain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import models

from aftersales.core.models import Event

GENESIS = "0" * 64


@dataclass(frozen=True)
class ChainedModel:
    """A model whose rows each head a chain. `covered_fields` are row fields that are not in
    the events but must not change behind them (a case's money): checkpoints sign them."""

    kind: str
    model: type[models.Model]
    key_field: str
    covered_fields: tuple[str, ...] = ()


_chained: dict[str, ChainedModel] = {}


def register_chained(
    kind: str, model: type[models.Model], key_field: str, *, covered_fields: tuple[str, ...] = ()
) -> None:
    _chained[kind] = ChainedModel(kind, model, key_field, tuple(covered_fields))


def chained_models() -> list[ChainedModel]:
    return sorted(_chained.values(), key=lambda spec: spec.kind)


@dataclass(frozen=True)
class ChainHead:
    """One chain as its subject row states it, with the row's covered field values."""

    kind: str
    key: str
    seq: int
    head: str
    covered: tuple[Any, ...] = ()


def heads(chunk_size: int = 2000) -> Iterator[ChainHead]:
    """Every registered chain's head, read from the subject rows."""
    for spec in chained_models():
        fields = (spec.key_field, "event_seq", "event_head", *spec.covered_fields)
        rows = spec.model._default_manager.order_by("pk").values_list(*fields)
        for key, seq, head, *covered in rows.iterator(chunk_size=chunk_size):
            yield ChainHead(spec.kind, key, seq, head, tuple(covered))


class ChainSubject(Protocol):
    event_seq: int
    event_head: str

    @property
    def chain_kind(self) -> str: ...

    @property
    def chain_key(self) -> str: ...


def canonical_time(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def compute_hash(
    prev_hash: str,
    *,
    kind: str,
    key: str,
    seq: int,
    at: dt.datetime,
    actor: str,
    action: str,
    data: dict[str, Any],
) -> str:
    body = json.dumps(
        {
            "subject": f"{kind}:{key}",
            "seq": seq,
            "at": canonical_time(at),
            "actor": actor,
            "action": action,
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def append(
    subject: ChainSubject, *, actor: str, action: str, data: dict[str, Any], at: dt.datetime
) -> Event:
    """Append one event and advance the subject's head; the caller saves the subject's
    `event_seq` and `event_head` in the same transaction."""
    seq = subject.event_seq + 1
    prev = subject.event_head or GENESIS
    # Round-trip through JSON so the hash covers exactly what the database will return.
    data = json.loads(json.dumps(data, ensure_ascii=False))
    digest = compute_hash(
        prev,
        kind=subject.chain_kind,
        key=subject.chain_key,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        data=data,
    )
    event = Event.objects.create(
        subject_kind=subject.chain_kind,
        subject_key=subject.chain_key,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        data=data,
        prev_hash=prev,
        hash=digest,
    )
    subject.event_seq = seq
    subject.event_head = digest
    return event


@dataclass(frozen=True)
class ChainProblem:
    kind: str
    key: str
    seq: int
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"event {self.event_id}" if self.event_id is not None else "chain head"
        return f"{self.kind}:{self.key} seq {self.seq} ({where}): {self.reason}"


def verify_chain(
    kind: str,
    key: str,
    events: Iterable[Event],
    head_seq: int,
    head_hash: str,
    *,
    anchor: tuple[int, str] | None = None,
) -> ChainProblem | None:
    """The first problem in one chain, or None. `events` must be ordered by seq. `anchor` is
    a (seq, hash) signed outside the database: the chain must still pass through it, which
    catches a chain recomputed from an altered event and a chain cut back with its head."""
    prev = GENESIS
    expected_seq = 1
    anchored_event: Event | None = None
    for event in events:
        if event.seq != expected_seq:
            reason = "events missing before this one" if event.seq > expected_seq else "reordered"
            return ChainProblem(kind, key, event.seq, event.id, reason)
        if event.prev_hash != prev:
            return ChainProblem(kind, key, event.seq, event.id, "previous hash does not match")
        digest = compute_hash(
            prev,
            kind=kind,
            key=key,
            seq=event.seq,
            at=event.at,
            actor=event.actor,
            action=event.action,
            data=event.data,
        )
        if digest != event.hash:
            return ChainProblem(kind, key, event.seq, event.id, "content altered")
        prev = event.hash
        expected_seq += 1
        if anchor is not None and event.seq == anchor[0]:
            anchored_event = event
    if expected_seq - 1 != head_seq or prev != (head_hash or GENESIS):
        return ChainProblem(
            kind,
            key,
            expected_seq,
            None,
            f"chain ends at seq {expected_seq - 1} but its head says {head_seq}",
        )
    if anchor is not None and anchor[0] > 0:
        signed_seq, signed_hash = anchor
        if anchored_event is None:
            return ChainProblem(
                kind,
                key,
                head_seq,
                None,
                f"truncated: chain ends at seq {head_seq} but the checkpoint signed seq "
                f"{signed_seq}",
            )
        if anchored_event.hash != signed_hash:
            return ChainProblem(
                kind,
                key,
                signed_seq,
                anchored_event.id,
                "differs from the signed checkpoint (chain rewritten)",
            )
    return None


def verify_all(
    chain_heads: Iterable[ChainHead],
    anchors: dict[tuple[str, str], tuple[int, str]] | None = None,
    batch_size: int = 500,
) -> Iterator[tuple[ChainHead, int, ChainProblem | None]]:
    """Verify every chain, against its signed anchor when `anchors` has one. Yields, per
    chain, its head, the number of events checked and its first problem (or None)."""
    anchors = anchors or {}
    batch: list[ChainHead] = []

    def flush() -> Iterator[tuple[ChainHead, int, ChainProblem | None]]:
        by_chain: dict[tuple[str, str], list[Event]] = {}
        for kind in {h.kind for h in batch}:
            keys = [h.key for h in batch if h.kind == kind]
            for event in Event.objects.filter(subject_kind=kind, subject_key__in=keys).order_by(
                "subject_key", "seq", "id"
            ):
                by_chain.setdefault((kind, event.subject_key), []).append(event)
        for h in batch:
            events = by_chain.get((h.kind, h.key), [])
            anchor = anchors.get((h.kind, h.key))
            yield h, len(events), verify_chain(h.kind, h.key, events, h.seq, h.head, anchor=anchor)

    for head in chain_heads:
        batch.append(head)
        if len(batch) >= batch_size:
            yield from flush()
            batch = []
    if batch:
        yield from flush()


def orphan_chains(known: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Chains with events but no subject (a subject row deleted under its log)."""
    seen = set(Event.objects.values_list("subject_kind", "subject_key").distinct())
    return sorted(seen - known)
