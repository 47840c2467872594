"""Mastodon (any instance): REST API v1/v2 with a user access token.

Publishing sends an ``Idempotency-Key`` (Mastodon keeps it for an hour), so
a retried POST returns the first status instead of a second one; a lost
answer is also resolved by looking at the account's latest statuses.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from portevoix.core.text import html_to_text
from portevoix.core.timeutil import iso_or_none, parse_iso
from portevoix.networks.base import (
    Audience,
    Health,
    Limits,
    Mention,
    Metrics,
    Network,
    PollLimits,
    PollResult,
    Published,
    Rejected,
    TransientError,
    Variant,
    count,
    graphemes,
)

_URL = re.compile(r"https?://[^\s<>\"]+")
_REMOTE_MENTION = re.compile(r"(?<!\w)@(\w+)@[\w.-]+\w")
PAGE = 40
MAX_PAGES = 10
MEDIA_WAIT_SECONDS = 150.0


def mastodon_count(text: str) -> int:
    """Mastodon's counting: any URL is 23, a remote @user@domain counts as @user."""
    text = _REMOTE_MENTION.sub(lambda m: "@" + m.group(1), text)
    urls = _URL.findall(text)
    return graphemes(_URL.sub("", text)) + 23 * len(urls)


def _text_with_link(variant: Variant) -> str:
    if variant.link and variant.link not in variant.text:
        return f"{variant.text.rstrip()}\n\n{variant.link}"
    return variant.text


class Mastodon(Network):
    name = "mastodon"
    limits = Limits(
        max_chars=500,
        counter=mastodon_count,
        max_media=4,
        media_types=("image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"),
        can_hide=False,
        # mastodon.social's defaults (an instance says its own in /api/v2/instance)
        polls=PollLimits(max_options=4, option_chars=50, min_minutes=5, max_minutes=43200),
    )

    def __init__(self, account: Any, secret: Any, client: Any):
        super().__init__(account, secret, client)
        self.base = account.instance.rstrip("/")
        self._me: dict[str, Any] | None = None
        if account.max_chars:
            self.limits = Limits(**{**self.limits.__dict__, "max_chars": account.max_chars})

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        headers["Authorization"] = f"Bearer {self.token()}"
        resp = self.http.request(method, f"{self.base}{path}", headers=headers, **kwargs)
        return resp.json() if resp.content else None

    def me(self) -> dict[str, Any]:
        if self._me is None:
            self._me = self._call("GET", "/api/v1/accounts/verify_credentials")
        return self._me

    def check_credentials(self) -> Health:
        me = self.me()
        return Health(self.account_id, self.name, True, "token accepted", identity="@" + me["acct"])

    def poll_results(self, ref: str) -> PollResult:
        poll = (self._call("GET", f"/api/v1/statuses/{ref}") or {}).get("poll") or {}
        return PollResult(
            [(o.get("title", ""), int(o.get("votes_count") or 0)) for o in poll.get("options", [])],
            bool(poll.get("expired")),
            count(poll.get("voters_count")),
        )

    def audience(self) -> Audience:
        me = self._call("GET", "/api/v1/accounts/verify_credentials")  # fresh, not the cached me
        return Audience(
            count(me.get("followers_count")),
            count(me.get("following_count")),
            count(me.get("statuses_count")),
        )

    # -- reading -------------------------------------------------------------

    def fetch_mentions(self, cursor: str | None) -> tuple[list[Mention], str | None]:
        cursors: dict[str, str] = json.loads(cursor) if cursor else {}
        streams = {"mentions": "/api/v1/notifications"}
        for tag in self.account.hashtags:
            streams[f"tag:{tag.lstrip('#').lower()}"] = (
                f"/api/v1/timelines/tag/{quote(tag.lstrip('#'))}"
            )
        found: dict[str, Mention] = {}
        for stream, path in streams.items():
            params: dict[str, Any] = {"limit": PAGE}
            if stream == "mentions":
                params["types[]"] = "mention"
            newest = cursors.get(stream)
            for _ in range(MAX_PAGES):
                if newest:
                    params["min_id"] = newest
                page = self._call("GET", path, params=params) or []
                if not page:
                    break
                for entry in page:
                    status = entry.get("status") if stream == "mentions" else entry
                    if status:
                        mention = self._mention(
                            status, "mention" if stream == "mentions" else "hashtag"
                        )
                        found.setdefault(mention.source_id, mention)
                newest = max((e["id"] for e in page), key=_id_key)
                if not cursors.get(stream) or len(page) < PAGE:
                    break  # first run (latest page only, no history import), or nothing more
            if newest:
                cursors[stream] = newest
        for query in self.account.search:
            stream = f"search:{query}"
            params = {"q": query, "type": "statuses", "resolve": "false", "limit": PAGE}
            if cursors.get(stream):
                params["min_id"] = cursors[stream]
            statuses = (self._call("GET", "/api/v2/search", params=params) or {}).get(
                "statuses", []
            )
            floor = cursors.get(stream)
            for status in statuses:
                if floor and _id_key(status["id"]) <= _id_key(floor):
                    continue  # not every server honours min_id on search
                if str(status.get("account", {}).get("id")) == str(self.me()["id"]):
                    continue  # the brand's own posts are not mentions
                mention = self._mention(status, "search")
                found.setdefault(mention.source_id, mention)
            if statuses:
                cursors[stream] = max((s["id"] for s in statuses), key=_id_key)
        mentions = sorted(found.values(), key=lambda m: m.published or "")
        return mentions, json.dumps(cursors, sort_keys=True) if cursors else cursor

    def _mention(self, status: dict[str, Any], kind: str) -> Mention:
        account = status.get("account") or {}
        return Mention(
            source=self.name,
            source_id=f"{self.account_id}:{status['id']}",
            ref=str(status["id"]),
            author=account.get("display_name") or account.get("username") or "",
            author_handle="@" + account.get("acct", ""),
            text=html_to_text(status.get("content") or ""),
            url=status.get("url") or status.get("uri"),
            published=iso_or_none(status.get("created_at")),
            kind=(
                "dm"
                if status.get("visibility") == "direct"
                else "reply"
                if status.get("in_reply_to_id") and kind == "mention"
                else kind
            ),
            in_reply_to=status.get("in_reply_to_id"),
            extra={"language": status.get("language"), "visibility": status.get("visibility")},
        )

    def replies_to(self, ref: str) -> list[Mention]:
        """The thread under ``ref`` (``GET /api/v1/statuses/:id/context``, its descendants:
        docs.joinmastodon.org/methods/statuses/#context)."""
        context = self._call("GET", f"/api/v1/statuses/{ref}/context") or {}
        me = str(self.me().get("id"))
        found = []
        for status in context.get("descendants") or []:
            account = status.get("account") or {}
            mention = self._mention(status, "reply")
            mention.extra.update(
                author_id=str(account.get("id", "")),
                author_created_at=iso_or_none(account.get("created_at")),
                mentions=["@" + m.get("acct", "") for m in status.get("mentions") or []],
                own=str(account.get("id")) == me,
            )
            found.append(mention)
        return found

    def reposted_by(self, ref: str) -> set[str] | None:
        """``GET /api/v1/statuses/:id/reblogged_by``, page after page (its Link header)."""
        ids: set[str] = set()
        url: str | None = f"{self.base}/api/v1/statuses/{ref}/reblogged_by?limit=80"
        for _ in range(50):
            if not url:
                break
            resp = self.http.request(
                "GET", url, headers={"Authorization": f"Bearer {self.token()}"}
            )
            ids.update(str(a.get("id", "")) for a in resp.json() or [])
            url = (resp.links.get("next") or {}).get("url")
        return ids

    # -- writing -------------------------------------------------------------

    def _upload(self, media: Any) -> str:
        if media.data is None:
            raise Rejected(self.account_id, "Mastodon needs the media's bytes, not a URL")
        resp = self._call(
            "POST",
            "/api/v2/media",
            files={"file": (media.filename, media.data, media.mime)},
            data={"description": media.alt} if media.alt else None,
            idempotent=False,
        )
        media_id = str(resp["id"])
        # Videos and large images are processed asynchronously: 202 with a null url, then
        # GET /api/v1/media/:id answers 206 until the url is set, and a status cannot
        # attach them before ("media API methods", docs.joinmastodon.org/methods/media/).
        # Transcoding a video takes minutes on a busy instance: wait up to MEDIA_WAIT_SECONDS.
        pause, waited = 1.0, 0.0
        while not resp.get("url"):
            if waited + pause > MEDIA_WAIT_SECONDS:
                raise TransientError(
                    self.account_id,
                    f"media {media_id} still processing after {waited:.0f} s",
                )
            self.http.sleep(pause)
            waited += pause
            pause = min(pause * 2, 10.0)
            resp = self._call("GET", f"/api/v1/media/{media_id}") or {}
        return media_id

    def publish(self, variant: Variant, key: str) -> Published:
        body: dict[str, Any] = {"status": _text_with_link(variant)}
        if variant.media:
            body["media_ids"] = [self._upload(m) for m in variant.media]
        if variant.language:
            body["language"] = variant.language
        if variant.reply_to:
            body["in_reply_to_id"] = variant.reply_to
        for option in ("visibility", "spoiler_text", "sensitive"):
            if option in variant.options:
                body[option] = variant.options[option]
        if variant.poll:  # Mastodon: options and expires_in (seconds)
            body["poll"] = {
                "options": variant.poll.options,
                "expires_in": variant.poll.minutes * 60,
            }
        status = self._call(
            "POST", "/api/v1/statuses", json=body, headers={"Idempotency-Key": key}, idempotent=True
        )
        return Published(
            str(status["id"]), status.get("url"), self.name, iso_or_none(status.get("created_at"))
        )

    def find_published(self, key: str, variant: Variant, since: datetime) -> Published | None:
        expected = " ".join(html_to_text(_text_with_link(variant)).split())
        statuses = self._call(
            "GET", f"/api/v1/accounts/{self.me()['id']}/statuses", params={"limit": PAGE}
        )
        floor = since - timedelta(minutes=2)
        for status in statuses or []:
            created = parse_iso(status.get("created_at"))
            text = " ".join(html_to_text(status.get("content") or "").split())
            if created and created >= floor and text == expected:
                return Published(
                    str(status["id"]),
                    status.get("url"),
                    self.name,
                    iso_or_none(status.get("created_at")),
                    True,
                )
        return None

    def reply(self, to_ref: str, text: str, key: str) -> Published:
        # Mastodon notifies the author only when the reply names them.
        original = self._call("GET", f"/api/v1/statuses/{to_ref}")
        handle = "@" + (original.get("account") or {}).get("acct", "")
        if handle != "@" and handle.lower() not in text.lower():
            text = f"{handle} {text}"
        variant = Variant(
            text=text, reply_to=to_ref, options={"visibility": original.get("visibility", "public")}
        )
        return self.publish(variant, key)

    def parent(self, ref: str) -> dict[str, Any] | None:
        status = self._call("GET", f"/api/v1/statuses/{ref}")
        return {
            "text": html_to_text(status.get("content") or ""),
            "url": status.get("url") or status.get("uri"),
            "author": "@" + (status.get("account") or {}).get("acct", ""),
        }

    def metrics(self, ref: str) -> Metrics:
        status = self._call("GET", f"/api/v1/statuses/{ref}")
        return Metrics(
            ref,
            likes=status.get("favourites_count"),
            shares=status.get("reblogs_count"),
            replies=status.get("replies_count"),
        )


def _id_key(value: str) -> tuple[int, str]:
    return (len(value), value)  # Mastodon ids are numeric strings (snowflakes)
