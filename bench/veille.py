"""Veille benchmark: 200 local feeds of 50 items, two polls through the real code on moto.

Prints items per second, DynamoDB requests per new item, the share of 304s
on the second poll, peak memory, and the veille handler's cold import time
as a ratio to ``import boto3`` in the same run; then the scale run: the
whole ``portevoix veille`` command of the local mode on 1,000 loopback feeds
of 20 items, twice, against the fetch-and-parse floor measured in the same
run (first poll <= 3 x that floor, second <= 2 x the 304 fetch floor + 5 s).
Compares each with bench/baseline.json and with the targets; exit 1 if a
target is missed. Usage: python bench/veille.py [--feeds N] [--items N]
[--scale-feeds N] [--scale-items N] [--save]
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import arguments, baseline, fake_aws_env, import_seconds, save  # noqa: E402

TARGETS = {  # metric: (comparison, value)
    "ddb_requests_per_new_item": ("<=", 0.1),
    "second_poll_304_share": (">=", 1.0),
    "handler_import_ratio_to_boto3": ("<=", 1.5),
    "scale_first_ratio_to_floor": ("<=", 3.0),
    "scale_second_over_budget_s": ("<=", 0.0),
}
LOREM = (
    "Le community management demande de suivre les réseaux sociaux, la presse et les blogs. "
    "Notre outil regroupe ces sources et signale ce qui compte pour la marque. "
) * 3


def feed_body(n: int, items: int, now: datetime) -> bytes:
    entries = "".join(
        f"<item><title>Article {n}-{i}: {'Porte-voix' if i % 10 == 0 else 'actualité'} du jour</title>"
        f"<link>https://site{n}.example/articles/{i}?utm_source=rss</link>"
        f"<guid>https://site{n}.example/articles/{i}</guid>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=i * 7), usegmt=True)}</pubDate>"
        f"<description>{escape('<p>' + LOREM + '</p>')}</description></item>"
        for i in range(items)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Site {n}</title>'
        f"<link>https://site{n}.example/</link>{entries}</channel></rss>"
    ).encode()


def import_times(runs: int = 7) -> dict[str, float]:
    handler = import_seconds("functions.veille.app", runs)
    boto3 = import_seconds("boto3", runs)
    return {
        "handler_import_ms": round(handler * 1000, 1),
        "boto3_import_ms": round(boto3 * 1000, 1),
        "handler_import_ratio_to_boto3": round(handler / boto3, 2),
    }


def run(feeds: int, items: int) -> dict[str, float]:
    fake_aws_env(TABLE_NAME="portevoix-bench")
    from moto import mock_aws

    from portevoix.core import aws
    from portevoix.core.config import Config
    from portevoix.listening.poller import poll
    from portevoix_local.stack import FeedServer, create_table

    now = datetime.now(UTC).replace(microsecond=0)
    calls: list[str] = []
    with mock_aws(), FeedServer() as server:
        aws.reset()
        create_table("portevoix-bench")
        aws.client("dynamodb").meta.events.register(
            "before-call.dynamodb.*", lambda event_name, **_: calls.append(event_name)
        )
        for n in range(feeds):
            server.set(f"/{n}.rss", feed_body(n, items, now))
        config = Config.model_validate(
            {
                "brand": {"name": "Porte-voix"},
                "sender": "bench@brand.example",
                "team": [{"email": "cm@brand.example"}],
                "topics": {"réseaux": ["réseaux sociaux"]},
                "feeds": [{"id": f"f{n}", "url": server.url(f"/{n}.rss")} for n in range(feeds)],
                "fetch": {"allow_private_networks": True},
            }
        )
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        first = poll(config, now)
        t1 = time.perf_counter()
        requests_first = len(calls)
        second = poll(config, now + timedelta(minutes=15))
        t2 = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert not first.failed, first.failed[:3]
    return {
        "feeds": feeds,
        "items_per_feed": items,
        "new_items": first.new_items,
        "first_poll_s": round(t1 - t0, 2),
        "items_per_second": round(first.new_items / (t1 - t0), 1),
        "second_poll_s": round(t2 - t1, 2),
        "ddb_requests_first_poll": requests_first,
        "ddb_requests_second_poll": len(calls) - requests_first,
        "ddb_requests_per_new_item": round(len(calls) / max(1, first.new_items), 4),
        "second_poll_304_share": round(second.not_modified / max(1, second.polled), 3),
        "peak_rss_mb": round(peak / 1024, 1),
        "rss_growth_mb": round((peak - rss_before) / 1024, 1),
    }


def _stack_peak_kb(home: Path) -> int:
    """The peak memory of the local stack the commands started in the background."""
    import json

    try:
        pid = json.loads((home / "serve.json").read_text())["pid"]
        status = Path(f"/proc/{pid}/status").read_text()
    except (OSError, KeyError, ValueError):
        return 0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1])


def scale_run(feeds: int, items: int) -> dict[str, float]:
    """The local mode's whole command against what fetching and parsing alone cost."""
    import shutil
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    import yaml

    from portevoix.core.http import AddressPolicy, Fetcher, Limits
    from portevoix.listening import feeds as feedmod
    from portevoix_local.stack import FeedServer

    now = datetime.now(UTC).replace(microsecond=0)
    folder = Path(tempfile.mkdtemp(prefix="pv-scale-"))
    try:
        with FeedServer() as server:
            urls = [server.url(f"/{n}.rss") for n in range(feeds)]
            for n in range(feeds):
                server.set(f"/{n}.rss", feed_body(n, items, now))
            fetcher = Fetcher(AddressPolicy(allow_private=True), Limits(), pool_size=16)

            def fetch_parse(n: int) -> tuple[str | None, str | None]:
                resp = fetcher.get(urls[n])
                feedmod.parse(resp.body, url=urls[n], feed_key=f"f{n}", headers=resp.headers)
                return resp.headers.get("etag"), resp.headers.get("last-modified")

            t0 = time.perf_counter()
            with ThreadPoolExecutor(16) as pool:
                validators = list(pool.map(fetch_parse, range(feeds)))
            floor = time.perf_counter() - t0
            t0 = time.perf_counter()
            with ThreadPoolExecutor(16) as pool:
                statuses = list(
                    pool.map(
                        lambda n: (
                            fetcher.get(
                                urls[n], etag=validators[n][0], last_modified=validators[n][1]
                            ).status
                        ),
                        range(feeds),
                    )
                )
            fetch_floor = time.perf_counter() - t0
            assert set(statuses) == {304}, set(statuses)
            config = folder / "brand.yaml"
            config.write_text(
                yaml.safe_dump(
                    {
                        "brand": {"name": "Porte-voix"},
                        "sender": "bench@brand.example",
                        "team": [{"email": "cm@brand.example"}],
                        "feeds": [{"id": f"f{n}", "url": u} for n, u in enumerate(urls)],
                        "fetch": {"allow_private_networks": True},
                    }
                ),
                encoding="utf-8",
            )
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PORTEVOIX_"))},
                "PORTEVOIX_HOME": str(folder / "home"),
            }
            command = [
                sys.executable,
                "-m",
                "portevoix_local.cli",
                "veille",
                "--config",
                str(config),
            ]
            timings = []
            for _ in range(2):
                t0 = time.perf_counter()
                done = subprocess.run(command, env=env, capture_output=True, text=True)
                timings.append(time.perf_counter() - t0)
                assert done.returncode == 0, done.stderr[-2000:]
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            stack_peak = _stack_peak_kb(folder / "home")
            subprocess.run([*command[:3], "local", "stop"], env=env, capture_output=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    first, second = timings
    return {
        "scale_feeds": feeds,
        "scale_items": feeds * items,
        "scale_fetch_parse_floor_s": round(floor, 2),
        "scale_fetch_304_floor_s": round(fetch_floor, 2),
        "scale_first_command_s": round(first, 2),
        "scale_first_ratio_to_floor": round(first / floor, 2),
        "scale_second_command_s": round(second, 2),
        "scale_second_budget_s": round(2 * fetch_floor + 5, 2),
        "scale_second_over_budget_s": round(second - (2 * fetch_floor + 5), 2),
        "scale_command_peak_rss_mb": round(peak / 1024, 1),
        "scale_stack_peak_rss_mb": round(stack_peak / 1024, 1),
    }


def main() -> int:
    args = arguments(
        __doc__,
        ("--feeds", {"type": int, "default": 200}),
        ("--items", {"type": int, "default": 50}),
        ("--scale-feeds", {"type": int, "default": 1000}),
        ("--scale-items", {"type": int, "default": 20}),
    )

    results = run(args.feeds, args.items)
    results.update(import_times())
    if args.scale_feeds:
        results.update(scale_run(args.scale_feeds, args.scale_items))
    base_values = baseline("baseline.json")
    failed = False
    print(f"{'metric':34} {'value':>10} {'baseline':>10}  target")
    for key, value in results.items():
        base = base_values.get(key)
        target = TARGETS.get(key)
        verdict = ""
        if target:
            op, limit = target
            ok = value <= limit if op == "<=" else value >= limit
            failed |= not ok
            verdict = f"{op} {limit}  {'ok' if ok else 'MISSED'}"
        base_s = "" if base is None else f"{base:>10}"
        print(f"{key:34} {value:>10} {base_s:>10}  {verdict}")
    if args.save:
        save("baseline.json", results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
