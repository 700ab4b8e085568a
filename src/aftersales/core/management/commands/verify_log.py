import sys
from collections.abc import Iterator

from django.core.management.base import BaseCommand

from aftersales.cases.models import Case
from aftersales.core.eventlog import orphan_chains, verify_all
from aftersales.tickets.models import Ticket

# Every model that keeps a hash chain: (kind, model, key field).
CHAINED = (("case", Case, "case_no"), ("ticket", Ticket, "ticket_no"))


def _heads() -> Iterator[tuple[str, str, int, str]]:
    for kind, model, key in CHAINED:
        rows = model.objects.order_by("id").values_list(key, "event_seq", "event_head")
        for subject_key, seq, head in rows.iterator(chunk_size=2000):
            yield kind, subject_key, seq, head


class Command(BaseCommand):
    help = "Recompute every event chain; exit 1 naming the first altered event."

    def handle(self, *args, **options):
        checked = 0
        known = {(kind, subject_key) for kind, subject_key, _seq, _head in _heads()}
        for count, problem in verify_all(_heads()):
            if problem is not None:
                self.stderr.write(f"altered: {problem}")
                sys.exit(1)
            checked += count
        orphans = orphan_chains(known)
        if orphans:
            kind, key = orphans[0]
            self.stderr.write(f"altered: {kind}:{key} has events but its subject is gone")
            sys.exit(1)
        self.stdout.write(f"ok {checked} events")
