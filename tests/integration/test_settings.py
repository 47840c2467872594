"""The studio's Settings: add a feed (found from a site's page) and keywords, refuse what is
invalid with the field named, show the diff before saving, refuse a stale save, restore."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import yaml

from portevoix.core import configstore
from tests.integration.test_connect import stack  # noqa: F401 - the studio on the SSM config
from tests.integration.test_studio import Browser, studio  # noqa: F401

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Vélo Mag</title>
<link>https://velo.example/</link><item><title>Cyclia lance l'Urban 3</title>
<link>https://velo.example/urban3</link></item></channel></rss>""".encode()
PAGE = """<!doctype html><html><head><title>Vélo Mag</title>
<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body>Hi</body></html>""".encode()


def form_of(browser: Browser, page: Any) -> dict[str, str]:
    return {"csrf": browser.field(page, "csrf")}


def confirm(browser: Browser, review: Any) -> Any:
    body = str(review.body)
    text = unescape(re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', body, re.S).group(1))
    return browser.go(
        "POST",
        "/settings/save",
        {
            "csrf": browser.field(review, "csrf"),
            "based_on": browser.field(review, "based_on"),
            "note": unescape(browser.field(review, "note")),
            "text": text,
        },
    )


def test_a_feed_found_from_a_site_page_and_a_keyword_are_added_after_a_diff(
    stack: dict[str, Any],  # noqa: F811
    feed_server: Any,
) -> None:
    feed_server.set("/site.html", PAGE, "text/html; charset=utf-8")
    feed_server.set("/feed.xml", RSS)
    browser = stack["browser"]
    page = browser.go("GET", "/settings")
    assert page.status == 200
    _, before = configstore.current()
    review = browser.go(
        "POST",
        "/settings/feeds",
        {**form_of(browser, page), "url": feed_server.url("/site.html"), "topics": "vélo"},
    )
    assert review.status == 200, review.body
    diff = unescape(str(review.body))
    assert f"+- url: {feed_server.url('/feed.xml')}" in diff and "+  name: Vélo Mag" in diff
    assert configstore.current()[1] == before  # nothing saved before "Save"
    saved = confirm(browser, review)
    assert saved.status == 303
    data = yaml.safe_load(configstore.current()[0])
    assert data["feeds"] == [
        {"url": feed_server.url("/feed.xml"), "name": "Vélo Mag", "topics": ["vélo"]}
    ]
    page = browser.go("GET", saved.headers["Location"])
    assert f"version {before + 1}" in unescape(str(page.body)).lower()

    review = browser.go(
        "POST", "/settings/topics", {**form_of(browser, page), "value": "vélo: vélo, Urban 3"}
    )
    confirm(browser, review)
    assert yaml.safe_load(configstore.current()[0])["topics"] == {"vélo": ["vélo", "Urban 3"]}


def test_invalid_settings_are_refused_with_the_field_named(
    stack: dict[str, Any],  # noqa: F811
    feed_server: Any,
) -> None:
    browser = stack["browser"]
    page = browser.go("GET", "/settings")
    _, before = configstore.current()
    empty = browser.go("POST", "/settings/topics", {**form_of(browser, page), "value": "vélo:"})
    assert empty.status == 422
    assert "topics: topic &#39;vélo&#39; has no keywords" in str(empty.body)
    assert "vélo:" in str(empty.body)  # what was typed is still there
    team = browser.go(
        "POST", "/settings/team", {**form_of(browser, page), "value": "- email: not-an-email"}
    )
    assert team.status == 422 and "team[0].email" in str(team.body)
    broken = browser.go(
        "POST", "/settings/charter", {**form_of(browser, page), "value": "default: [unclosed"}
    )
    assert broken.status == 422 and "charter: not valid YAML (line 1" in unescape(str(broken.body))
    feed_server.set("/plain.html", b"<html><body>no feed here</body></html>", "text/html")
    nofeed = browser.go(
        "POST", "/settings/feeds", {**form_of(browser, page), "url": feed_server.url("/plain.html")}
    )
    assert nofeed.status == 422 and "feeds: " in str(nofeed.body)
    assert configstore.current()[1] == before


def test_a_stale_save_is_refused_and_an_old_version_restored(
    stack: dict[str, Any],  # noqa: F811
) -> None:
    browser = stack["browser"]
    page = browser.go("GET", "/settings")
    first_text, first = configstore.current()
    one = browser.go(
        "POST", "/settings/competitors", {**form_of(browser, page), "value": "Hootsuite: HS"}
    )
    two = browser.go("POST", "/settings/competitors", {**form_of(browser, page), "value": "Buffer"})
    assert confirm(browser, one).status == 303
    stale = confirm(browser, two)  # prepared on the version before one's save
    assert stale.status == 409 and "changed since you opened it" in str(stale.body)
    assert yaml.safe_load(configstore.current()[0])["competitors"] == [
        {"name": "Hootsuite", "aliases": ["HS"]}
    ]
    page = browser.go("GET", "/settings")
    review = browser.go(
        "POST", "/settings/restore", {**form_of(browser, page), "version": str(first)}
    )
    assert review.status == 200 and "-- name: Hootsuite" in unescape(str(review.body))
    assert confirm(browser, review).status == 303
    text, now = configstore.current()
    assert text == first_text and now == first + 2
    assert configstore.history()[0].note.endswith(f"restored version {first}")
