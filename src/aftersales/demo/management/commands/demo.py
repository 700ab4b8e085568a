from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from aftersales.core.errors import DomainError
from aftersales.demo import loader
from aftersales.demo import tickets as demo_tickets
from aftersales.demo.data import DEMO_PASSWORD


class Command(BaseCommand):
    help = (
        "Load a realistic demo marketplace: shops, carriers, consumers, orders, and cases in "
        "every status of every workflow. Does nothing when the demo is already loaded."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")

    def handle(self, *args, seed: int, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if loader.demo_loaded():
            self.stdout.write(
                "The demo marketplace is already loaded (shops "
                f"{', '.join(loader.DEMO_SHOP_CODES)}); nothing to do."
            )
            return
        try:
            summary = loader.load(seed=seed)
        except (DomainError, loader.DemoError) as error:
            raise CommandError(f"demo not loaded: {error}") from error
        self.stdout.write(
            f"Loaded the demo marketplace: {summary.shops} shops, {summary.carriers} carriers, "
            f"{len(summary.accounts)} accounts, {summary.orders} orders, {summary.cases} cases, "
            f"{summary.events} events."
        )
        extra = demo_tickets.load()
        self.stdout.write(f"Loaded {extra.tickets} tickets and a chat handed over to an agent.")
        self.stdout.write(f"Demo accounts (password {DEMO_PASSWORD}):")
        width = max(len(a.username) for a in summary.accounts)
        link = "shop or carrier"
        link_width = max(len(link), *(len(a.shop or "-") for a in summary.accounts))
        self.stdout.write(
            f"{'username':<{width}}  {'role':<8}  {link:<{link_width}}  "
            "API token (send it as: Authorization: Bearer <token>)"
        )
        for account in summary.accounts:
            self.stdout.write(
                f"{account.username:<{width}}  {account.role:<8}  "
                f"{account.shop or '-':<{link_width}}  {account.token}"
            )
        self.stdout.write(
            "Sign in at the console with any username above; the API tokens are shown only "
            "now (each account can issue new ones on its profile page)."
        )
