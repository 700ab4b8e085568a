"""Measuring the intent model: per-label precision and recall, accuracy, macro-F1, latency."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from aftersales.assistant import slots
from aftersales.core import clock


@dataclass
class Report:
    labels: list[str]
    precision: list[float]
    recall: list[float]
    f1: list[float]
    support: list[int]
    accuracy: float
    macro_f1: float
    p50_ms: float
    p99_ms: float
    errors: list[tuple[str, str, str]]

    def lines(self) -> list[str]:
        out = [f"{'label':<22}{'precision':>10}{'recall':>10}{'f1':>10}{'n':>6}"]
        for row in zip(
            self.labels, self.precision, self.recall, self.f1, self.support, strict=True
        ):
            out.append(f"{row[0]:<22}{row[1]:>10.3f}{row[2]:>10.3f}{row[3]:>10.3f}{row[4]:>6}")
        out.append(
            f"accuracy={self.accuracy:.4f} macro_f1={self.macro_f1:.4f} "
            f"p50_ms={self.p50_ms:.2f} p99_ms={self.p99_ms:.2f}"
        )
        return out


def evaluate(texts: list[str], gold: list[str], predict: Callable[[str], str]) -> Report:
    """Run `predict` (intent) and slot extraction on every text, timing each message."""
    now = clock.now()
    predicted, timings = [], []
    for text in texts:
        start = time.perf_counter()
        predicted.append(predict(text))
        slots.extract(text, now=now)
        timings.append((time.perf_counter() - start) * 1000)
    labels = sorted(set(gold) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=labels, zero_division=0
    )
    return Report(
        labels=labels,
        precision=list(precision),
        recall=list(recall),
        f1=list(f1),
        support=[int(s) for s in support],
        accuracy=float(accuracy_score(gold, predicted)),
        macro_f1=float(
            f1_score(gold, predicted, labels=sorted(set(gold)), average="macro", zero_division=0)
        ),
        p50_ms=float(np.percentile(timings, 50)),
        p99_ms=float(np.percentile(timings, 99)),
        errors=[(t, g, p) for t, g, p in zip(texts, gold, predicted, strict=True) if g != p],
    )
