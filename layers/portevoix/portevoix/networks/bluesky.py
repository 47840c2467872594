"""Bluesky (AT Protocol) with an app password: XRPC calls to the account's PDS.

Exactly once: the post's record key is derived from the idempotency key, so
a repeated createRecord cannot make a second post, and a lost answer is
resolved with getRecord on that key. Reads of notifications, searches and
counts go through the PDS to the AppView (``app.bsky.*``).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from datetime import UTC, datetime
from typing import Any

from portevoix.core.timeutil import iso, iso_or_none
from portevoix.networks.base import (
    Audience,
    AuthError,
    Health,
    Limits,
    Mention,
    Metrics,
    Network,
    Published,
    Rejected,
    TransientError,
    Variant,
    count,
    graphemes,
)

POST = "app.bsky.feed.post"
SCAN_LIMIT = 2000  # repos read directly when a self-hosted PDS has no AppView
SCAN_PAGES = 5  # 500 newest records per repo and collection
# Direct messages live on Bluesky's chat service; the PDS forwards calls carrying this header.
CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"
MESSAGE_VIEW = "chat.bsky.convo.defs#messageView"
MAX_BYTES = 3000
MAX_IMAGE_BYTES = 1_000_000
_TID_CHARS = "234567abcdefghijklmnopqrstuvwxyz"
_URL = re.compile(r"https?://[^\s<>\"\)\]]+[^\s<>\"\)\].,;:!?']")
_MENTION = re.compile(r"(?:^|[\s(])(@([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,})")
_TAG = re.compile(r"(?:^|\s)(#[^\d\s\W][^\s#]{0,63})")


def bluesky_count(text: str) -> int:
    return graphemes(text)


def tid_for(key: str) -> str:
    """A valid record key (TID syntax) derived from ``key``: the same key, the same post."""
    value = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") & ((1 << 63) - 1)
    out = []
    for _ in range(13):
        out.append(_TID_CHARS[value & 31])
        value >>= 5
    return "".join(reversed(out))


def _split_uri(uri: str) -> tuple[str, str, str]:
    match = re.match(r"^at://([^/]+)/([^/]+)/([^/]+)$", uri)
    if not match:
        raise Rejected("bluesky", f"{uri!r} is not an at:// record URI")
    return match.group(1), match.group(2), match.group(3)


def web_url(uri: str, handle: str) -> str:
    did, _, rkey = _split_uri(uri)
    return f"https://bsky.app/profile/{handle or did}/post/{rkey}"


class Bluesky(Network):
    name = "bluesky"
    limits = Limits(
        max_chars=300,
        counter=bluesky_count,
        max_media=4,
        media_types=("image/jpeg", "image/png", "image/webp", "image/gif"),
    )

    def __init__(self, account: Any, secret: Any, client: Any):
        super().__init__(account, secret, client)
        self.base = account.service.rstrip("/")
        self._session: dict[str, Any] | None = None
        self._lock = threading.Lock()

    # -- session -------------------------------------------------------------

    def _login(self) -> dict[str, Any]:
        resp = self.http.request(
            "POST",
            f"{self.base}/xrpc/com.atproto.server.createSession",
            json={"identifier": self.account.handle, "password": self.token()},
            idempotent=True,
        )
        return resp.json()

    def _refresh(self) -> dict[str, Any] | None:
        if not self._session:
            return None
        try:
            resp = self.http.request(
                "POST",
                f"{self.base}/xrpc/com.atproto.server.refreshSession",
                headers={"Authorization": f"Bearer {self._session['refreshJwt']}"},
                idempotent=True,
            )
        except AuthError:
            return None
        except Rejected as exc:
            # A refresh token past its lifetime or revoked (signed out elsewhere) answers
            # 400 ExpiredToken or InvalidToken ("HTTP API (XRPC)", atproto.com/specs/xrpc,
            # "Authentication"): the app password can still open a new session.
            if exc.status == 400 and any(c in str(exc) for c in ("ExpiredToken", "InvalidToken")):
                return None
            raise
        return resp.json()

    def session(self) -> dict[str, Any]:
        with self._lock:
            if self._session is None:
                self._session = self._login()
            return self._session

    def _renew(self) -> None:
        with self._lock:
            self._session = self._refresh() or self._login()

    def _xrpc(self, method: str, nsid: str, **kwargs: Any) -> Any:
        for attempt in (1, 2):
            headers = dict(kwargs.pop("headers", {}) or {})
            headers["Authorization"] = f"Bearer {self.session()['accessJwt']}"
            try:
                resp = self.http.request(
                    method, f"{self.base}/xrpc/{nsid}", headers=headers, **kwargs
                )
            except (AuthError, Rejected) as exc:
                expired = (
                    isinstance(exc, AuthError)
                    or "ExpiredToken" in str(exc)
                    or "InvalidToken" in str(exc)
                )
                if attempt == 1 and expired:
                    self._renew()  # access tokens live about two hours
                    kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
                    continue
                raise
            return resp.json() if resp.content else None
        raise AuthError(self.account_id, "session could not be renewed")

    def check_credentials(self) -> Health:
        info = self._xrpc("GET", "com.atproto.server.getSession")
        if info.get("active") is False:
            return Health(
                self.account_id, self.name, False, f"account is {info.get('status', 'inactive')}"
            )
        return Health(
            self.account_id, self.name, True, "app password accepted", identity="@" + info["handle"]
        )

    @property
    def did(self) -> str:
        return self.session()["did"]

    # -- writing -------------------------------------------------------------

    def _facets(self, text: str) -> list[dict[str, Any]]:
        """Links, mentions and hashtags, indexed in UTF-8 bytes as the protocol wants."""

        def at(i: int) -> int:
            return len(text[:i].encode("utf-8"))

        facets = []
        for m in _URL.finditer(text):
            facets.append(
                _facet(
                    at(m.start()),
                    at(m.end()),
                    {"$type": "app.bsky.richtext.facet#link", "uri": m.group()},
                )
            )
        for m in _MENTION.finditer(text):
            did = self._resolve(m.group(1)[1:])
            if did:
                facets.append(
                    _facet(
                        at(m.start(1)),
                        at(m.end(1)),
                        {"$type": "app.bsky.richtext.facet#mention", "did": did},
                    )
                )
        for m in _TAG.finditer(text):
            tag = m.group(1)[1:].rstrip(".,;:!?")
            end = m.start(1) + 1 + len(tag)
            facets.append(
                _facet(
                    at(m.start(1)), at(end), {"$type": "app.bsky.richtext.facet#tag", "tag": tag}
                )
            )
        return sorted(facets, key=lambda f: f["index"]["byteStart"])

    def _resolve(self, handle: str) -> str | None:
        try:
            resp = self.http.request(
                "GET",
                f"{self.base}/xrpc/com.atproto.identity.resolveHandle",
                params={"handle": handle},
            )
        except Rejected:
            return None  # an unknown handle stays plain text
        return resp.json().get("did")

    def _upload(self, media: Any) -> dict[str, Any]:
        if media.data is None:
            raise Rejected(self.account_id, "Bluesky needs the image's bytes, not a URL")
        if len(media.data) > MAX_IMAGE_BYTES:
            raise Rejected(
                self.account_id, f"image of {len(media.data):,} bytes: Bluesky takes at most 1 MB"
            )
        blob = self._xrpc(
            "POST",
            "com.atproto.repo.uploadBlob",
            data=media.data,
            headers={"Content-Type": media.mime},
            idempotent=True,  # content-addressed: the same bytes are the same blob
        )
        return {"alt": media.alt or "", "image": blob["blob"]}

    def _strong_ref(self, uri: str) -> dict[str, Any]:
        repo, collection, rkey = _split_uri(uri)
        record = self._xrpc(
            "GET",
            "com.atproto.repo.getRecord",
            params={"repo": repo, "collection": collection, "rkey": rkey},
        )
        return record

    def publish(self, variant: Variant, key: str) -> Published:
        text = variant.text
        if variant.link and variant.link not in text:
            text = f"{text.rstrip()}\n\n{variant.link}"
        if len(text.encode()) > MAX_BYTES:
            raise Rejected(
                self.account_id, f"text is {len(text.encode())} bytes, Bluesky takes {MAX_BYTES}"
            )
        record: dict[str, Any] = {
            "$type": POST,
            "text": text,
            "createdAt": variant.options.get("created_at")
            or iso(datetime.now(UTC)).replace("Z", ".000Z"),
        }
        facets = self._facets(text)
        if facets:
            record["facets"] = facets
        if variant.language:
            record["langs"] = [variant.language]
        if variant.media:
            record["embed"] = {
                "$type": "app.bsky.embed.images",
                "images": [self._upload(m) for m in variant.media],
            }
        if variant.reply_to:
            parent = self._strong_ref(variant.reply_to)
            root = (parent.get("value") or {}).get("reply", {}).get("root") or {
                "uri": parent["uri"],
                "cid": parent["cid"],
            }
            record["reply"] = {"root": root, "parent": {"uri": parent["uri"], "cid": parent["cid"]}}
        rkey = tid_for(key)
        try:
            created = self._xrpc(
                "POST",
                "com.atproto.repo.createRecord",
                json={"repo": self.did, "collection": POST, "rkey": rkey, "record": record},
                idempotent=False,
            )
        except (TransientError, Rejected):
            # The PDS answers a second createRecord on the same key with an
            # error (500 here): an earlier attempt under this key may have
            # made the post. Look before reporting anything.
            found = self._get_post(rkey)
            if found is None:
                raise
            return found
        return Published(
            created["uri"],
            web_url(created["uri"], self.account.handle),
            self.name,
            record["createdAt"],
        )

    def _get_post(self, rkey: str) -> Published | None:
        try:
            record = self._xrpc(
                "GET",
                "com.atproto.repo.getRecord",
                params={"repo": self.did, "collection": POST, "rkey": rkey},
            )
        except Rejected as exc:
            if (
                "RecordNotFound" in str(exc)
                or "not found" in str(exc).lower()
                or exc.status in (400, 404)
            ):
                return None
            raise
        created = (record.get("value") or {}).get("createdAt")
        return Published(
            record["uri"], web_url(record["uri"], self.account.handle), self.name, created, True
        )

    def find_published(self, key: str, variant: Variant, since: datetime) -> Published | None:
        return self._get_post(tid_for(key))

    def delete(self, ref: str) -> None:
        repo, collection, rkey = _split_uri(ref)
        self._xrpc(
            "POST",
            "com.atproto.repo.deleteRecord",
            json={"repo": repo, "collection": collection, "rkey": rkey},
            idempotent=True,
        )

    # -- reading (AppView) ---------------------------------------------------

    def _appview(self, nsid: str, params: dict[str, Any]) -> Any:
        try:
            return self._xrpc("GET", nsid, params=params)
        except Rejected as exc:
            if "No service configured" in str(exc):
                raise Rejected(
                    self.account_id,
                    f"the PDS at {self.base} has no AppView for {nsid}: mentions, searches and "
                    "counts need one (bsky.social has it; a self-hosted PDS needs PDS_BSKY_APP_VIEW_URL)",
                    status=exc.status,
                ) from None
            raise
        except TransientError as exc:
            if exc.status in (502, 503, 504):
                raise TransientError(
                    self.account_id,
                    f"the Bluesky AppView behind {self.base} did not answer ({exc.status}); "
                    "mentions will be read on the next run",
                    status=exc.status,
                ) from None
            raise

    def fetch_mentions(self, cursor: str | None) -> tuple[list[Mention], str | None]:
        state: dict[str, str] = json.loads(cursor) if cursor else {}
        found: dict[str, Mention] = {}
        since = state.get("notifications")
        page_cursor = None
        newest = since
        for _ in range(10):
            params: dict[str, Any] = {"limit": 50}
            if page_cursor:
                params["cursor"] = page_cursor
            data = self._appview("app.bsky.notification.listNotifications", params)
            done = False
            for n in data.get("notifications", []):
                at = n.get("indexedAt") or ""
                if since and at <= since:
                    done = True
                    break
                newest = max(newest or "", at)
                if n.get("reason") in ("mention", "reply", "quote"):
                    found.setdefault(n["uri"], self._mention(n, n["reason"]))
            page_cursor = data.get("cursor")
            if done or not page_cursor or not since:
                break
        if newest:
            state["notifications"] = newest
        for query in self.account.search:
            key = f"search:{query}"
            params = {"q": query, "sort": "latest", "limit": 50}
            if state.get(key):
                params["since"] = state[key]
            data = self._appview("app.bsky.feed.searchPosts", params)
            for post in data.get("posts", []):
                found.setdefault(post["uri"], self._mention(post, "search"))
                state[key] = max(state.get(key, ""), post.get("indexedAt") or "")
        if self.account.chat:
            for mention in self._chat(state):
                found.setdefault(mention.source_id, mention)
        mentions = sorted(found.values(), key=lambda m: m.published or "")
        return mentions, json.dumps(state, sort_keys=True) if state else cursor

    # -- direct messages (the chat service, through the PDS) -----------------------------

    # -- a contest's entries ---------------------------------------------------

    def replies_to(self, ref: str) -> list[Mention]:
        """The thread under ``ref`` (``app.bsky.feed.getPostThread``); a PDS without an
        AppView is read directly: the replies in the repos it hosts (``SCAN_LIMIT`` at most)."""
        try:
            data = self._appview(
                "app.bsky.feed.getPostThread", {"uri": ref, "depth": 1000, "parentHeight": 0}
            )
        except (Rejected, TransientError) as exc:
            if "AppView" not in str(exc):
                raise
            return [
                self._entry({**record, "author": author})
                for record, author in self._scan(
                    POST, lambda v: ((v.get("reply") or {}).get("root") or {}).get("uri") == ref
                )
            ]
        found, stack = [], list((data.get("thread") or {}).get("replies") or [])
        while stack:
            node = stack.pop()
            if isinstance(node, dict) and node.get("post"):  # not a blocked or deleted view
                found.append(self._entry(node["post"]))
                stack.extend(node.get("replies") or [])
        return found

    def reposted_by(self, ref: str) -> set[str] | None:
        try:
            dids: set[str] = set()
            params: dict[str, Any] = {"uri": ref, "limit": 100}
            for _ in range(100):
                data = self._appview("app.bsky.feed.getRepostedBy", params)
                dids.update(a.get("did", "") for a in data.get("repostedBy") or [])
                if not data.get("cursor"):
                    break
                params["cursor"] = data["cursor"]
            return dids
        except (Rejected, TransientError) as exc:
            if "AppView" not in str(exc):
                raise
            return {
                author["did"]
                for _, author in self._scan(
                    "app.bsky.feed.repost", lambda v: (v.get("subject") or {}).get("uri") == ref
                )
            }

    def _entry(self, post: dict[str, Any]) -> Mention:
        author = post.get("author") or {}
        mention = self._mention(post, "reply")
        facets = (post.get("record") or {}).get("facets") or []
        mention.extra.update(
            author_id=author.get("did", ""),
            author_created_at=iso_or_none(author.get("createdAt")),
            mentions=[
                f.get("did", "")
                for facet in facets
                for f in facet.get("features") or []
                if f.get("$type") == "app.bsky.richtext.facet#mention"
            ],
            own=author.get("did") == self.did,
        )
        return mention

    def _scan(self, collection: str, wanted: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(record, author) of the ``collection`` records ``wanted`` in every repo of the PDS."""
        repos: list[str] = []
        params: dict[str, Any] = {"limit": 1000}
        while True:
            page = self._xrpc("GET", "com.atproto.sync.listRepos", params=params) or {}
            repos += [r["did"] for r in page.get("repos") or [] if r.get("active", True)]
            if len(repos) > SCAN_LIMIT:
                raise TransientError(
                    self.account_id,
                    f"the AppView behind {self.base} is unavailable and its PDS hosts more than "
                    f"{SCAN_LIMIT} accounts: the entries will be read when it answers again",
                )
            if not page.get("cursor") or not page.get("repos"):
                break
            params["cursor"] = page["cursor"]
        found = []
        for did in repos:
            handle = None
            query: dict[str, Any] = {"repo": did, "collection": collection, "limit": 100}
            for _ in range(SCAN_PAGES):
                page = self._xrpc("GET", "com.atproto.repo.listRecords", params=query) or {}
                for record in page.get("records") or []:
                    if not wanted(record.get("value") or {}):
                        continue
                    if handle is None:
                        described = self._xrpc(
                            "GET", "com.atproto.repo.describeRepo", params={"repo": did}
                        )
                        handle = (described or {}).get("handle") or did
                    found.append(
                        (
                            {
                                "uri": record["uri"],
                                "cid": record.get("cid"),
                                "record": record["value"],
                            },
                            {"did": did, "handle": handle},
                        )
                    )
                if not page.get("cursor"):
                    break
                query["cursor"] = page["cursor"]
        return found

    def _chat_call(self, method: str, nsid: str, **kwargs: Any) -> Any:
        """A chat.bsky.* call: the PDS proxies it to Bluesky's chat service."""
        try:
            return self._xrpc(method, nsid, headers={"atproto-proxy": CHAT_PROXY}, **kwargs)
        except (AuthError, Rejected) as exc:
            if "scope" in str(exc).lower():
                raise AuthError(
                    self.account_id,
                    "the app password cannot read direct messages: create one with "
                    "'Allow access to your direct messages' ticked, and connect again",
                    status=exc.status,
                ) from None
            raise

    def _chat(self, state: dict[str, str]) -> list[Mention]:
        """New messages sent to the brand since the last read (chat.bsky.convo.getLog)."""
        found: list[Mention] = []
        members: dict[str, dict[str, Any]] = {}
        for _ in range(10):  # pages of the log
            params = {"cursor": state["chat"]} if state.get("chat") else {}
            data = self._chat_call("GET", "chat.bsky.convo.getLog", params=params) or {}
            for log in data.get("logs") or []:
                message = log.get("message") or {}
                if (
                    log.get("$type") != "chat.bsky.convo.defs#logCreateMessage"
                    or message.get("$type", MESSAGE_VIEW) != MESSAGE_VIEW
                    or (message.get("sender") or {}).get("did") == self.did
                ):
                    continue  # other events, deleted messages, and the brand's own
                convo = str(log.get("convoId") or "")
                sender = str((message.get("sender") or {}).get("did") or "")
                if convo and convo not in members:
                    view = self._chat_call(
                        "GET", "chat.bsky.convo.getConvo", params={"convoId": convo}
                    )
                    members[convo] = {
                        m.get("did"): m
                        for m in ((view or {}).get("convo") or {}).get("members", [])
                    }
                who = members.get(convo, {}).get(sender) or {}
                found.append(
                    Mention(
                        source=self.name,
                        source_id=f"chat:{convo}:{message.get('id')}",
                        ref=f"dm:{convo}",
                        author=who.get("displayName") or who.get("handle") or sender,
                        author_handle="@" + (who.get("handle") or sender),
                        text=str(message.get("text") or ""),
                        url=None,
                        published=iso_or_none(message.get("sentAt")),
                        kind="dm",
                    )
                )
            if not data.get("cursor") or data.get("cursor") == state.get("chat"):
                break
            state["chat"] = data["cursor"]
        return found

    def _mention(self, item: dict[str, Any], kind: str) -> Mention:
        author = item.get("author") or {}
        record = item.get("record") or {}
        return Mention(
            source=self.name,
            source_id=item["uri"],
            ref=item["uri"],
            author=author.get("displayName") or author.get("handle", ""),
            author_handle="@" + author.get("handle", ""),
            text=str(record.get("text", "")),
            url=web_url(item["uri"], author.get("handle", "")),
            published=iso_or_none(record.get("createdAt") or item.get("indexedAt")),
            kind=kind,
            in_reply_to=((record.get("reply") or {}).get("parent") or {}).get("uri"),
            extra={"cid": item.get("cid"), "langs": record.get("langs")},
        )

    def reply(self, to_ref: str, text: str, key: str) -> Published:
        if to_ref.startswith("dm:"):  # a direct message: answered in its conversation
            sent = self._chat_call(
                "POST",
                "chat.bsky.convo.sendMessage",
                json={"convoId": to_ref[3:], "message": {"text": text}},
            )
            return Published(str(sent.get("id", "")), None, self.name)
        return super().reply(to_ref, text, key)

    def audience(self) -> Audience:
        profile = self._appview("app.bsky.actor.getProfile", {"actor": self.did})
        return Audience(
            count(profile.get("followersCount")),
            count(profile.get("followsCount")),
            count(profile.get("postsCount")),
        )

    def metrics(self, ref: str) -> Metrics:
        data = self._appview("app.bsky.feed.getPosts", {"uris": [ref]})
        posts = data.get("posts") or []
        if not posts:
            return Metrics(ref)
        p = posts[0]
        return Metrics(
            ref,
            likes=p.get("likeCount"),
            shares=(p.get("repostCount") or 0) + (p.get("quoteCount") or 0),
            replies=p.get("replyCount"),
        )


def _facet(start: int, end: int, feature: dict[str, Any]) -> dict[str, Any]:
    return {"index": {"byteStart": start, "byteEnd": end}, "features": [feature]}
