from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "aftersales.notify"
    label = "notify"

    def ready(self) -> None:
        # The worker delivers webhooks in threads of their own beside the sweep (a partner
        # that hangs must never hold up a deadline): delivery_loop.py.
        from aftersales.deadlines import sweeper
        from aftersales.notify import delivery_loop

        sweeper.register_loop(delivery_loop.start)
