"""`aftersales assistant eval FILE.tsv`: the report and its last line, on the real model."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from aftersales.assistant import intents

DATA = Path(__file__).parent / "data"
LAST_LINE = re.compile(
    r"^accuracy=(\d\.\d+) macro_f1=(\d\.\d+) p50_ms=(\d+\.\d+) p99_ms=(\d+\.\d+)$"
)


def evaluate(path: Path) -> tuple[list[str], float, float]:
    out = io.StringIO()
    call_command("assistant", "eval", str(path), stdout=out, stderr=io.StringIO())
    lines = out.getvalue().strip().splitlines()
    match = LAST_LINE.match(lines[-1])
    assert match, lines[-1]
    return lines, float(match.group(1)), float(match.group(2))


@pytest.fixture(scope="module")
def heldout(tmp_path_factory) -> Path:
    """The held-out split of the shipped corpus, never trained on."""
    path = tmp_path_factory.mktemp("eval") / "heldout.tsv"
    rows = ["text\tintent"]
    for part in intents.heldout_files():
        texts, labels = intents.read_tsv(part)
        rows += [f"{t}\t{label}" for t, label in zip(texts, labels, strict=True)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_the_held_out_split_is_never_trained_on():
    train = {t for p in intents.training_files() for t in intents.read_tsv(p)[0]}
    heldout = {t for p in intents.heldout_files() for t in intents.read_tsv(p)[0]}
    assert train and heldout and not train & heldout
    assert len(heldout) >= 19 * 40


def test_eval_reports_per_label_figures_and_meets_the_target(heldout):
    lines, accuracy, macro_f1 = evaluate(heldout)
    assert lines[0].split() == ["label", "precision", "recall", "f1", "n"]
    assert {line.split()[0] for line in lines[1:-1]} == set(intents.LABELS)
    assert 0 <= accuracy <= 1 and macro_f1 >= 0.92


@pytest.mark.parametrize("name", ["external_eval.tsv", "realchat_eval.tsv"])
def test_the_model_holds_on_sets_written_without_seeing_the_corpus(name):
    _lines, _accuracy, macro_f1 = evaluate(DATA / name)
    assert macro_f1 >= 0.92


def test_bad_files_are_refused(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("assistant", "eval", str(tmp_path / "missing.tsv"))
    bad = tmp_path / "bad.tsv"
    bad.write_text("question\tlabel\n你好\tchitchat\n", encoding="utf-8")
    with pytest.raises(CommandError, match="header"):
        call_command("assistant", "eval", str(bad))
    unknown = tmp_path / "unknown.tsv"
    unknown.write_text("text\tintent\n你好\tgreeting\n", encoding="utf-8")
    with pytest.raises(CommandError, match="unknown intents greeting"):
        call_command("assistant", "eval", str(unknown))
