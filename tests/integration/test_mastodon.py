"""Mastodon against mastodon-mock, a stateful implementation of the REST API."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest
import requests

from portevoix.networks import (
    AuthError,
    Media,
    RateLimited,
    Rejected,
    TransientError,
    Variant,
    build,
    publish_once,
)
from portevoix.networks.mastodon import mastodon_count
from tests.helpers import LossyProxy, make_config


def as_user(base: str, token: str, method: str, path: str, **kw: Any) -> Any:
    resp = requests.request(
        method, base + path, headers={"Authorization": f"Bearer {token}"}, timeout=10, **kw
    )
    resp.raise_for_status()
    return resp.json()


def alice_statuses(base: str) -> list[dict[str, Any]]:
    me = as_user(base, "bob_token", "GET", "/api/v1/accounts/lookup", params={"acct": "alice"})
    return as_user(base, "bob_token", "GET", f"/api/v1/accounts/{me['id']}/statuses")


def mastodon(
    base: str, monkeypatch: pytest.MonkeyPatch, token: str = "alice_token", **account: Any
) -> Any:
    monkeypatch.setenv("MASTO_TOKEN", token)
    config = make_config(
        accounts=[{"network": "mastodon", "instance": base, "secret": "env:MASTO_TOKEN", **account}]
    )
    return build(config.accounts[0], config, sleep=lambda s: None)


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"\x00\xff\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_credentials(api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    health = mastodon(api, monkeypatch).check_credentials()
    assert health.ok and health.identity == "@alice"
    from portevoix.core import secrets

    secrets.forget()
    with pytest.raises(AuthError, match="reconnect this account"):
        mastodon(api, monkeypatch, token="revoked").check_credentials()
    secrets.forget()


def test_publish_with_media_language_and_link(api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    net = mastodon(api, monkeypatch)
    post = net.publish(
        Variant(
            text="Nouvelle version de Porte-voix 🎉",
            link="https://porte-voix.example/v2",
            language="fr",
            media=[Media(data=png(), mime="image/png", alt="Le logo", filename="logo.png")],
        ),
        key="post-1:mastodon",
    )
    (status,) = alice_statuses(api)
    assert status["id"] == post.ref and post.url == status["url"]
    assert "https://porte-voix.example/v2" in status["content"]
    assert status["language"] == "fr"
    assert status["media_attachments"][0]["description"] == "Le logo"


def test_same_key_never_posts_twice(api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    net = mastodon(api, monkeypatch)
    first = net.publish(Variant(text="Une seule fois"), key="post-2:mastodon")
    second = net.publish(Variant(text="Une seule fois"), key="post-2:mastodon")
    assert first.ref == second.ref and len(alice_statuses(api)) == 1


def test_lost_response_gives_exactly_one_post(api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = LossyProxy(api)
    try:
        proxy.drop("POST", r"^/api/v1/statuses$", times=1)
        net = mastodon(proxy.url, monkeypatch)
        post = publish_once(net, Variant(text="Perdu puis retrouvé"), key="post-3:mastodon")
        statuses = alice_statuses(api)
        assert [s["id"] for s in statuses] == [post.ref]
        sent = proxy.requests_to("POST", r"^/api/v1/statuses$")
        assert len(sent) == 2 and {r["headers"]["Idempotency-Key"] for r in sent} == {
            "post-3:mastodon"
        }
        assert all(r["headers"]["Authorization"] == "Bearer alice_token" for r in sent)
    finally:
        proxy.close()


def test_lost_response_without_retry_is_found_on_the_account(
    api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = LossyProxy(api)
    try:
        proxy.drop("POST", r"^/api/v1/statuses$", times=5)  # every answer to the publish is lost
        net = mastodon(proxy.url, monkeypatch)
        post = publish_once(net, Variant(text="Retrouvé sur le compte"), key="post-4:mastodon")
        assert post.found_by_lookup
        assert [s["id"] for s in alice_statuses(api)] == [post.ref]
    finally:
        proxy.close()


def test_too_long_is_rejected_with_the_api_message(
    api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(Rejected, match="HTTP 422.*500"):
        mastodon(api, monkeypatch).publish(Variant(text="x" * 501), key="k")
    assert alice_statuses(api) == []


def test_rate_limit_is_reported_with_its_delay(api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    requests.post(
        api + "/api/v1/_mock/faults",
        json={
            "match": {"path": "/api/v1/accounts/verify_credentials"},
            "effect": {"type": "ratelimit", "headers": {"Retry-After": "3600"}},
        },
        timeout=10,
    )
    with pytest.raises(RateLimited) as exc:
        mastodon(api, monkeypatch).check_credentials()
    assert exc.value.retry_after == 3600


def test_server_errors_are_retried(api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    requests.post(
        api + "/api/v1/_mock/faults",
        json={
            "match": {"path": "/api/v1/accounts/verify_credentials"},
            "effect": {"type": "status", "status": 502},
            "count": 2,
        },
        timeout=10,
    )
    assert mastodon(api, monkeypatch).check_credentials().ok


def test_mentions_with_cursor_reply_and_metrics(api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    net = mastodon(api, monkeypatch, hashtags=["portevoix"])
    as_user(
        api,
        "bob_token",
        "POST",
        "/api/v1/statuses",
        json={"status": "@alice votre appli plante <b>encore</b>"},
    )
    mentions, cursor = net.fetch_mentions(None)
    # The markup the author typed is text, not HTML.
    assert [(m.author_handle, m.text, m.kind) for m in mentions] == [
        ("@bob", "@alice votre appli plante <b>encore</b>", "mention")
    ]
    assert cursor
    again, cursor2 = net.fetch_mentions(cursor)
    assert again == []
    as_user(
        api, "bob_token", "POST", "/api/v1/statuses", json={"status": "@alice et merci quand même"}
    )
    newer, _ = net.fetch_mentions(cursor2)
    assert [m.text for m in newer] == ["@alice et merci quand même"]

    reply = net.reply(newer[0].ref, "Merci Bob, on regarde !", key="reply-1:mastodon")
    posted = as_user(api, "bob_token", "GET", f"/api/v1/statuses/{reply.ref}")
    assert posted["in_reply_to_id"] == newer[0].ref
    assert "@bob" in posted["content"]

    as_user(api, "bob_token", "POST", f"/api/v1/statuses/{reply.ref}/favourite")
    assert net.metrics(reply.ref).likes == 1


def test_mastodon_counts_urls_as_23_and_remote_mentions_by_user() -> None:
    assert mastodon_count("hello") == 5
    assert mastodon_count("see https://example.com/a/very/long/path/that/goes/on") == 4 + 23
    assert mastodon_count("@bob@mastodon.social") == 4
    assert mastodon_count("👩‍👩‍👧") == 1


def test_hashtag_and_search_streams(api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    net = mastodon(api, monkeypatch, hashtags=["portevoix"], search=["porte-voix"])
    as_user(api, "bob_token", "POST", "/api/v1/statuses", json={"status": "J'adore #portevoix"})
    as_user(
        api,
        "carol_token",
        "POST",
        "/api/v1/statuses",
        json={"status": "Quelqu'un utilise porte-voix ?"},
    )
    as_user(
        api,
        "alice_token",
        "POST",
        "/api/v1/statuses",
        json={"status": "porte-voix : notre annonce"},
    )
    mentions, cursor = net.fetch_mentions(None)
    kinds = {(m.kind, m.author_handle) for m in mentions}
    assert ("hashtag", "@bob") in kinds
    assert ("search", "@carol") in kinds
    assert all(m.author_handle != "@alice" for m in mentions)  # our own post is no mention
    assert net.fetch_mentions(cursor)[0] == []


def test_video_still_transcoding_is_awaited(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fakes import FakeApi

    fake = FakeApi()
    polls = {"n": 0}
    ready_after = 12  # reads of the media before it is processed: longer than 10 s

    @fake.route("POST", r"/api/v2/media")
    def upload(req: Any) -> Any:
        return 202, {"id": "77", "type": "video", "url": None}, {}

    @fake.route("GET", r"/api/v1/media/77")
    def media(req: Any) -> Any:
        polls["n"] += 1
        if polls["n"] < ready_after:
            return 206, {"id": "77", "type": "video", "url": None}, {}
        return 200, {"id": "77", "type": "video", "url": "https://files.example/77.mp4"}, {}

    @fake.route("POST", r"/api/v1/statuses")
    def status(req: Any) -> Any:
        if polls["n"] < ready_after:
            return 422, {"error": "Cannot attach files that have not finished processing."}, {}
        return 200, {"id": "9", "url": "https://m.example/@a/9", "created_at": None}, {}

    slept: list[float] = []
    try:
        monkeypatch.setenv("MASTO_TOKEN", "t")
        config = make_config(
            accounts=[{"network": "mastodon", "instance": fake.url, "secret": "env:MASTO_TOKEN"}]
        )
        net = build(config.accounts[0], config, sleep=slept.append)
        video = Media(data=b"\x00" * 64, mime="video/mp4", filename="clip.mp4")
        post = net.publish(Variant(text="La vidéo", media=[video]), key="video-1")
        assert post.ref == "9"
        assert sum(slept) > 10  # what the old 10-second wait gave up at
        polls["n"], ready_after = 0, 10_000  # never ready: a retry later, not a hang
        with pytest.raises(TransientError, match="still processing"):
            net.publish(Variant(text="La vidéo", media=[video]), key="video-2")
    finally:
        fake.close()
