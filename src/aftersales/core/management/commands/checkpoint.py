from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from aftersales.core import checkpoints, clock


class Command(BaseCommand):
    help = (
        "Sign the state of every chain, the ledger and the case money fields with "
        "AFTERSALES_CHECKPOINT_KEY and append it to checkpoints.jsonl in the data directory."
    )

    def add_arguments(self, parser):
        parser.add_argument("--generate-key", action="store_true", help="print a new key pair")
        parser.add_argument("--checkpoints", type=Path, default=None, help="checkpoint file")

    def handle(self, *args, **options):
        if options["generate_key"]:
            private, public = checkpoints.generate_key()
            self.stdout.write(f"AFTERSALES_CHECKPOINT_KEY={private}")
            self.stdout.write(f"public key (give to verifiers): {public}")
            return
        path = options["checkpoints"] or checkpoints.checkpoint_path()
        try:
            record = checkpoints.write_checkpoint(clock.now(), path=path)
        except checkpoints.CheckpointKeyError as error:
            raise CommandError(str(error)) from error
        body = record["body"]
        self.stdout.write(
            f"checkpoint {body['root'][:16]} of {len(body['chains'])} chains at {body['at']} "
            f"appended to {path}"
        )
