"""The assistant's latency: model load, intent + slots per message, and a full reply (dialogue,
knowledge-base search, database) through `assistant.services.post_message`.

Runs on a throw-away SQLite data directory. Targets (issue): intent + slots p50 ≤ 5 ms and
p99 ≤ 60 ms; full reply p99 ≤ 100 ms; the model loads in under 2 s.
Run: .venv/bin/python bench/bench_assistant_latency.py [--messages N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=400)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="aftersales-bench-assistant-"))
    # Reuse the trained model of the checkout (./var/models) so this measures loading it.
    models = ROOT / "var" / "models"
    if models.exists():
        shutil.copytree(models, data_dir / "models")
    os.environ["AFTERSALES_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from aftersales.assistant import intents, kb, services, slots
    from aftersales.catalog.services import create_carrier, create_shop
    from aftersales.core import clock
    from aftersales.core.services import create_user
    from aftersales.orders.services import ItemSpec, create_order

    start = time.perf_counter()
    model = intents.model()
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    kb.knowledge_base()
    kb_load_s = time.perf_counter() - start

    texts: list[str] = []
    for path in intents.heldout_files():
        texts += intents.read_tsv(path)[0]
    texts = (texts * (args.messages // len(texts) + 1))[: args.messages]

    now = clock.now()
    timings = []
    for text in texts:
        begin = time.perf_counter()
        model.predict(text)
        slots.extract(text, now=now)
        timings.append((time.perf_counter() - begin) * 1000)
    intent_p50, intent_p99 = np.percentile(timings, [50, 99])

    create_shop(
        code="bench", name="压测店铺", balance_fen=100_000, return_address="上海市浦东新区1号"
    )
    create_carrier(code="sf", name="顺丰速运")
    consumer, _token = create_user(username="bench-consumer", role="consumer")
    for n in range(3):
        create_order(
            order_sn=f"261126-{n:015d}",
            shop="bench",
            consumer=consumer.username,
            items=[ItemSpec("S", "男士运动鞋子", "鞋靴", 1, 19900)],
            amount_fen=19900,
            paid_at=now,
            shipped_at=now,
            received_at=now,
            carrier="sf",
        )
    replies = []
    conversation_id = None
    for i, text in enumerate(texts):
        if i % 5 == 0:
            conversation_id = None  # a new conversation every few messages
        begin = time.perf_counter()
        conversation, _reply = services.post_message(
            consumer, text=text, conversation_id=conversation_id
        )
        replies.append((time.perf_counter() - begin) * 1000)
        conversation_id = conversation.public_id if conversation.status == "bot" else None
    reply_p50, reply_p99 = np.percentile(replies, [50, 99])
    print(f"model load (cached): {load_s:.2f} s; knowledge base load: {kb_load_s:.2f} s")
    print(
        f"intent + slots over {len(timings)} messages: p50 {intent_p50:.2f} ms, "
        f"p99 {intent_p99:.2f} ms (targets 5 / 60)"
    )
    print(
        f"full reply over {len(replies)} messages: p50 {reply_p50:.2f} ms, "
        f"p99 {reply_p99:.2f} ms (target p99 100)"
    )
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
