"""Publish benchmark: one post through the real state machine on moto, per network count.

Prints the state transitions and AWS requests per published post, and the
time from the approval click to publication, in the local mode (moto runs
infra/statemachines/publish.asl.json; networks are mastodon-mock and the X
fake). Usage: python bench/publish.py [--save]
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import CapacityMeter, arguments, baseline, fake_aws_env, save  # noqa: E402


def run() -> dict[str, Any]:
    import yaml
    from mastodon_mock.testing.server import MockServer
    from moto import mock_aws

    from portevoix.core import aws, runtime
    from portevoix.publishing import approval, posts
    from portevoix_local.stack import (
        FUNCTIONS,
        MOTO_CONFIG,
        create_workflow,
        provision,
        route_lambdas,
    )
    from tests.fakes import FakeX

    fake_aws_env(
        TABLE_NAME="portevoix-local",
        CONFIG_PARAMETER="/portevoix/config",
        MASTO_TOKEN="alice_token",
        X_TOKEN=FakeX.TOKEN,
        TZ="UTC",
    )
    time.tzset()
    calls: Counter[str] = Counter()
    x = FakeX()
    with MockServer() as masto, mock_aws(config=MOTO_CONFIG):
        config = {
            "brand": {"name": "Bench"},
            "sender": "bench@brand.example",
            "team": [{"email": "cm@brand.example"}],
            "accounts": [
                {
                    "network": "mastodon",
                    "id": "masto",
                    "instance": masto.base_url,
                    "secret": "env:MASTO_TOKEN",
                },
                {
                    "network": "x",
                    "id": "x",
                    "user_id": FakeX.USER,
                    "base": x.url,
                    "secret": "env:X_TOKEN",
                },
            ],
            "fetch": {"allow_private_networks": True},
        }
        aws.reset()
        runtime.reset()
        provision("bench@brand.example", yaml.safe_dump(config))
        route_lambdas(FUNCTIONS)
        arn = create_workflow()
        for service in ("dynamodb", "ses", "stepfunctions", "ssm"):
            aws.client(service).meta.events.register(
                f"before-call.{service}.*",
                lambda event_name, **_: calls.update([event_name.split(".")[1]]),
            )
        meter = CapacityMeter(aws.client("dynamodb"))
        cfg = runtime.config()
        draft = posts.parse_draft(
            {
                "author": "cm@brand.example",
                "variants": {"masto": {"text": "Bench post"}, "x": {"text": "Bench post"}},
            },
            cfg,
        )
        post = posts.create(cfg, draft)
        execution = posts.start(post, arn)
        main_thread = threading.get_ident()
        meter.skip.add(main_thread)  # the bench's own polling is not the workflow's cost
        while not posts.get(post["post_id"]).get("links"):
            time.sleep(0.02)
        meter.skip.discard(main_thread)
        clicked = time.perf_counter()
        approval.decide_as(post["post_id"], None, True)
        sfn = aws.client("stepfunctions")
        meter.skip.add(main_thread)
        while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING":
            time.sleep(0.02)
        meter.skip.discard(main_thread)
        elapsed = time.perf_counter() - clicked
        history = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
        transitions = sum(1 for e in history if e["type"].endswith("StateEntered"))
        tasks = sum(1 for e in history if e["type"] in ("TaskScheduled", "LambdaFunctionScheduled"))
        rru, wru, _ = meter.snapshot()
        final = posts.status(post["post_id"])
    x.close()
    return {
        "networks": 2,
        "status": final["status"],
        "state_transitions": transitions,
        "state_transitions_per_network": round(transitions / 2, 1),
        "aws_requests": sum(calls.values()),
        "aws_requests_by_service": dict(calls),
        "approval_to_published_seconds": round(elapsed, 3),
        "lambda_tasks": tasks,
        "dynamodb_rru": rru,
        "dynamodb_wru": wru,
        "emails": calls.get("ses", 0),
    }


def main() -> int:
    args = arguments(__doc__)
    results = run()
    base_values = baseline("baseline-publish.json")
    for key, value in results.items():
        base = base_values.get(key)
        print(
            f"{key:34} {json.dumps(value):>40}"
            + (f"   (baseline {json.dumps(base)})" if base is not None else "")
        )
    if args.save:
        save("baseline-publish.json", results)
    return 0 if results["status"] == "published" else 1


if __name__ == "__main__":
    sys.exit(main())
