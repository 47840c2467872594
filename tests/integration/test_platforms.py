"""LinkedIn, Facebook, Instagram and X against fakes of their documented APIs."""

from __future__ import annotations

import json
import os
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
    TransientError,
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
        stored.get("shown")  # LinkedIn: what its little-text parser keeps
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


def test_linkedin_shows_reserved_characters_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    p = PLATFORMS[0]
    with FakeLinkedIn() as fake:
        text = "Soldes (jusqu'à -50 %) sur *tout* le site : C# & F#, a_b, <3 ~ {x} | \\ #promo"
        net = client(p, fake.url, monkeypatch)
        net.publish(Variant(text=text, link="https://ex.com/a_b?(c)#top"), key="li-little")
        (stored,) = fake.posts
        # Sent raw, LinkedIn would show "Soldes " only: the text is cut at "(".
        assert stored["shown"] == text + "\n\nhttps://ex.com/a_b?(c)#top"
        assert "#promo" in stored["commentary"]  # still a hashtag, not an escaped '#'
        found = net.find_published(
            "li-little",
            Variant(text=text, link="https://ex.com/a_b?(c)#top"),
            since=__import__("datetime").datetime.now().astimezone(),
        )
        assert found is not None and found.ref == stored["id"]


def test_facebook_reads_every_comment_and_replies_to_comments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = PLATFORMS[1]
    with FakeGraph() as fake:
        net = client(p, fake.url, monkeypatch)
        post = net.publish(Variant(text="Un post très commenté"), key="fb-busy")
        first = fake.add_comment(post.ref, "Le tout premier")
        for i in range(130):
            fake.add_comment(post.ref, f"Commentaire {i}")
        reply = fake.add_comment(post.ref, "Réponse au premier", parent={"id": first})
        found, cursor = net.fetch_mentions(None)
        assert len(found) == 132  # more than one page, and the reply to a comment
        (answer,) = [m for m in found if m.source_id == reply]
        assert answer.in_reply_to == first  # threaded under the comment it answers
        assert [m.in_reply_to for m in found if m.source_id == first] == [post.ref]
        calls = len(fake.calls("GET", r".*/comments"))
        fake.add_comment(post.ref, "Un nouveau")
        newer, _ = net.fetch_mentions(cursor)
        assert [m.text for m in newer] == ["Un nouveau"]
        # Newest first: the second poll stops at the first page, it does not reread all.
        assert len(fake.calls("GET", r".*/comments")) == calls + 1


def test_instagram_carousel_with_a_video_waits_for_each_item(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = PLATFORMS[2]
    with FakeGraph() as fake:
        fake.processing_polls = 3  # the video is ready at the fourth read of its status
        net = client(p, fake.url, monkeypatch)
        variant = Variant(
            text="Les coulisses",
            media=[
                Media(url="https://cdn.example/a.jpg", mime="image/jpeg"),
                Media(url="https://cdn.example/b.mp4", mime="video/mp4"),
            ],
        )
        post = net.publish(variant, key="ig-carousel")
        assert [m["id"] for m in fake.media] == [post.ref]
        items = [c for c in fake.containers.values() if c.get("is_carousel_item")]
        assert [(c.get("media_type"), bool(c.get("video_url"))) for c in items] == [
            (None, False),
            ("VIDEO", True),
        ]
        assert all(c["status"] == "FINISHED" for c in fake.containers.values())
        fake.processing_polls = 10_000  # a video that never finishes: a retry later, no post
        with pytest.raises(TransientError, match="still processing"):
            net.publish(variant, key="ig-carousel-2")
        assert len(fake.media) == 1


def _x_with(fake: FakeX, monkeypatch: pytest.MonkeyPatch, data: dict[str, Any]) -> Any:
    monkeypatch.setenv("NET_TOKEN", json.dumps(data))
    secrets.forget()
    config = make_config(
        accounts=[
            {"network": "x", "user_id": FakeX.USER, "base": fake.url, "secret": "env:NET_TOKEN"}
        ]
    )
    return build(config.accounts[0], config, sleep=lambda s: None)


def test_x_renews_a_two_hour_token_and_stores_the_new_pair(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeX() as fake:
        first = fake.issue(expired=True)
        net = _x_with(fake, monkeypatch, first)
        assert net.check_credentials().ok
        post = net.publish(Variant(text="Deux heures plus tard"), key="x-late")
        assert [t["id"] for t in fake.tweets] == [post.ref]
        assert fake.refreshed == 1  # once, then the new token is used
        stored = json.loads(os.environ["NET_TOKEN"])  # written back where it was read
        assert stored["refresh_token"] != first["refresh_token"]
        assert stored["client_id"] == FakeX.CLIENT_ID and stored["access_token"] in fake.tokens
        # Revoked before its expiry: the 401 renews it once and the call goes through.
        del fake.tokens[stored["access_token"]]
        assert net.metrics(post.ref).likes == 5 and fake.refreshed == 2
        # A spent (rotated) refresh token is refused: reconnect, said plainly.
        stale = _x_with(fake, monkeypatch, {**first, "access_token": "gone"})
        with pytest.raises(AuthError, match="X refused the refresh token"):
            stale.publish(Variant(text="Trop tard"), key="x-stale")


def test_x_names_missing_scopes_instead_of_asking_to_reconnect_for_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeX() as fake:
        basic = ("tweet.read", "tweet.write", "users.read", "offline.access")
        net = _x_with(fake, monkeypatch, fake.issue(basic))
        health = net.check_credentials()
        assert not health.ok and "media.write, tweet.moderate.write" in health.detail
        net.publish(Variant(text="Sans image"), key="x-text")  # what it may do, it does
        mention = fake.add_mention("@brand spam")
        with pytest.raises(Rejected, match="scopes tweet.moderate.write: connect the account"):
            net.hide(mention)
        image = Media(data=b"\x89PNG", mime="image/png", filename="a.png")
        with pytest.raises(Rejected, match="scopes media.write"):
            net.publish(Variant(text="Avec image", media=[image]), key="x-image")
        # Without offline.access there is no refresh token: the token dies in two hours.
        short = _x_with(fake, monkeypatch, fake.issue(("tweet.read", "tweet.write", "users.read")))
        health = short.check_credentials()
        assert not health.ok and "offline.access" in health.detail


def test_graph_waits_as_long_as_its_usage_headers_say(monkeypatch: pytest.MonkeyPatch) -> None:
    p = PLATFORMS[1]
    with FakeGraph() as fake:
        net = client(p, fake.url, monkeypatch)
        fake.rate_limited = "page"  # the Page's own limit: Meta estimates 7 minutes
        with pytest.raises(RateLimited) as page:
            net.check_credentials()
        assert page.value.retry_after == 420
        fake.rate_limited = True  # the app's limit, 100 % of a rolling hour
        with pytest.raises(RateLimited) as app:
            net.check_credentials()
        assert app.value.retry_after == 3600


def test_a_missing_permission_is_not_an_expired_token(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeApi() as fake:
        answers = {
            "/scope": {"error": "This action is outside the authorized scopes"},  # Mastodon
            "/perm": {
                "message": "Not enough permissions to access: partnerApiPostsExternal.CREATE"
            },
            "/token": {"message": "The token used in the request has been revoked by the user"},
        }

        @fake.route("GET", r"/(scope|perm|token)")
        def refuse(req: Any) -> Any:
            return 403, answers[req.path], {}

        from portevoix.core.http import AddressPolicy
        from portevoix.networks.http import ApiClient

        api = ApiClient("acct", policy=AddressPolicy.from_config(make_config().fetch))
        for path in ("/scope", "/perm"):
            with pytest.raises(Rejected, match="lacks a permission, scope or role") as exc:
                api.request("GET", fake.url + path)
            assert not isinstance(exc.value, AuthError)
        with pytest.raises(AuthError, match="reconnect this account"):
            api.request("GET", fake.url + "/token")
