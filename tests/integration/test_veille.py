"""One poll through the real code: local feed servers in, moto's DynamoDB out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import store
from portevoix.listening.poller import Poller, poll
from tests.helpers import ChaosServer, RequestCounter, make_config, respond, rss

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def items() -> list[dict[str, Any]]:
    """Every stored item (test-only scan)."""
    from portevoix.core import aws

    resp = aws.client("dynamodb").scan(TableName=store.table_name())
    rows = [store.from_ddb(i) for i in resp["Items"]]
    return [r for r in rows if r["SK"] == "ITEM"]


def mentions() -> list[dict[str, Any]]:
    return store.query_gsi1("INBOX#new")


def state(key: str) -> dict[str, Any] | None:
    return store.get(f"FEED#{key}", "STATE")


def feeds_config(*feeds: dict[str, Any], **kw: Any) -> Any:
    return make_config(feeds=list(feeds), **kw)


def test_first_poll_stores_and_tags_second_poll_writes_nothing(
    aws: Any, feed_server: Any, ddb_requests: RequestCounter
) -> None:
    feed_server.set(
        "/a.rss",
        rss(
            [
                ("Porte-voix arrive sur Mastodon", "https://news.example/pv?utm_source=rss"),
                ("Hootsuite augmente ses prix", "https://news.example/hs"),
                ("Un nouveau réseau social européen", "https://news.example/rs"),
                ("La météo de demain", "https://news.example/meteo"),
            ]
        ),
    )
    feed_server.set("/b.rss", rss([("Merci @portevoix pour l'aide", "https://blog.example/1")]))
    config = feeds_config(
        {"id": "a", "url": feed_server.url("/a.rss")},
        {"id": "b", "url": feed_server.url("/b.rss"), "topics": ["blogs"]},
    )
    report = poll(config, NOW)
    assert (report.fetched, report.new_items, report.mentions, report.failed) == (2, 5, 2, [])
    by_title = {i["title"]: i for i in items()}
    assert by_title["Porte-voix arrive sur Mastodon"]["brand"] is True
    assert by_title["Porte-voix arrive sur Mastodon"]["topics"] == ["réseaux"]
    assert by_title["Porte-voix arrive sur Mastodon"]["link"] == "https://news.example/pv"
    assert by_title["Hootsuite augmente ses prix"]["competitors"] == ["Hootsuite"]
    assert by_title["Un nouveau réseau social européen"]["topics"] == ["réseaux"]
    assert by_title["Merci @portevoix pour l'aide"]["topics"] == ["blogs"]
    assert by_title["La météo de demain"]["brand"] is False
    assert by_title["La météo de demain"]["GSI1PK"] == "DAY#2026-11-28"
    assert sorted(m["title"] for m in mentions()) == [
        "Merci @portevoix pour l'aide",
        "Porte-voix arrive sur Mastodon",
    ]
    assert all(m["source"] == "rss" and m["status"] == "new" for m in mentions())

    ddb_requests.reset()
    second = poll(config, NOW + timedelta(minutes=15))
    assert (second.not_modified, second.fetched, second.new_items) == (2, 0, 0)
    assert ddb_requests.writes() == 0
    assert ddb_requests.count() == 2  # the feed states (BatchGet), unfinished batches (Query)
    assert len(items()) == 5


def test_feed_without_validators_is_not_reparsed_and_only_new_entries_are_read(
    aws: Any, chaos: ChaosServer, ddb_requests: RequestCounter
) -> None:
    entries = [("Un", "https://ex.com/1"), ("Deux", "https://ex.com/2")]
    at = NOW.timestamp()  # the same bytes while the entries stay (not the current second)
    chaos.routes["/plain"] = lambda h: respond(h, 200, rss(entries, at=at))  # no validators
    config = feeds_config({"id": "plain", "url": chaos.url("/plain")})
    assert poll(config, NOW).new_items == 2

    ddb_requests.reset()
    again = poll(config, NOW + timedelta(minutes=15))
    assert (again.unchanged, again.new_items, ddb_requests.writes()) == (1, 0, 0)

    entries.insert(0, ("Trois, Porte-voix", "https://ex.com/3"))
    ddb_requests.reset()
    third = poll(config, NOW + timedelta(minutes=30))
    assert (third.fetched, third.entries, third.new_items, third.mentions) == (1, 1, 1, 1)
    assert len(items()) == 3


def test_one_bad_feed_never_stops_the_others(aws: Any, chaos: ChaosServer) -> None:
    chaos.routes["/ok"] = lambda h: respond(h, 200, rss([("Bon", "https://ex.com/ok")]))
    chaos.routes["/500"] = lambda h: respond(h, 500, b"boom")
    chaos.routes["/garbage"] = lambda h: respond(
        h, 200, b"\x00\xff not xml at all", {"Content-Type": "text/plain"}
    )
    config = feeds_config(
        {"id": "ok", "url": chaos.url("/ok")},
        {"id": "err", "url": chaos.url("/500")},
        {"id": "garbage", "url": chaos.url("/garbage")},
        {"id": "private", "url": "http://10.255.255.1/feed"},
        fetch={"allow_private_networks": False, "allow_networks": ["127.0.0.1/32"]},
    )
    report = poll(config, NOW)
    assert report.new_items == 1
    failed = {f["feed"]: f["error"] for f in report.failed}
    assert set(failed) == {"err", "garbage", "private"}
    assert "HTTP 500" in failed["err"]
    assert "not a feed" in failed["garbage"]
    assert "refused to connect" in failed["private"]
    assert state("err")["failures"] == 1 and "HTTP 500" in state("err")["last_error"]


def test_a_broken_feed_loses_nothing_and_recovers(aws: Any, chaos: ChaosServer) -> None:
    body = {"v": rss([("Gardé", "https://ex.com/k")])}
    chaos.routes["/f"] = lambda h: respond(h, 200, body["v"])
    config = feeds_config({"id": "f", "url": chaos.url("/f")})
    poll(config, NOW)
    body["v"] = b"<html><body>Maintenance</body></html>"
    broken = poll(config, NOW + timedelta(minutes=15))
    assert broken.failed and [i["title"] for i in items()] == ["Gardé"]
    body["v"] = rss([("Gardé", "https://ex.com/k"), ("Nouveau", "https://ex.com/n")])
    healed = poll(config, NOW + timedelta(minutes=45))
    assert healed.new_items == 1 and not healed.failed
    assert "failures" not in state("f")


def test_backoff_doubles_and_retry_after_is_honoured(aws: Any, chaos: ChaosServer) -> None:
    chaos.routes["/down"] = lambda h: respond(h, 503, b"", {"Retry-After": "7200"})
    chaos.routes["/flaky"] = lambda h: respond(h, 500, b"")
    config = feeds_config(
        {"id": "down", "url": chaos.url("/down")}, {"id": "flaky", "url": chaos.url("/flaky")}
    )
    poll(config, NOW)
    assert state("down")["retry_at"] == "2026-11-28T11:00:00Z"  # Retry-After: 2 h
    assert state("flaky")["retry_at"] == "2026-11-28T09:15:00Z"  # 15 min, the base interval

    later = poll(config, NOW + timedelta(minutes=15))
    assert [s["feed"] for s in later.skipped] == ["down"]
    assert chaos.hits("/down") == 1
    assert state("flaky")["failures"] == 2
    assert state("flaky")["retry_at"] == "2026-11-28T09:45:00Z"  # 30 min after the second failure

    # The CLI's "poll now" still respects a server's Retry-After.
    now_poll = Poller(config).poll(NOW + timedelta(minutes=20), scheduled=False)
    assert {s["feed"] for s in now_poll.skipped} == {"down", "flaky"}


def test_the_same_article_in_two_feeds_is_stored_once(aws: Any, feed_server: Any) -> None:
    feed_server.set("/x.rss", rss([("Article", "https://ex.com/art?utm_medium=x")]))
    feed_server.set("/y.rss", rss([("Article (copie)", "https://ex.com/art#comments")]))
    config = feeds_config(
        {"id": "x", "url": feed_server.url("/x.rss")}, {"id": "y", "url": feed_server.url("/y.rss")}
    )
    report = poll(config, NOW)
    assert (report.entries, report.new_items) == (1, 1)


def test_reference_site_follows_its_advertised_feed(aws: Any, feed_server: Any) -> None:
    feed_server.set(
        "/site/",
        b'<html><head><link rel="alternate" type="application/atom+xml" href="/site/atom.xml">'
        b"</head><body>Accueil</body></html>",
        "text/html; charset=utf-8",
    )
    feed_server.set(
        "/site/atom.xml",
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>Site</title><entry><title>Billet</title>'
        b'<link href="https://site.example/billet"/><id>urn:1</id><updated>2026-11-28T08:00:00Z</updated>'
        b"</entry></feed>",
        "application/atom+xml",
    )
    config = feeds_config({"id": "site", "url": feed_server.url("/site/")})
    assert poll(config, NOW).new_items == 1
    assert state("site")["alternate"].endswith("/site/atom.xml")
    second = poll(config, NOW + timedelta(minutes=15))
    assert second.not_modified == 1 and feed_server.hits["/site/"] == 1


def test_ill_formed_feed_keeps_entries_and_reports_warning(aws: Any, feed_server: Any) -> None:
    feed_server.set(
        "/bozo.rss",
        b"<rss version='2.0'><channel><title>T</title><item><title>Reste & lisible</title>"
        b"<link>https://ex.com/b</link></item>",
    )
    config = feeds_config({"id": "bozo", "url": feed_server.url("/bozo.rss")})
    report = poll(config, NOW)
    assert report.new_items == 1 and report.warnings and report.warnings[0]["feed"] == "bozo"


def test_changed_feed_url_does_not_reuse_old_validators(aws: Any, feed_server: Any) -> None:
    feed_server.set("/old.rss", rss([("Ancien", "https://ex.com/o")]))
    feed_server.set("/new.rss", rss([("Nouveau", "https://ex.com/n")]))
    poll(feeds_config({"id": "f", "url": feed_server.url("/old.rss")}), NOW)
    report = poll(feeds_config({"id": "f", "url": feed_server.url("/new.rss")}), NOW)
    assert (report.fetched, report.new_items) == (1, 1)
    assert state("f")["url"].endswith("/new.rss")


def test_feeds_with_a_longer_interval_wait_for_it(aws: Any, feed_server: Any) -> None:
    feed_server.set("/slow.rss", rss([("Lent", "https://ex.com/l")]))
    config = feeds_config(
        {"id": "slow", "url": feed_server.url("/slow.rss"), "interval_minutes": 360}
    )
    poll(config, NOW)
    assert poll(config, NOW + timedelta(minutes=15)).skipped[0]["feed"] == "slow"
    assert poll(config, NOW + timedelta(hours=6)).not_modified == 1
