import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict, run_sweeper: bool):
        self.options = options
        self.run_sweeper = run_sweeper
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if self.run_sweeper:
            self.cfg.set("post_worker_init", _start_sweeper)

    def load(self):
        from aftersales.wsgi import application

        return application


def _start_sweeper(worker) -> None:
    from aftersales.deadlines.sweeper import run_forever

    threading.Thread(target=run_forever, name="sweeper", daemon=True).start()


class Command(BaseCommand):
    help = (
        "Migrate, then serve the web console and API; on SQLite the deadline worker runs "
        "in the same process."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=None)

    def handle(self, *args, host: str, port: int, workers: int | None, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        sqlite = connection.vendor == "sqlite"
        connection.close()
        workers = workers or (1 if sqlite else 4)
        self.stdout.write(
            f"Aftersales is running at http://{host}:{port}/  "
            f"(API docs: http://{host}:{port}/api/v1/docs)"
        )
        _Server(
            {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": 8,
                "worker_class": "gthread",
                "accesslog": "-",
                "timeout": 60,
            },
            run_sweeper=sqlite,
        ).run()
