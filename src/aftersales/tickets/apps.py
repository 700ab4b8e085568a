from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "aftersales.tickets"
    label = "tickets"

    def ready(self) -> None:
        # The worker loop runs the monitoring job (tickets/monitoring.py) once an hour.
        from aftersales.deadlines import sweeper
        from aftersales.tickets import (
            evidence,  # noqa: F401  (registers the ticket chains for verify-log)
            monitoring,
            timers,  # noqa: F401  (registers the deadline handler)
        )

        sweeper.register_job(monitoring.hourly_job)
