"""Bluesky against a real PDS on loopback (the official @atproto/pds)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from portevoix.core import secrets
from portevoix.networks import AuthError, Media, Rejected, Variant, build, publish_once
from portevoix.networks.bluesky import tid_for
from tests.helpers import SHARED, ChaosServer, LossyProxy, make_config, respond
from tests.integration.test_mastodon import png

START = SHARED / "peers" / "bluesky-pds" / "start"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pds() -> Iterator[str]:
    if os.environ.get("PORTEVOIX_PDS_URL"):
        yield os.environ["PORTEVOIX_PDS_URL"].rstrip("/")
        return
    missing = None
    if not START.exists():
        missing = f"{START} not found"
    elif not (shutil.which("node") and shutil.which("npm")):
        missing = "node and npm are needed to run the Bluesky PDS"
    if missing:
        if os.environ.get("PORTEVOIX_REQUIRE_PDS"):
            pytest.fail(missing)
        pytest.skip(missing)
    for attempt in (1, 2):  # a slow first start or a port taken meanwhile: try once more
        port = _free_port()
        state = tempfile.mkdtemp(prefix="pds-")
        result = subprocess.run(
            [str(START), str(port), state], capture_output=True, text=True, timeout=600
        )
        if result.returncode == 0:
            break
        shutil.rmtree(state, ignore_errors=True)
        if attempt == 2:
            pytest.fail(f"the PDS did not start: {result.stderr[-2000:]}")
    pid = int(result.stdout.strip().splitlines()[-1])
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run(["kill", str(pid)], check=False)
        shutil.rmtree(state, ignore_errors=True)


def create_account(pds: str, name: str) -> dict[str, Any]:
    handle = f"{name}-{uuid.uuid4().hex[:8]}.test"
    password = uuid.uuid4().hex
    resp = requests.post(
        f"{pds}/xrpc/com.atproto.server.createAccount",
        json={"handle": handle, "email": f"{handle}@example.test", "password": password},
        timeout=30,
    )
    resp.raise_for_status()
    return {"handle": handle, "password": password, "did": resp.json()["did"]}


@pytest.fixture
def brand(pds: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    account = create_account(pds, "brand")
    monkeypatch.setenv("BSKY_APP_PASSWORD", account["password"])
    secrets.forget()
    return account


def bluesky(service: str, handle: str, **extra: Any) -> Any:
    config = make_config(
        accounts=[
            {
                "network": "bluesky",
                "service": service,
                "handle": handle,
                "secret": "env:BSKY_APP_PASSWORD",
                **extra,
            }
        ]
    )
    return build(config.accounts[0], config, sleep=lambda s: None)


def sdk(pds: str, account: dict[str, Any]) -> Any:
    from atproto import Client

    client = Client(base_url=pds)
    # No AppView here: log in without fetching the profile (FIELD-NOTES).
    client.login(account["handle"], account["password"], fetch_bsky_profile=False)
    return client


def posts_of(pds: str, did: str) -> list[dict[str, Any]]:
    resp = requests.get(
        f"{pds}/xrpc/com.atproto.repo.listRecords",
        params={"repo": did, "collection": "app.bsky.feed.post", "limit": 100},
        timeout=30,
    )
    resp.raise_for_status()
    return resp.json()["records"]


def test_credentials(pds: str, brand: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    health = bluesky(pds, brand["handle"]).check_credentials()
    assert health.ok and health.identity == "@" + brand["handle"]
    monkeypatch.setenv("BSKY_APP_PASSWORD", "wrong-password")
    secrets.forget()
    with pytest.raises(AuthError, match="reconnect this account"):
        bluesky(pds, brand["handle"]).check_credentials()


def test_post_with_link_mention_and_hashtag_facets(pds: str, brand: dict[str, Any]) -> None:
    fan = create_account(pds, "fan")
    text = f"Merci @{fan['handle']} ! Tout est là : https://porte-voix.example/v2 #PorteVoix 🎉"
    post = bluesky(pds, brand["handle"]).publish(
        Variant(text=text, language="fr"), key="p1:bluesky"
    )
    (record,) = posts_of(pds, brand["did"])
    assert record["uri"] == post.ref and post.url.endswith("/post/" + tid_for("p1:bluesky"))
    value = record["value"]
    assert value["text"] == text and value["langs"] == ["fr"]
    data = text.encode()
    spans = {
        f["features"][0]["$type"].rsplit("#", 1)[1]: data[
            f["index"]["byteStart"] : f["index"]["byteEnd"]
        ].decode()
        for f in value["facets"]
    }
    assert spans == {
        "mention": "@" + fan["handle"],
        "link": "https://porte-voix.example/v2",
        "tag": "#PorteVoix",
    }
    mention = next(f for f in value["facets"] if f["features"][0]["$type"].endswith("#mention"))
    assert mention["features"][0]["did"] == fan["did"]


def test_image_reply_and_delete(pds: str, brand: dict[str, Any]) -> None:
    fan = create_account(pds, "fan")
    fan_client = sdk(pds, fan)
    question = fan_client.send_post(text="Des nouvelles de la v2 ?", profile_identify=fan["did"])
    net = bluesky(pds, brand["handle"])
    reply = net.publish(
        Variant(
            text="Bientôt !",
            reply_to=question.uri,
            media=[Media(data=png(), mime="image/png", alt="Aperçu")],
        ),
        key="r1:bluesky",
    )
    (record,) = posts_of(pds, brand["did"])
    assert record["value"]["reply"]["parent"] == {"uri": question.uri, "cid": question.cid}
    assert record["value"]["reply"]["root"] == {"uri": question.uri, "cid": question.cid}
    image = record["value"]["embed"]["images"][0]
    assert image["alt"] == "Aperçu" and image["image"]["mimeType"] == "image/png"
    net.delete(reply.ref)
    assert posts_of(pds, brand["did"]) == []


def test_same_key_twice_is_one_post(pds: str, brand: dict[str, Any]) -> None:
    net = bluesky(pds, brand["handle"])
    first = net.publish(Variant(text="Une fois"), key="p2:bluesky")
    second = net.publish(Variant(text="Une fois"), key="p2:bluesky")
    assert first.ref == second.ref and second.found_by_lookup
    assert len(posts_of(pds, brand["did"])) == 1


def test_lost_response_gives_exactly_one_post(pds: str, brand: dict[str, Any]) -> None:
    proxy = LossyProxy(pds)
    try:
        proxy.drop("POST", r"com\.atproto\.repo\.createRecord", times=1)
        post = publish_once(
            bluesky(proxy.url, brand["handle"]), Variant(text="Perdu ?"), key="p3:bluesky"
        )
        assert post.found_by_lookup
        assert [r["uri"] for r in posts_of(pds, brand["did"])] == [post.ref]
        assert len(proxy.requests_to("POST", r"createRecord")) == 1  # looked, did not resend
    finally:
        proxy.close()


def test_expired_session_is_renewed(pds: str, brand: dict[str, Any]) -> None:
    net = bluesky(pds, brand["handle"])
    net.check_credentials()
    net._session["accessJwt"] = "expired-token"  # what the PDS sees after two hours
    assert net.check_credentials().ok


def test_revoked_refresh_token_logs_in_again(pds: str, brand: dict[str, Any]) -> None:
    net = bluesky(pds, brand["handle"])
    net.check_credentials()
    old = dict(net._session)
    # The refresh token is revoked (signed out elsewhere, or past its 90 days): the PDS
    # answers refreshSession with 400 ExpiredToken; the app password still works.
    revoked = requests.post(
        f"{pds}/xrpc/com.atproto.server.deleteSession",
        headers={"Authorization": f"Bearer {old['refreshJwt']}"},
        timeout=30,
    )
    assert revoked.status_code == 200
    refused = requests.post(
        f"{pds}/xrpc/com.atproto.server.refreshSession",
        headers={"Authorization": f"Bearer {old['refreshJwt']}"},
        timeout=30,
    )
    assert refused.status_code == 400 and refused.json()["error"] == "ExpiredToken"
    net._session["accessJwt"] = "expired-token"
    assert net.check_credentials().ok
    assert net._session["refreshJwt"] != old["refreshJwt"]  # a new session, not the revoked one


def test_text_over_the_byte_limit_is_refused(pds: str, brand: dict[str, Any]) -> None:
    with pytest.raises(Rejected, match="3000"):
        bluesky(pds, brand["handle"]).publish(Variant(text="é" * 1600), key="long")


def test_pds_without_appview_says_so(pds: str, brand: dict[str, Any]) -> None:
    with pytest.raises(Rejected, match="no AppView"):
        bluesky(pds, brand["handle"]).fetch_mentions(None)


def test_mentions_from_the_appview_with_cursor(
    chaos: ChaosServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """listNotifications as the AppView answers it (documented shape), through a fake PDS."""
    monkeypatch.setenv("BSKY_APP_PASSWORD", "pw")
    secrets.forget()
    notes = [
        {
            "uri": "at://did:plc:fan/app.bsky.feed.post/3kb",
            "cid": "c2",
            "reason": "reply",
            "author": {"did": "did:plc:fan", "handle": "fan.test", "displayName": "Fan"},
            "record": {
                "$type": "app.bsky.feed.post",
                "text": "Et la suite ?",
                "createdAt": "2026-11-28T09:05:00.000Z",
                "reply": {
                    "parent": {"uri": "at://did:plc:brand/app.bsky.feed.post/3ka", "cid": "c0"}
                },
            },
            "indexedAt": "2026-11-28T09:05:01.000Z",
            "isRead": False,
        },
        {
            "uri": "at://did:plc:x/app.bsky.feed.like/3kz",
            "cid": "c9",
            "reason": "like",
            "author": {"did": "did:plc:x", "handle": "x.test"},
            "record": {},
            "indexedAt": "2026-11-28T09:04:00.000Z",
        },
        {
            "uri": "at://did:plc:fan/app.bsky.feed.post/3ka",
            "cid": "c1",
            "reason": "mention",
            "author": {"did": "did:plc:fan", "handle": "fan.test"},
            "record": {
                "$type": "app.bsky.feed.post",
                "text": "@brand.test bravo",
                "createdAt": "2026-11-28T09:00:00.000Z",
            },
            "indexedAt": "2026-11-28T09:00:01.000Z",
        },
    ]
    chaos.routes["/xrpc/com.atproto.server.createSession"] = lambda h: respond(
        h,
        200,
        json.dumps(
            {"did": "did:plc:brand", "handle": "brand.test", "accessJwt": "a", "refreshJwt": "r"}
        ).encode(),
        {"Content-Type": "application/json"},
    )
    chaos.routes["/xrpc/app.bsky.notification.listNotifications"] = lambda h: respond(
        h, 200, json.dumps({"notifications": notes}).encode(), {"Content-Type": "application/json"}
    )
    net = bluesky(chaos.url(""), "brand.test")
    mentions, cursor = net.fetch_mentions(None)
    assert [(m.kind, m.author_handle, m.text) for m in mentions] == [
        ("mention", "@fan.test", "@brand.test bravo"),
        ("reply", "@fan.test", "Et la suite ?"),
    ]
    assert mentions[1].in_reply_to.endswith("/3ka")
    assert mentions[0].url == "https://bsky.app/profile/fan.test/post/3ka"
    again, _ = net.fetch_mentions(cursor)
    assert again == []


def test_record_keys_are_valid_tids() -> None:
    import re

    keys = {tid_for(f"post-{i}:bluesky") for i in range(200)}
    assert len(keys) == 200
    assert all(
        re.fullmatch(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}", k) for k in keys
    )
    assert Path  # keep the import for type hints
