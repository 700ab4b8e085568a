from django.core.management.base import BaseCommand

from aftersales.deadlines.sweeper import sweep


class Command(BaseCommand):
    help = "One sweep pass over due deadlines; prints 'fired N' as its last line."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=200)

    def handle(self, *args, batch_size: int, **options):
        result = sweep(batch_size=batch_size)
        if result.failed:
            self.stderr.write(f"failed {result.failed} (see the deadlines' last_error)")
        if result.skipped_busy:
            self.stdout.write(f"busy {result.skipped_busy} (retried next pass)")
        self.stdout.write(f"fired {result.fired}")
