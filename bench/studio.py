"""Studio pages: server time per page in the local mode (warm), page weight, cold import.

A month holding 200 posts on three accounts, and a crisis episode of 300
negative messages over a day, read through the route table on moto in this
process (as `portevoix local serve` runs it). Targets (issue 11):
calendar month p50 <= 30 ms, page weight <= 60 KB, the handler's cold import
<= 0.7 x `import boto3`.
"""

from __future__ import annotations

import gzip
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import arguments, compare, fake_aws_env, import_seconds  # noqa: E402

TARGETS = {
    "calendar_month_p50_ms": ("<=", 30.0),
    "page_weight_kb": ("<=", 60.0),
    "handler_import_ratio_to_boto3": ("<=", 0.7),
}
STATUSES = ("published", "approved", "awaiting_approval", "failed", "cancelled", "checking")


def seed(config: Any, month: datetime, count: int) -> None:
    from portevoix.core import store
    from portevoix.core.timeutil import iso
    from portevoix.publishing.posts import calendar_keys

    accounts = [a.key for a in config.accounts]
    items = []
    for n in range(count):
        when = month + timedelta(hours=9 + (n * 7) % 10, days=(n * 13) % 28)
        status = STATUSES[n % len(STATUSES)]
        post_id = f"20261201-{n:08x}"
        chosen = accounts[: 1 + n % len(accounts)]
        items.append(
            {
                **store.with_key(store.post_key(post_id)),
                **calendar_keys(when, post_id),
                "GSI1PK": store.posts_index(status),
                "GSI1SK": f"{iso(when)}#{post_id}",
                "post_id": post_id,
                "status": status,
                "title": f"Publication numéro {n} : lancement, coulisses & questions",
                "summary": f"Texte {n} #cyclia",
                "author": "camille@brand.example",
                "scheduled_at": iso(when),
                "accounts": chosen,
                "variants": {a: {"text": f"Texte {n} pour {a} #cyclia"} for a in chosen},
                "results": [
                    {"account": a, "status": "published", "url": f"https://m.example/@b/{n}"}
                    for a in chosen
                ]
                if status == "published"
                else [],
            }
        )
    store.batch_put(items)
    from portevoix.publishing.posts import changed

    changed()  # as posts.create does for each


def seed_crisis(messages: int, now: datetime) -> str:
    """An open episode that started a day ago, with ``messages`` negative messages in it."""
    from portevoix.core import store
    from portevoix.core.timeutil import iso
    from portevoix.inbox import episodes

    started = (now - timedelta(hours=24)).replace(minute=0, second=0, microsecond=0)
    words = ("batterie", "livraison", "remboursement", "incendie", "rappel", "site")
    items = []
    for n in range(messages):
        when = started + timedelta(minutes=n * 24 * 60 // messages)
        status = ("needs_reply", "replied", "ignored")[n % 3]
        items.append(
            {
                **store.with_key(store.mention_key(f"mastodon#crisis-{n}")),
                "GSI1PK": store.inbox_index(status),
                "GSI1SK": f"{iso(when)}#mastodon#crisis-{n}",
                "status": status,
                "source": "mastodon",
                "sentiment": "negative",
                "author_handle": f"@user{n}",
                "text": f"Ma {words[n % 6]} et le {words[(n * 5) % 6]} : inadmissible ({n})",
                "received_at": iso(when),
                "assigned_to": "camille@brand.example" if n % 4 == 0 else None,
                **({"response_seconds": 600 + n} if status == "replied" else {}),
            }
        )
        store.add_counts(when, {"negative": 1})
    store.batch_put(items)
    episode = episodes.open_or_continue("system", "surge", started, (40, 1.5, 10.0), now)
    return episode["episode_id"]


def run(posts: int, rounds: int) -> dict[str, Any]:
    fake_aws_env(TABLE_NAME="portevoix-bench", APPROVAL_BASE_URL="http://127.0.0.1:8787")
    from moto import mock_aws

    from portevoix.core import aws as pv_aws
    from portevoix_local.stack import create_table
    from tests.helpers import accounts, make_config

    config = make_config(
        accounts=accounts("masto", "bsky", "x"),
        charter={"default": {"weekly_target": 5}},
    )
    with mock_aws():
        pv_aws.reset()
        create_table("portevoix-bench")
        from portevoix.web import routes, sessions
        from portevoix.web.http import Request

        month = datetime(2026, 12, 1, tzinfo=UTC)
        seed(config, month, posts)
        episode_id = seed_crisis(300, datetime.now(UTC))
        session = sessions.start("camille@brand.example")
        cookies = {sessions.COOKIE: sessions.cookie_value(session.session_id)}

        browser = {"accept-encoding": "gzip, deflate, br"}  # what Chromium sends

        def get(path: str, query: dict[str, str]) -> tuple[float, Any]:
            started = time.perf_counter()
            answer = routes.handle(config, Request("GET", path, query, browser, cookies))
            return time.perf_counter() - started, answer

        pages = {
            "calendar_month": ("/calendar", {"date": "2026-12-10"}),
            "calendar_week": ("/calendar", {"view": "week", "date": "2026-12-10"}),
            "compose": ("/compose", {}),
            "post": ("/posts/20261201-00000000", {}),
            "crisis": (f"/crisis/{episode_id}", {}),
        }
        results: dict[str, Any] = {"posts_in_month": posts}
        weights = {}
        for name, (path, query) in pages.items():
            cold, _ = get(path, query)  # warm: templates compiled, modules imported, month read
            results[f"{name}_first_ms"] = round(cold * 1000, 1)
            samples = []
            for _ in range(rounds):
                seconds, answer = get(path, query)
                samples.append(seconds * 1000)
            assert answer.status == 200, (name, answer.status)
            samples.sort()
            results[f"{name}_p50_ms"] = round(statistics.median(samples), 1)
            results[f"{name}_p95_ms"] = round(samples[int(len(samples) * 0.95) - 1], 1)
            body = answer.body
            weights[name] = (
                len(gzip.decompress(body)) if isinstance(body, bytes) else len(body),
                len(body),
            )
        _, css = get("/static/studio.css", {})
        _, js = get("/static/studio.js", {})
        heaviest = max(weights, key=lambda k: weights[k][0])
        results["heaviest_page"] = heaviest
        # Page weight: what crosses the network for the heaviest page, its CSS and its script.
        results["page_weight_kb"] = round(
            (weights[heaviest][1] + len(css.body) + len(js.body)) / 1024, 1
        )
        results["page_html_uncompressed_kb"] = round(weights[heaviest][0] / 1024, 1)
        results["css_js_uncompressed_kb"] = round(
            (len(gzip.decompress(css.body)) + len(gzip.decompress(js.body))) / 1024, 1
        )
    handler = import_seconds("functions.approval.app")
    first_request = import_seconds("functions.approval.app, portevoix.web.routes, jinja2")
    boto3 = import_seconds("boto3")
    results["handler_import_ms"] = round(handler * 1000, 1)
    results["first_request_imports_ms"] = round(first_request * 1000, 1)
    results["boto3_import_ms"] = round(boto3 * 1000, 1)
    results["handler_import_ratio_to_boto3"] = round(handler / boto3, 2)
    return results


def main() -> int:
    args = arguments(
        __doc__,
        ("--posts", {"type": int, "default": 200}),
        ("--rounds", {"type": int, "default": 40}),
    )
    results = run(args.posts, args.rounds)
    return compare(results, TARGETS, "baseline-studio.json", args.save)


if __name__ == "__main__":
    sys.exit(main())
