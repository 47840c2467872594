"""Cost benchmark: what one unit of work costs in AWS terms, through the real handlers on moto.

Measures the keys of ``portevoix.cost.USAGE`` (DynamoDB read and write
units as on-demand bills them, Lambda milliseconds, log bytes, transitions,
emails) for a poll of feeds, the stream consumer, the digest, the weekly
report, the engagement reads and a post through the publish workflow, then
prints them beside the model's values and the estimate for
``config/example.yaml``. Exits 1 when the model underestimates a
measurement by more than 25 %. Usage: python bench/cost.py [--save]
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import CapacityMeter, arguments, baseline, fake_aws_env, save  # noqa: E402

FEEDS, ITEMS = 40, 20
TOLERANCE = 0.25


def feed(n: int, now: datetime) -> bytes:
    from email.utils import format_datetime

    items = "".join(
        f"<item><title>Article {n}-{i}{' sur Porte-voix' if i % 5 == 0 else ''}"
        f"{' et Hootsuite' if i % 7 == 0 else ''}</title>"
        f"<link>https://site{n}.example/{i}</link><guid>https://site{n}.example/{i}</guid>"
        f"<pubDate>{format_datetime(now)}</pubDate>"
        f"<description>Un réseau social, une actualité numéro {i} avec assez de texte pour ressembler "
        f"à un vrai résumé d'article de presse en ligne.</description></item>"
        for i in range(ITEMS)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>'
        f"<link>https://site{n}.example/</link>{items}</channel></rss>"
    ).encode()


class _Metrics:
    """A network that answers engagement reads (the collector's cost is on the AWS side)."""

    def metrics(self, ref: str) -> Any:
        from portevoix.networks import Metrics

        return Metrics(ref, likes=3, shares=1, replies=2)


@contextlib.contextmanager
def captured(logger: Any):
    """Bytes a handler writes to CloudWatch: its log lines and EMF documents."""
    out = io.StringIO()
    handler = logger.registered_handler
    old = handler.setStream(out)
    try:
        with contextlib.redirect_stdout(out):
            yield out
    finally:
        handler.setStream(old)


def measure_handlers() -> dict[str, float]:
    import yaml
    from moto import mock_aws

    from portevoix.core import aws, runtime, store
    from portevoix.reporting import digest, engagement, report
    from portevoix_local.schedules import job_event as schedule_event
    from portevoix_local.stack import FeedServer, LambdaContext, StreamPump, create_table
    from tests.helpers import make_config

    now = datetime.now(UTC)
    routes = {f"/f{n}.xml": (feed(n, now), "application/rss+xml") for n in range(FEEDS)}
    tmp = Path(tempfile.mkdtemp())
    out: dict[str, float] = {}
    with FeedServer(routes) as server, mock_aws():
        config = make_config(
            feeds=[{"url": server.url(p), "id": f"f{i}"} for i, p in enumerate(routes)],
            accounts=[
                {
                    "network": "mastodon",
                    "id": "masto",
                    "instance": "http://127.0.0.1:9",
                    "secret": "env:T",
                    "read": False,  # its engagement is read through a stand-in below
                }
            ],
        )
        path = tmp / "portevoix.yaml"
        path.write_text(yaml.safe_dump(config.model_dump(mode="json")), encoding="utf-8")
        fake_aws_env(
            TABLE_NAME="bench-cost",
            PORTEVOIX_CONFIG_FILE=str(path),
            POWERTOOLS_LOG_LEVEL="INFO",
            POWERTOOLS_METRICS_DISABLED="false",
            T="token",
        )
        aws.reset()
        runtime.reset()
        create_table("bench-cost")
        aws.client("ses").verify_email_identity(EmailAddress=config.sender)
        from functions.reply.app import lambda_handler as reply
        from functions.reply.app import logger as reply_logger
        from functions.veille.app import lambda_handler as veille
        from functions.veille.app import logger as veille_logger

        config = runtime.config()
        meter = CapacityMeter(aws.client("dynamodb"))
        pump = StreamPump("bench-cost")

        # A poll that finds everything new, then one that finds nothing (every feed answers 304).
        with captured(veille_logger) as logs:
            started = time.perf_counter()
            first = veille(schedule_event("veille"), LambdaContext("bench-veille"))
            first_ms = 1000 * (time.perf_counter() - started)
        rru1, wru1, _ = meter.snapshot()
        meter.reset()
        with captured(veille_logger) as logs2:
            started = time.perf_counter()
            veille(schedule_event("veille"), LambdaContext("bench-veille"))
            idle_ms = 1000 * (time.perf_counter() - started)
        rru2, _, _ = meter.snapshot()
        new = first["new_items"]
        out["poll.rru_per_feed"] = rru2 / FEEDS
        out["poll.rru_per_new_item"] = (rru1 - rru2) / new
        out["poll.wru_per_new_item"] = wru1 / new
        out["poll.lambda_ms_per_fetch"] = idle_ms / FEEDS
        out["poll.lambda_ms_per_new_item"] = (first_ms - idle_ms) / new
        out["poll.log_bytes_per_run"] = max(len(logs.getvalue()), len(logs2.getvalue()))

        # The stream consumer files each new mention.
        mentions = first["mentions"]
        meter.reset()
        with captured(reply_logger) as logs:
            started = time.perf_counter()
            pump.pump(reply)
            reply_ms = 1000 * (time.perf_counter() - started)
        rru, wru, _ = meter.snapshot()
        out["reply.rru_per_mention"] = rru / mentions
        out["reply.wru_per_mention"] = wru / mentions
        out["reply.lambda_ms_per_mention"] = reply_ms / mentions
        out["reply.log_bytes_per_mention"] = len(logs.getvalue()) / mentions

        meter.reset()
        digest.send(config)
        out["digest.rru_per_item"] = meter.snapshot()[0] / new

        # Posts published this week, read back by the collector.
        posts = 20
        store.batch_put(
            [
                {
                    "PK": f"POST#b{i}",
                    "SK": "PUB#masto",
                    "GSI1PK": "PUBLISHED#masto",
                    "GSI1SK": f"{now:%Y-%m-%dT%H}:{i:02d}:00Z",
                    "published_at": f"{now:%Y-%m-%dT%H}:{i:02d}:00Z",
                    "status": "published",
                    "ref": str(i),
                    "url": f"https://masto.example/@brand/{i}",
                    "account": "masto",
                    "network": "mastodon",
                }
                for i in range(posts)
            ]
        )
        meter.reset()
        engagement.collect(config, networks={"masto": _Metrics()})
        rru, wru, _ = meter.snapshot()
        out["engagement.rru_per_post"] = rru / posts
        out["engagement.wru_per_post"] = wru / posts

        # The report of an empty week costs its fixed reads (hourly counters, crisis
        # alerts); the report of this week adds what its mentions cost.
        meter.reset()
        started = time.perf_counter()
        report.send(config, report.Week.parse("2020-W10", config.tz), now)
        empty_ms = 1000 * (time.perf_counter() - started)
        fixed = meter.snapshot()[0]
        meter.reset()
        started = time.perf_counter()
        report.send(config, report.Week.containing(now, config.tz), now)
        full_ms = 1000 * (time.perf_counter() - started)
        out["report.rru_per_run"] = fixed
        out["report.rru_per_mention"] = (meter.snapshot()[0] - fixed) / mentions
        out["report.lambda_ms_per_run"] = empty_ms
        out["report.lambda_ms_per_mention"] = max(0.0, full_ms - empty_ms) / mentions
        out["_new_items"], out["_mentions"] = new, mentions
    import os

    del os.environ["PORTEVOIX_CONFIG_FILE"]  # the publish bench reads its own from SSM
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    return out


def measure_post() -> dict[str, float]:
    from bench import publish

    result = publish.run()
    n = result["networks"]
    return {
        "post.transitions_per_network": result["state_transitions"] / n,
        "post.rru_per_network": result["dynamodb_rru"] / n,
        "post.wru_per_network": result["dynamodb_wru"] / n,
        "post.lambda_invocations_per_network": result["lambda_tasks"] / n,
        "post.emails": result["emails"],
    }


def main() -> int:
    args = arguments(__doc__)
    results = {k: round(v, 3) for k, v in {**measure_handlers(), **measure_post()}.items()}
    from portevoix.core.config import load_config
    from portevoix_local import cost

    base = baseline("baseline-cost.json")
    drift = []
    print(f"{'usage':32} {'measured':>10} {'model':>10} {'baseline':>10}")
    for key, value in results.items():
        model = cost.USAGE.get(key)
        print(
            f"{key:32} {value:>10} {model if model is not None else '':>10} {base.get(key, ''):>10}"
        )
        if model is not None and value > model * (1 + TOLERANCE):
            drift.append(f"{key}: measured {value}, the model says {model}")
    est = cost.estimate(cost.Workload.from_config(load_config(ROOT / "config" / "example.yaml")))
    print()
    print(cost.render(est))
    results["example_total_usd"] = round(est.total, 2)
    results["example_total_without_free_tier_usd"] = round(est.total_without_free_tier, 2)
    if drift:
        print("\nThe cost model underestimates (update portevoix/cost.py USAGE):")
        print("\n".join(f"  {d}" for d in drift))
    if args.save:
        save("baseline-cost.json", results)
    print(json.dumps({"example_total_usd": results["example_total_usd"]}))
    return 1 if drift else 0


if __name__ == "__main__":
    sys.exit(main())
