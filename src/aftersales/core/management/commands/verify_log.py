import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from aftersales.core import checkpoint_audit, checkpoints, eventlog


class Command(BaseCommand):
    help = (
        "Recompute every event chain and compare the database with the latest signed "
        "checkpoint; print one line per broken chain, exit 1 if any."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoints",
            type=Path,
            default=None,
            help="checkpoint file (default: checkpoints.jsonl in the data directory)",
        )
        parser.add_argument(
            "--as-database",
            default=None,
            help="compare with the checkpoints of this database name (a restored copy)",
        )

    def handle(self, *args, **options):
        path = options["checkpoints"] or checkpoints.checkpoint_path()
        database = options["as_database"] or checkpoints.database_name()
        ref = checkpoint_audit.read_reference(path, database)
        # The checkpoint's own problems come after the chains', so the first line still
        # names the first altered event when there is one.
        problems: list[str] = []
        checked = 0
        known: set[tuple[str, str]] = set()
        for head, count, problem in eventlog.verify_all(eventlog.heads(), ref.anchors()):
            known.add((head.kind, head.key))
            checked += count
            if problem is not None:
                problems.append(str(problem))
            elif (covered := checkpoint_audit.covered_problem(ref, head)) is not None:
                problems.append(covered)
        signed = ref.signed_chains()
        for kind, key in sorted(set(signed) - known):
            seq = signed[(kind, key)][2]
            problems.append(
                f"{kind}:{key}: subject deleted (the checkpoint of {ref.at} signed seq {seq})"
            )
        deleted = set(signed) - known
        for kind, key in eventlog.orphan_chains(known):
            if (kind, key) not in deleted:
                problems.append(f"{kind}:{key} has events but its subject is gone")
        problems += checkpoint_audit.table_problems(ref)
        problems += ref.problems

        # stdout carries only the verdict (`ok N events`, what scripts compare); what the
        # check was made against goes to stderr, after the problems, so the first line of
        # stderr still names the first altered event.
        for line in problems:
            self.stderr.write(f"altered: {line}")
        if ref.body is not None:
            self.stderr.write(
                f"checked against the checkpoint of {ref.at} (line {ref.line_no} of {path})"
            )
        elif not ref.found_file:
            self.stderr.write(f"no checkpoint found ({path}): chains checked in the database only")
        elif not ref.problems:
            self.stderr.write(f"no checkpoint of database {database} in {path}")
        if problems:
            self.stderr.write(f"{len(problems)} problem(s)")
            sys.exit(1)
        self.stdout.write(f"ok {checked} events")
