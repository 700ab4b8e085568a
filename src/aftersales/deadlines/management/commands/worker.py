import signal

from django.core.management.base import BaseCommand

from aftersales.deadlines.sweeper import run_forever


class Command(BaseCommand):
    help = (
        "The deadline sweeper and job runner, with webhook delivery in threads of its own, "
        "until stopped (SIGTERM or SIGINT: it ends within a few seconds). Many may run "
        "against PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between passes when nothing is due"
        )
        parser.add_argument("--batch-size", type=int, default=200)

    def handle(self, *args, interval: float, batch_size: int, **options):
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("worker started")
        run_forever(interval_seconds=interval, batch_size=batch_size, should_stop=lambda: stopping)
        self.stdout.write("worker stopped")
