import logging
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from gunicorn.app.base import BaseApplication

from aftersales.core.production import refuse_unsafe_start

log = logging.getLogger("aftersales.serve")


def gunicorn_options(*, host: str, port: int, workers: int, data_dir: Path) -> dict[str, Any]:
    """Gunicorn's settings for `aftersales serve`: everything it writes stays in `data_dir`
    (its control socket would otherwise go to $XDG_RUNTIME_DIR or ~/.gunicorn/)."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": 8,
        "worker_class": "gthread",
        "accesslog": "-",
        "timeout": 60,
        "control_socket": str(data_dir / "gunicorn.ctl"),
    }


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
    threading.Thread(target=_sweep_forever, name="sweeper", daemon=True).start()


def _sweep_forever() -> None:
    from aftersales.deadlines.sweeper import run_forever, sweep

    # Deadlines that fell due while nothing ran are applied first, and said so in words.
    caught_up = sweep()
    if caught_up.fired or caught_up.failed:
        log.info(
            "Applied the default outcome of %d deadlines that passed while the server was "
            "stopped (%d could not be applied and will be retried).",
            caught_up.fired,
            caught_up.failed,
        )
    else:
        log.info("No deadline passed while the server was stopped.")
    run_forever()


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
        try:
            refuse_unsafe_start()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        sqlite = connection.vendor == "sqlite"
        connection.close()
        workers = workers or (1 if sqlite else 4)
        self.stdout.write(
            f"Aftersales is running at http://{host}:{port}/  "
            f"(API docs: http://{host}:{port}/api/v1/docs)\n"
            f"Data (database, photos, gunicorn's control socket) stays in {settings.DATA_DIR}."
        )
        if sqlite:
            self.stdout.write(
                "The deadline worker runs in this process: each line 'fired N, failed M' "
                "counts the deadlines whose default outcome it applied (failed ones are "
                "retried). Below it, the server's log and one line per request."
            )
        else:
            self.stdout.write(
                "Deadlines are applied by `aftersales worker`: run it beside the server. "
                "Below, the server's log and one line per request."
            )
        self.stdout.flush()
        _Server(
            gunicorn_options(host=host, port=port, workers=workers, data_dir=settings.DATA_DIR),
            run_sweeper=sqlite,
        ).run()
