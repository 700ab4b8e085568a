"""gunicorn settings for production (`gunicorn -c python:aftersales.ops.gunicorn_conf`).

Only the multiprocess-metrics hook is here; workers, binding and timeouts come from the
command line or GUNICORN_CMD_ARGS (docs/deploy.md).
"""

from aftersales.ops import metrics


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    metrics.mark_process_dead(worker.pid)
