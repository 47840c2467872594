"""Reply benchmark: mentions classified per second, and AWS requests per mention.

Classifies the labelled messages many times (pure CPU), then sends 200 new
mentions through the table's stream to the real reply handler on moto and
counts the AWS requests it makes. Usage: python bench/reply.py [--save]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import arguments, baseline, fake_aws_env, save  # noqa: E402


def texts() -> list[str]:
    from portevoix.inbox.model import corpus

    return [text for _, _, _, text in corpus("messages.tsv")]


SETS = {  # name: how far it can be trusted (see tests/unit/test_classify.py)
    "messages.tsv": "written with the lists; the model's training data",
    "messages-heldout.tsv": "the model's training data",
    "messages-heldout-2.tsv": "the model's training data",
    "messages-heldout-3.tsv": "the model's training data",
    "messages-heldout-4.tsv": "never learnt from",
}


def figures() -> dict[str, str]:
    """Per labelled set: intent macro-F1, crisis recall, sentiment accuracy."""
    from tests.unit.test_classify import INTENTS, load, report

    out = {}
    for name, trust in SETS.items():
        rows = load(name)
        metrics, sentiment, _ = report(rows)
        f1 = [2 * p * r / (p + r) if p + r else 0.0 for p, r in metrics.values()]
        macro = sum(f1) / len(INTENTS)
        out[f"classifier {name}"] = (
            f"F1 {macro:.2f} crisis R {metrics['crisis'][1]:.2f} sent. {sentiment:.2f}"
            f" (n={len(rows)}, {trust})"
        )
    return out


def run(detail: bool = False) -> dict[str, Any]:
    """``detail``: AWS requests counted per operation, not per service."""
    fake_aws_env(
        TABLE_NAME="portevoix-local", CONFIG_PARAMETER="/portevoix/config"
    )  # before the handler's logger
    import yaml
    from moto import mock_aws

    from functions.reply.app import lambda_handler
    from portevoix.core import aws, runtime, store
    from portevoix.inbox.classify import Classifier
    from portevoix_local.stack import StreamPump, provision

    sample = texts()
    classifier = Classifier()
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < 2:
        for text in sample:
            classifier.classify(text)
        n += len(sample)
    per_second = n / (time.perf_counter() - start)

    calls: Counter[str] = Counter()
    with mock_aws():
        aws.reset()
        runtime.reset()
        config = {
            "brand": {"name": "Cyclia"},
            "sender": "b@brand.example",
            "team": [{"email": "cm@brand.example"}],
        }
        provision("b@brand.example", yaml.safe_dump(config))
        pump = StreamPump()
        mentions = [
            {
                "PK": f"MENTION#bench#{i}",
                "SK": "MENTION",
                "GSI1PK": "INBOX#new",
                "GSI1SK": f"2026-11-28T10:00:00Z#{i}",
                "source": "bench",
                "status": "new",
                "author_handle": f"@u{i}",
                "text": sample[i % len(sample)],
                "received_at": "2026-11-28T10:00:00Z",
            }
            for i in range(200)
        ]
        store.batch_put(mentions)
        for service in ("dynamodb", "ses", "ssm", "s3"):
            aws.client(service).meta.events.register(
                f"before-call.{service}.*",
                lambda event_name, **_: calls.update(
                    [":".join(event_name.split(".")[1 : 3 if detail else 2])]
                ),
            )
        t0 = time.perf_counter()
        pump.pump(lambda_handler)
        elapsed = time.perf_counter() - t0
    return {
        **figures(),
        "classified_per_second": round(per_second),
        "mentions": len(mentions),
        "aws_requests_per_mention": round(sum(calls.values()) / len(mentions), 2),
        "aws_requests_by_service": dict(calls),
        "handler_seconds_per_mention_on_moto": round(elapsed / len(mentions), 4),
    }


def main() -> int:
    args = arguments(
        __doc__, ("--detail", {"action": "store_true", "help": "AWS requests per operation"})
    )
    results = run(args.detail)
    base = baseline("baseline-reply.json")
    for key, value in results.items():
        print(f"{key:36} {value!s:>44}" + (f"   (baseline {base[key]})" if key in base else ""))
    if args.save:
        save("baseline-reply.json", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
