"""LinkedIn, Facebook, Instagram and X against fakes of their documented APIs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from portevoix.core import secrets
from portevoix.networks import (
    AuthError,
    Media,
    RateLimited,
    Rejected,
    Unsupported,
    Variant,
    build,
    publish_once,
)
from tests.fakes import FakeApi, FakeGraph, FakeLinkedIn, FakeX
from tests.helpers import LossyProxy, make_config


@dataclass
class Platform:
    name: str
    fake: Callable[[], FakeApi]
    account: Callable[[str], dict[str, Any]]
    token: str
    publish_path: str  # the request whose answer a lost-response test drops
    posts: Callable[[Any], list[dict[str, Any]]]
    variant: Callable[[str], Variant]
    mention: Callable[[Any, Any], None]  # (fake, network) -> one new mention on the fake
    hide: Callable[[Any], str] | None


def _ig_variant(text: str) -> Variant:
    return Variant(text=text, media=[Media(url="https://cdn.example/p.jpg", mime="image/jpeg")])


def _li_mention(fake: FakeLinkedIn, net: Any) -> None:
    if not fake.posts:
        net.publish(Variant(text="Notre annonce"), key="seed:linkedin")
    fake.add_comment(fake.posts[-1]["id"], "Quand sort la v2 ?")


def _fb_mention(fake: FakeGraph, net: Any) -> None:
    if not fake.posts:
        net.publish(Variant(text="Notre annonce"), key="seed:facebook")
    fake.add_comment(fake.posts[-1]["id"], "Quand sort la v2 ?")


def _ig_mention(fake: FakeGraph, net: Any) -> None:
    if not fake.media:
        net.publish(_ig_variant("Notre annonce"), key="seed:instagram")
    fake.add_comment(fake.media[-1]["id"], "Quand sort la v2 ?")


PLATFORMS = [
    Platform(
        "linkedin",
        FakeLinkedIn,
        lambda base: {"network": "linkedin", "organization": FakeLinkedIn.ORG, "base": base},
        FakeLinkedIn.TOKEN,
        r"/rest/posts$",
        lambda f: f.posts,
        lambda t: Variant(text=t),
        _li_mention,
        None,
    ),
    Platform(
        "facebook",
        FakeGraph,
        lambda base: {"network": "facebook", "page_id": FakeGraph.PAGE, "base": base},
        FakeGraph.TOKEN,
        rf"/{re.escape(FakeGraph.V)}/111/feed",
        lambda f: f.posts,
        lambda t: Variant(text=t),
        _fb_mention,
        lambda f: (
            f.add_comment(f.posts[-1]["id"], "spam spam")
            if f.posts
            else f.add_comment("111_1", "spam")
        ),
    ),
    Platform(
        "instagram",
        FakeGraph,
        lambda base: {"network": "instagram", "user_id": FakeGraph.IG, "base": base},
        FakeGraph.TOKEN,
        rf"/{re.escape(FakeGraph.V)}/222/media_publish",
        lambda f: f.media,
        _ig_variant,
        _ig_mention,
        lambda f: f.add_comment("m1", "spam"),
    ),
    Platform(
        "x",
        FakeX,
        lambda base: {"network": "x", "user_id": FakeX.USER, "base": base},
        FakeX.TOKEN,
        r"/2/tweets$",
        lambda f: f.tweets,
        lambda t: Variant(text=t),
        lambda f, net: f.add_mention("@brand une question"),
        lambda f: f.add_mention("@brand spam"),
    ),
]


@pytest.fixture(params=PLATFORMS, ids=[p.name for p in PLATFORMS])
def platform(request: Any) -> Iterator[tuple[Platform, Any]]:
    p = request.param
    fake = p.fake()
    yield p, fake
    fake.close()


def client(
    p: Platform, base: str, monkeypatch: pytest.MonkeyPatch, token: str | None = None
) -> Any:
    monkeypatch.setenv("NET_TOKEN", token or p.token)
    secrets.forget()
    config = make_config(accounts=[{**p.account(base), "secret": "env:NET_TOKEN"}])
    return build(config.accounts[0], config, sleep=lambda s: None)


def test_publish_creates_one_post(
    platform: tuple[Platform, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, fake = platform
    post = client(p, fake.url, monkeypatch).publish(p.variant("Porte-voix v2 est là"), key="post-1")
    (stored,) = p.posts(fake)
    assert str(stored["id"]) == post.ref
    assert (
        stored.get("commentary")
        or stored.get("message")
        or stored.get("caption")
        or stored.get("text")
    ) == "Porte-voix v2 est là"


def test_lost_response_gives_exactly_one_post(
    platform: tuple[Platform, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, fake = platform
    proxy = LossyProxy(fake.url)
    try:
        proxy.drop("POST", p.publish_path, times=1)
        post = publish_once(
            client(p, proxy.url, monkeypatch), p.variant("Une seule fois"), key="post-2"
        )
        assert post.found_by_lookup
        assert [str(s["id"]) for s in p.posts(fake)] == [post.ref]
        assert len(proxy.requests_to("POST", p.publish_path)) == 1  # looked before resending
    finally:
        proxy.close()


def test_refused_token_asks_to_reconnect(
    platform: tuple[Platform, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, fake = platform
    with pytest.raises(AuthError, match="reconnect this account"):
        client(p, fake.url, monkeypatch, token="expired").check_credentials()


def test_rate_limit_gives_a_delay(
    platform: tuple[Platform, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, fake = platform
    fake.rate_limited = True
    with pytest.raises(RateLimited) as exc:
        client(p, fake.url, monkeypatch).check_credentials()
    assert exc.value.retry_after >= 60


def test_mentions_are_read_once_even_within_one_second(
    platform: tuple[Platform, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, fake = platform
    # Every comment gets the same timestamp: a cursor by time alone would skip the second.
    monkeypatch.setattr("tests.fakes.now_iso", lambda: "2026-11-28T10:00:00+0000")
    monkeypatch.setattr("tests.fakes.now_ms", lambda: 1795860000000)
    net = client(p, fake.url, monkeypatch)
    p.mention(fake, net)
    first, cursor = net.fetch_mentions(None)
    assert len(first) == 1 and first[0].author_handle and first[0].text
    again, cursor = net.fetch_mentions(cursor)
    assert again == []
    p.mention(fake, net)
    newer, _ = net.fetch_mentions(cursor)
    assert len(newer) == 1 and newer[0].source_id != first[0].source_id


def test_reply_hide_and_metrics(
    platform: tuple[Platform, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, fake = platform
    net = client(p, fake.url, monkeypatch)
    p.mention(fake, net)
    (mention,), _ = net.fetch_mentions(None)
    reply = net.reply(mention.ref, "Merci, c'est pour bientôt !", key="reply-1")
    assert reply.ref
    if p.hide is None:
        with pytest.raises(Unsupported):
            net.hide(mention.ref)
    else:
        net.hide(mention.ref)
        assert mention.ref in fake.hidden
    published = net.publish(p.variant("Mesurable"), key="post-m")
    metrics = net.metrics(published.ref)
    assert metrics.likes is not None and metrics.likes > 0
    if p.name == "x":  # a deleted post: X answers 200 with only "errors"
        with pytest.raises(Rejected, match="X has no post 1: Could not find tweet"):
            net.metrics("1")
