"""Intent recognition: character n-grams and jieba words, TF-IDF, a linear model.

Trained from the corpus this package ships (data/corpus/*_train.tsv) at first use and cached
under the data directory, keyed by the corpus's hash; nothing is downloaded.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import jieba
import joblib
import numpy as np
from django.conf import settings
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from aftersales.assistant.text import normalise

jieba.setLogLevel(logging.WARNING)

LABELS = (
    "refund_request",
    "return_request",
    "exchange_request",
    "repair_request",
    "refund_progress",
    "logistics_query",
    "logistics_exception",
    "urge_shipment",
    "quality_issue",
    "missing_item",
    "change_address",
    "payment_issue",
    "coupon_question",
    "invoice_request",
    "complaint",
    "human_agent",
    "cancel_request",
    "presale_question",
    "chitchat",
)
CORPUS_DIR = Path(__file__).parent / "data" / "corpus"


@dataclass(frozen=True)
class Prediction:
    intent: str
    confidence: float
    runner_up: str


def read_tsv(path: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        if reader.fieldnames != ["text", "intent"]:
            raise ValueError(f"{path}: the header must be 'text<TAB>intent'")
        for row in reader:
            texts.append(row["text"])
            labels.append(row["intent"])
    return texts, labels


def training_files() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*_train.tsv"))


def heldout_files() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*_test.tsv"))


def _words(text: str) -> list[str]:
    return [w for w in jieba.lcut(text) if w.strip()]


def build_pipeline() -> Pipeline:
    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1
                ),
            ),
            (
                "words",
                TfidfVectorizer(
                    tokenizer=_words,
                    token_pattern=None,
                    lowercase=False,
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                ),
            ),
        ]
    )
    classifier = LogisticRegression(C=20.0, max_iter=3000)
    return Pipeline([("features", features), ("classifier", classifier)])


class IntentModel:
    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self.classes = list(pipeline.classes_)

    @classmethod
    def train(cls, texts: list[str], labels: list[str]) -> IntentModel:
        pipeline = build_pipeline()
        pipeline.fit([normalise(t) for t in texts], labels)
        return cls(pipeline)

    def predict(self, text: str) -> Prediction:
        probabilities = self.pipeline.predict_proba([normalise(text)])[0]
        order = np.argsort(probabilities)[::-1]
        return Prediction(
            intent=self.classes[order[0]],
            confidence=float(probabilities[order[0]]),
            runner_up=self.classes[order[1]],
        )


def _corpus_digest(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_lock = threading.Lock()
_model: IntentModel | None = None


def model() -> IntentModel:
    """The trained model: from the cache when the corpus is unchanged, else trained now."""
    global _model
    with _lock:
        if _model is None:
            files = training_files()
            cache = Path(settings.DATA_DIR) / "models" / f"intent-{_corpus_digest(files)}.joblib"
            if cache.exists():
                _model = IntentModel(joblib.load(cache))
            else:
                texts: list[str] = []
                labels: list[str] = []
                for path in files:
                    more_texts, more_labels = read_tsv(path)
                    texts += more_texts
                    labels += more_labels
                _model = IntentModel.train(texts, labels)
                cache.parent.mkdir(parents=True, exist_ok=True)
                joblib.dump(_model.pipeline, cache)
        return _model
