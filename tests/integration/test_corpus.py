"""The shared real-world and hostile feed corpora, fetched over HTTP and stored."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import feedparser
import pytest

from portevoix.core import store
from portevoix.listening.poller import poll
from portevoix.reporting import digest
from portevoix_local.stack import FeedServer
from tests.helpers import RequestCounter, make_config, shared_path

pytestmark = pytest.mark.slow
NOW = datetime.now(UTC).replace(microsecond=0)
_SKIP = {"LICENSE", "LICENSE-MIT", "SOURCE.txt"}


def corpus(name: str) -> list[Path]:
    root = shared_path("data", "feeds", name)
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name not in _SKIP)


def content_type(path: Path) -> str:
    return {
        ".json": "application/feed+json",
        ".html": "text/html",
        ".htm": "text/html",
    }.get(path.suffix, "application/xml")


def serve_and_poll(server: FeedServer, files: list[Path], **config: Any) -> tuple[Any, Any, dict]:
    keys = {}
    feeds = []
    for i, path in enumerate(files):
        route = f"/{i}/{path.name}"
        server.set(route, path.read_bytes(), content_type(path))
        key = f"f{i}"
        keys[key] = path
        feeds.append({"id": key, "url": server.url(route)})
    cfg = make_config(feeds=feeds, fetch={"concurrency": 16}, **config)
    return cfg, poll(cfg, NOW), keys


def stored_ids(ids: list[str]) -> set[str]:
    return {i["PK"][5:] for i in store.batch_get([(f"ITEM#{x}", "ITEM") for x in ids], "PK")}


class SafetyCheck(HTMLParser):
    """Collects what would execute if this HTML reached a browser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in (
            "script",
            "iframe",
            "object",
            "embed",
            "applet",
            "frame",
            "base",
            "meta",
            "link",
        ):
            if tag != "meta" or any(k == "http-equiv" for k, _ in attrs):
                self.problems.append(f"<{tag}>")
        for key, value in attrs:
            if key.startswith("on"):
                self.problems.append(f"{tag}[{key}]")
            compact = re.sub(r"[\s\x00-\x1f]+", "", (value or "")).lower()
            if key in ("href", "src", "action", "formaction", "xlink:href", "background", "style"):
                if compact.startswith(("javascript:", "vbscript:", "data:text/html")) or (
                    "expression(" in compact or "javascript:" in compact
                ):
                    self.problems.append(f"{tag}[{key}]={value!r}")


def unsafe(html: str) -> list[str]:
    checker = SafetyCheck()
    checker.feed(html)
    checker.close()
    return checker.problems


def test_every_real_world_feed_is_parsed_and_every_entry_stored_once(
    aws: Any, feed_server: FeedServer, ddb_requests: RequestCounter
) -> None:
    files = corpus("real-world")
    assert len(files) >= 60
    cfg, report, keys = serve_and_poll(feed_server, files)
    failed = {f["feed"]: f["error"] for f in report.failed}
    for key, error in failed.items():
        body = keys[key].read_bytes()
        parsed = feedparser.parse(body)
        # Only documents that are no feed at all may fail, and they say so.
        assert not parsed.entries and not parsed.version, (keys[key].name, error)
        assert "not a feed" in error

    from portevoix.listening import feeds as feedmod

    union: set[str] = set()
    for key, path in keys.items():
        if key in failed:
            continue
        body = path.read_bytes()
        url = next(f.url for f in cfg.feeds if f.key == key)
        ours = feedmod.parse(
            body, url=url, feed_key=key, headers={"content-type": content_type(path)}
        )
        if path.suffix != ".json":
            assert len(ours.entries) == len(feedparser.parse(body).entries), path.name
        ids = [e.item_id for e in ours.entries]
        distinct = {(e.title, e.summary_text, e.published) for e in ours.entries}
        assert len(set(ids)) == len(distinct), f"{path.name}: different entries merged"
        assert stored_ids(ids) == set(ids), f"{path.name}: entries not stored"
        union |= set(ids)
    assert report.new_items == len(union) >= 100

    ddb_requests.reset()
    again = poll(cfg, NOW + timedelta(minutes=15))
    assert again.not_modified == len(files) - len(failed)
    assert again.new_items == 0
    # Only the failing documents' states are rewritten (their failure count grows).
    assert ddb_requests.written_kinds() <= {"FEED"} and len(ddb_requests.written) == len(failed)


def test_hostile_html_never_survives_in_storage_or_the_digest(
    aws: Any, feed_server: FeedServer
) -> None:
    files = corpus("sanitize")
    assert len(files) >= 700
    cfg, report, keys = serve_and_poll(feed_server, files, digest={"max_items_per_group": 100})
    assert not report.failed, report.failed[:3]
    from portevoix.core import aws as pv_aws

    rows: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": store.table_name()}
    while True:  # test-only scan of what was stored
        resp = pv_aws.client("dynamodb").scan(**kwargs)
        rows += [store.from_ddb(i) for i in resp["Items"]]
        if not resp.get("LastEvaluatedKey"):
            break
        kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
    stored = [r for r in rows if r["SK"] == "ITEM"]
    expected = sum(len(feedparser.parse(p.read_bytes()).entries) for p in files)
    assert len(stored) == expected > 500  # every entry, none merged, none lost
    for item in stored:
        for field in ("title", "summary", "author"):
            text = item.get(field) or ""
            assert "<script" not in text.lower() and not re.search(r"<\w+[^>]*\son\w+\s*=", text), (
                item["feed"],
                field,
                text,
            )
        assert not unsafe(item.get("summary_html") or ""), (
            keys[item["feed"]].name,
            item["summary_html"],
        )

    for lang in ("fr", "en"):
        rendered = digest.render(cfg, digest.build(cfg, NOW + timedelta(minutes=1), lang))
        assert not unsafe(rendered.html)
        assert rendered.html.count("<script") == 0


@pytest.mark.parametrize("name", ["illformed", "real-world-more"])
def test_ill_formed_and_odd_feeds_never_crash_a_poll(
    aws: Any, feed_server: FeedServer, name: str
) -> None:
    files = corpus(name)
    cfg, report, keys = serve_and_poll(feed_server, files)
    assert report.polled == len(files)
    for failure in report.failed:
        assert failure["error"] and len(failure["error"]) < 600
    assert report.new_items > 0
    assert len(report.failed) < len(files) / 4


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href=" java\nscript:alert(1)">x</a>',
        '<div style="width: expression(alert(1))">x</div>',
        '<iframe src="https://evil.example"></iframe>',
    ],
)
def test_the_safety_check_itself_catches_hostile_html(html: str) -> None:
    assert unsafe(html)
