from django.core.management.base import BaseCommand

from aftersales.core import clock
from aftersales.tickets import monitoring


class Command(BaseCommand):
    help = "One monitoring pass: opens logistics tickets for shops and carriers over threshold."

    def handle(self, *args, **options):
        opened = monitoring.run(clock.now())
        for ticket in opened:
            self.stdout.write(f"{ticket.ticket_no} {ticket.title}")
        self.stdout.write(f"opened {len(opened)}")
