"""The hash-chained event log (DESIGN.md "Event log").

Each subject (a case; later a ticket) keeps its chain head (`event_seq`, `event_head`) on its
own row, which the caller has locked, so appending costs one INSERT and no extra read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from aftersales.core.models import Event

GENESIS = "0" * 64


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
    kind: str, key: str, events: Iterable[Event], head_seq: int, head_hash: str
) -> ChainProblem | None:
    """The first problem in one chain, or None. `events` must be ordered by seq."""
    prev = GENESIS
    expected_seq = 1
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
    if expected_seq - 1 != head_seq or prev != (head_hash or GENESIS):
        return ChainProblem(
            kind,
            key,
            expected_seq,
            None,
            f"chain ends at seq {expected_seq - 1} but its head says {head_seq}",
        )
    return None


def verify_all(
    heads: Iterable[tuple[str, str, int, str]], batch_size: int = 500
) -> Iterator[tuple[int, ChainProblem | None]]:
    """Verify every chain. `heads` yields (kind, key, head_seq, head_hash). Yields, per chain,
    the number of events checked and its first problem (or None)."""
    batch: list[tuple[str, str, int, str]] = []

    def flush() -> Iterator[tuple[int, ChainProblem | None]]:
        kinds = {h[0] for h in batch}
        by_chain: dict[tuple[str, str], list[Event]] = {}
        for kind in kinds:
            keys = [h[1] for h in batch if h[0] == kind]
            for event in Event.objects.filter(subject_kind=kind, subject_key__in=keys).order_by(
                "subject_key", "seq", "id"
            ):
                by_chain.setdefault((kind, event.subject_key), []).append(event)
        for kind, key, head_seq, head_hash in batch:
            events = by_chain.get((kind, key), [])
            yield len(events), verify_chain(kind, key, events, head_seq, head_hash)

    for head in heads:
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
