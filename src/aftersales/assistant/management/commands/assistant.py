import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from aftersales.assistant import intents
from aftersales.assistant.evaluation import evaluate


class Command(BaseCommand):
    help = (
        "The assistant's model: `eval FILE.tsv` (header text<TAB>intent) prints per-label "
        "precision/recall, accuracy, macro-F1 and latency; `train` builds the cached model."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        evaluate_parser = sub.add_parser("eval", help="evaluate on a labelled TSV file")
        evaluate_parser.add_argument("file")
        evaluate_parser.add_argument(
            "--errors", type=int, default=0, help="also print up to N misclassified messages"
        )
        sub.add_parser("train", help="train (or load) the model and report the load time")

    def handle(self, *args, verb: str, **options):
        start = time.perf_counter()
        model = intents.model()
        loaded_s = time.perf_counter() - start
        if verb == "train":
            self.stdout.write(f"model ready in {loaded_s:.2f} s ({len(model.classes)} intents)")
            return
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            texts, gold = intents.read_tsv(path)
        except (ValueError, KeyError) as error:
            raise CommandError(str(error)) from error
        if not texts:
            raise CommandError(f"{path}: no examples")
        unknown = sorted(set(gold) - set(intents.LABELS))
        if unknown:
            raise CommandError(f"{path}: unknown intents {', '.join(unknown)}")
        model.predict(texts[0])  # warm up: the first call pays for lazy imports
        report = evaluate(texts, gold, lambda text: model.predict(text).intent)
        self.stderr.write(f"model ready in {loaded_s:.2f} s; {len(texts)} examples")
        for text, expected, got in report.errors[: options["errors"]]:
            self.stderr.write(f"  {expected:>20} → {got:<20} {text}")
        for line in report.lines():
            self.stdout.write(line)
