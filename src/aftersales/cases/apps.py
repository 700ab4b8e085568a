from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "aftersales.cases"
    label = "cases"

    def ready(self) -> None:
        # The sweeper fires case deadlines through the case services (cases/timers.py);
        # cases/evidence.py registers the case chains, money and ledger for checkpoints.
        from aftersales.cases import evidence, timers  # noqa: F401
