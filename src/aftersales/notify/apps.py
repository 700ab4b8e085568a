from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "aftersales.notify"
    label = "notify"

    def ready(self) -> None:
        # The worker loop delivers due webhooks after each sweep (deadlines/sweeper.py jobs).
        from aftersales.deadlines import sweeper
        from aftersales.notify import dispatcher

        sweeper.register_job(dispatcher.deliver_due_job)
