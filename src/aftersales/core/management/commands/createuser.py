from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from aftersales.core.errors import DomainError
from aftersales.core.models import Role, User
from aftersales.core.services import create_user


class Command(BaseCommand):
    help = "Create a user with a role; prints the new API token as its last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--shop", help="shop code (merchants)")
        parser.add_argument("--carrier", help="carrier code (carrier staff)")
        parser.add_argument("--password", help="password for the web consoles")

    def handle(self, *args, username, role, shop, carrier, password, **options):
        if password:
            # The operator chooses this password, so Django's validators judge it as they do
            # a changed one (the demo's accounts are made by the demo loader, not here).
            try:
                validate_password(password, User(username=username))
            except ValidationError as error:
                raise CommandError("--password: " + " ".join(error.messages)) from error
        try:
            user, token = create_user(
                username=username, role=role, shop=shop, carrier=carrier, password=password
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"created {role} {user.username}")
        self.stdout.write(token)
