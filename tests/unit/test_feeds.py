"""Parsing and normalisation of feed entries."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from portevoix.core.errors import FeedParseError
from portevoix.listening import feeds


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://Example.COM/a?utm_source=x&id=3&fbclid=y#top", "https://example.com/a?id=3"),
        ("http://example.com:80/p", "http://example.com/p"),
        ("https://example.com:8443/p", "https://example.com:8443/p"),
        ("https://example.com", "https://example.com/"),
        ("/relative/path", "https://base.example/relative/path"),
        ("javascript:alert(1)", None),
        ("data:text/html,<script>", None),
        ("mailto:a@b.c", None),
        ("", None),
    ],
)
def test_canonical_links(link: str, expected: str | None) -> None:
    assert feeds.canonical_link(link, "https://base.example/feed") == expected


def test_item_ids_are_stable_and_scoped() -> None:
    by_url_guid = feeds.item_id_for("f1", "https://ex.com/a?utm_medium=rss", None, "")
    by_link = feeds.item_id_for("f2", None, "https://ex.com/a", "")
    assert by_url_guid == by_link  # the same article from two feeds is one item
    assert feeds.item_id_for("f1", "42", None, "") != feeds.item_id_for("f2", "42", None, "")


def test_html_to_text_drops_markup_and_scripts() -> None:
    html = "<p>Bonjour&nbsp;<b>vous</b></p><script>alert(1)</script><style>p{}</style><ul><li>un</li><li>deux</li></ul>"
    assert feeds.html_to_text(html) == "Bonjour vous un deux"


def test_rss_dates_become_utc_and_links_canonical() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
    <item><title>A &amp; B</title><link>https://ex.com/a?utm_campaign=z</link>
    <pubDate>Sat, 28 Nov 2026 10:00:00 +0200</pubDate>
    <description>&lt;p onclick="x()"&gt;Hi&lt;/p&gt;&lt;script&gt;bad()&lt;/script&gt;</description></item>
    </channel></rss>"""
    parsed = feeds.parse(body, url="https://ex.com/feed", feed_key="k")
    (entry,) = parsed.entries
    assert entry.title == "A & B"
    assert entry.link == "https://ex.com/a"
    assert entry.published == datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    assert entry.summary_text == "Hi"
    assert "onclick" not in entry.summary_html and "script" not in entry.summary_html


def test_json_feed_is_read_and_its_html_sanitised() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "J",
            "items": [
                {
                    "id": "1",
                    "url": "https://ex.com/1",
                    "title": "Un",
                    "content_html": '<p>ok</p><img src="x" onerror="alert(1)"><a href="javascript:x">l</a>',
                    "date_published": "2026-11-28T10:00:00+01:00",
                },
                {"id": "2", "content_text": "Sans titre ni lien"},
                "not an item",
            ],
        }
    ).encode()
    parsed = feeds.parse(
        body,
        url="https://ex.com/feed.json",
        feed_key="k",
        headers={"Content-Type": "application/feed+json"},
    )
    assert [e.title for e in parsed.entries] == ["Un", "Sans titre ni lien"]
    first = parsed.entries[0]
    assert first.published == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert "onerror" not in first.summary_html and "javascript" not in first.summary_html
    assert parsed.warning  # the non-object item is reported, not fatal


def test_ill_formed_feed_keeps_its_entries_with_a_warning() -> None:
    body = """<rss version="2.0"><channel><title>T</title>
    <item><title>Gardé</title><link>https://ex.com/1</link></item>
    <item><title>Aussi & gardé</title><link>https://ex.com/2</link></item>""".encode()
    parsed = feeds.parse(body, url="https://ex.com/f", feed_key="k")
    assert [e.title for e in parsed.entries] == ["Gardé", "Aussi & gardé"]
    assert parsed.warning


def test_html_page_advertising_a_feed_is_followed() -> None:
    page = b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>'
    parsed = feeds.parse(
        page, url="https://site.example/blog/", feed_key="k", headers={"Content-Type": "text/html"}
    )
    assert parsed.alternate == "https://site.example/feed.xml"


def test_garbage_is_a_clear_error() -> None:
    with pytest.raises(FeedParseError, match="not a feed"):
        feeds.parse(b"\x00\x01 plain garbage", url="https://ex.com/f", feed_key="k")
