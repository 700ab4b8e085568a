import sys

from django.core.management.base import BaseCommand

from aftersales.cases.models import Case
from aftersales.core.eventlog import orphan_chains, verify_all


class Command(BaseCommand):
    help = "Recompute every event chain; exit 1 naming the first altered event."

    def handle(self, *args, **options):
        heads = Case.objects.order_by("id").values_list("case_no", "event_seq", "event_head")
        checked = 0
        known = set()
        for case_no in heads.values_list("case_no", flat=True).iterator(chunk_size=2000):
            known.add(("case", case_no))
        chains = (("case", no, seq, head) for no, seq, head in heads.iterator(chunk_size=2000))
        for count, problem in verify_all(chains):
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
