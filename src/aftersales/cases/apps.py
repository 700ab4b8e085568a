from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "aftersales.cases"
    label = "cases"

    def ready(self) -> None:
        # The sweeper fires case deadlines through the case services (cases/timers.py).
        from aftersales.cases import timers  # noqa: F401
