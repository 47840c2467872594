"""Bluesky direct messages: read from the chat service's log through the PDS proxy, the
brand's own messages skipped, answered in their conversation; an app password without the
direct-messages privilege says so."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from portevoix.core import secrets
from portevoix.core.errors import AuthError
from portevoix.networks import build
from tests.fakes import FakeApi, Reply, Request
from tests.helpers import make_config

BRAND = "did:plc:brand"
FAN = "did:plc:fan"


def jwt(scope: str) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"scope": scope}).encode()).decode()
    return f"e30.{payload.rstrip('=')}.sig"


class FakeChat(FakeApi):
    """A PDS that forwards chat.bsky.* to the chat service when asked to (atproto-proxy)."""

    def __init__(self, privileged: bool = True) -> None:
        super().__init__()
        self.sent: list[dict[str, Any]] = []
        self.logs = [
            {"$type": "chat.bsky.convo.defs#logBeginConvo", "rev": "1", "convoId": "c1"},
            self.created("2", FAN, "m1", "Bonjour, ma commande 1234 est bloquée"),
            self.created("3", BRAND, "m2", "our own earlier answer"),
            self.created("4", FAN, "m3", "Vous êtes là ?"),
        ]
        chat = self
        scope = "com.atproto.appPassPrivileged" if privileged else "com.atproto.appPass"

        @self.route("POST", r"/xrpc/com\.atproto\.server\.refreshSession")
        @self.route("POST", r"/xrpc/com\.atproto\.server\.createSession")
        def session(req: Request) -> Reply:
            return (
                200,
                {"accessJwt": jwt(scope), "refreshJwt": "r", "handle": "brand.test", "did": BRAND},
                {},
            )

        @self.route("GET", r"/xrpc/app\.bsky\.notification\.listNotifications")
        def notifications(req: Request) -> Reply:
            return 200, {"notifications": []}, {}

        def proxied(func: Any) -> Any:
            def check(req: Request) -> Reply:
                if req.headers.get("atproto-proxy") != "did:web:api.bsky.chat#bsky_chat":
                    return 400, {"error": "InvalidRequest", "message": "no service"}, {}
                if not privileged:
                    return 401, {"error": "InvalidToken", "message": "Bad token scope"}, {}
                return func(req)

            return check

        @self.route("GET", r"/xrpc/chat\.bsky\.convo\.getLog")
        @proxied
        def log(req: Request) -> Reply:
            after = req.query.get("cursor", "0")
            new = [entry for entry in chat.logs if entry["rev"] > after]
            cursor = new[-1]["rev"] if new else after
            return 200, {"logs": new, "cursor": cursor}, {}

        @self.route("GET", r"/xrpc/chat\.bsky\.convo\.getConvo")
        @proxied
        def convo(req: Request) -> Reply:
            members = [
                {"did": BRAND, "handle": "brand.test"},
                {"did": FAN, "handle": "fan.test", "displayName": "Fan\u202e\x1b"},
            ]
            return 200, {"convo": {"id": req.query["convoId"], "rev": "9", "members": members}}, {}

        @self.route("POST", r"/xrpc/chat\.bsky\.convo\.sendMessage")
        @proxied
        def send(req: Request) -> Reply:
            chat.sent.append(req.json)
            view = {
                "$type": "chat.bsky.convo.defs#messageView",
                "id": f"m{len(chat.logs) + 10}",
                "rev": "99",
                "text": req.json["message"]["text"],
                "sender": {"did": BRAND},
                "sentAt": "2026-12-03T10:05:00.000Z",
            }
            return 200, view, {}

    @staticmethod
    def created(rev: str, sender: str, mid: str, text: str) -> dict[str, Any]:
        return {
            "$type": "chat.bsky.convo.defs#logCreateMessage",
            "rev": rev,
            "convoId": "c1",
            "message": {
                "$type": "chat.bsky.convo.defs#messageView",
                "id": mid,
                "rev": rev,
                "text": text,
                "sender": {"did": sender},
                "sentAt": f"2026-12-03T10:0{rev}:00.000Z",
            },
        }


def account(service: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("BSKY_APP_PASSWORD", "abcd-efgh-ijkl-mnop")
    secrets.forget()
    config = make_config(
        accounts=[
            {
                "network": "bluesky",
                "handle": "brand.test",
                "service": service,
                "secret": "env:BSKY_APP_PASSWORD",
                "chat": True,
            }
        ]
    )
    return build(config.accounts[0], config, sleep=lambda s: None)


def test_direct_messages_are_read_once_and_answered_in_their_conversation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeChat() as chat:
        net = account(chat.url, monkeypatch)
        found, cursor = net.fetch_mentions(None)
        assert [m.text for m in found] == [
            "Bonjour, ma commande 1234 est bloquée",
            "Vous êtes là ?",
        ]
        first = found[0]
        assert first.kind == "dm" and first.ref == "dm:c1" and first.author == "Fan"
        again, _ = net.fetch_mentions(cursor)
        assert again == []  # the log's cursor: nothing read twice
        published = net.reply(first.ref, "Bonjour, nous regardons votre commande.", key="k")
        assert chat.sent == [
            {"convoId": "c1", "message": {"text": "Bonjour, nous regardons votre commande."}}
        ]
        assert published.ref
        chat.logs.append(FakeChat.created("5", FAN, "m4", "Merci !"))
        newer, _ = net.fetch_mentions(cursor)
        assert [m.text for m in newer] == ["Merci !"]


def test_an_app_password_without_the_dm_privilege_says_how_to_fix_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeChat(privileged=False) as chat:
        net = account(chat.url, monkeypatch)
        with pytest.raises(AuthError, match="Allow access to your direct messages"):
            net.fetch_mentions(None)
