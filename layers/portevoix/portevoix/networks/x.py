"""X (API v2) with an OAuth 2.0 user token: posts, mentions, hidden replies, metrics.

X refuses a post identical to a recent one (403 "duplicate content"): after
a lost answer, that refusal means the first attempt went out, and the post
is found among the account's latest.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from portevoix.core.timeutil import iso_or_none, parse_iso
from portevoix.networks.base import (
    Audience,
    AuthError,
    Health,
    Limits,
    Mention,
    Metrics,
    Network,
    PollLimits,
    PollResult,
    Published,
    Rejected,
    Variant,
    count,
)
from portevoix.networks.oauth import RefreshedToken

_URL = re.compile(r"https?://[^\s<>\"]+")


def x_count(text: str) -> int:
    """X's weighted length, as X counts it: twitter-text v3 ("Counting characters",
    docs.x.com/fundamentals/counting-characters). Code points after NFC weigh
    1 in the Latin ranges and 2 elsewhere, an emoji sequence 2, any URL 23, bare domains
    such as example.com included."""
    from twitter_text import parse_tweet  # 0.4 s of regex compiling: only when needed

    return parse_tweet(text).weightedLength


# "OAuth 2.0 Authorization Code Flow with PKCE" (docs.x.com/fundamentals/authentication/
# oauth-2-0/authorization-code): a user token lasts two hours; only with offline.access is a
# refresh token issued, exchanged at POST /2/oauth2/token (grant_type=refresh_token) for a new
# pair. Each endpoint's reference names the scopes it needs: posting tweet.read, tweet.write,
# users.read; uploading media.write; hiding a reply tweet.moderate.write.
SCOPES = (
    "tweet.read",
    "tweet.write",
    "users.read",
    "offline.access",
    "media.write",
    "tweet.moderate.write",
)
NEEDS = {
    "post": ("tweet.read", "tweet.write", "users.read"),
    "media": ("media.write",),
    "hide": ("tweet.moderate.write",),
    "read": ("tweet.read", "users.read"),
}
EARLY_REFRESH = timedelta(minutes=2)


class X(RefreshedToken, Network):
    name = "x"
    label = "X"
    limits = Limits(
        max_chars=280,
        counter=x_count,
        max_media=4,
        can_hide=True,
        polls=PollLimits(max_options=4, option_chars=25, min_minutes=5, max_minutes=10080),
    )
    early = EARLY_REFRESH
    lifetime = 7200

    def _call(self, method: str, path: str, *, need: str = "read", **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        for attempt in (1, 2):
            token = self.token()
            headers["Authorization"] = f"Bearer {token}"
            try:
                resp = self.http.request(
                    method, f"{self.account.base.rstrip('/')}{path}", headers=headers, **kwargs
                )
            except AuthError:
                if attempt == 2 or not self._refresh(stale=token):
                    raise
                continue
            except Rejected as exc:
                if exc.status == 403 and "forbidden" in str(exc).lower():
                    raise self._forbidden(need, exc) from None
                raise
            return resp.json() if resp.content else {}
        raise AssertionError("unreachable")

    def _forbidden(self, need: str, exc: Rejected) -> Rejected:
        """X's bare 403 "Forbidden": name the scopes this call needs (not an expired token)."""
        wanted = NEEDS[need]
        granted = set(((self.secret_data() or {}).get("scope") or "").split())
        missing = [s for s in wanted if s not in granted] if granted else list(wanted)
        return Rejected(
            self.account_id,
            f"X refused this ({exc}); the token must carry the scopes "
            f"{', '.join(missing)}: connect the account again granting them",
            status=403,
        )

    # -- tokens ----------------------------------------------------------------

    def credentials(self) -> tuple[str, datetime | None]:
        data = self.secret_data()
        if data and data.get("refresh_token"):
            return str(data.get("access_token") or ""), None  # renewed here as needed
        return super().credentials()

    def _refresh_request(self, data: dict[str, Any]) -> tuple[str, dict[str, str], Any]:
        client_id, secret = data["client_id"], data.get("client_secret")
        form = {
            "grant_type": "refresh_token",
            "refresh_token": data["refresh_token"],
            "client_id": client_id,
        }
        # A confidential client authenticates with Basic auth; a public one does not.
        return (
            f"{self.account.base.rstrip('/')}/2/oauth2/token",
            form,
            (client_id, secret) if secret else None,
        )

    def poll_results(self, ref: str) -> PollResult:
        data = self._call(
            "GET",
            f"/2/tweets/{ref}",
            params={
                "expansions": "attachments.poll_ids",
                "poll.fields": "options,voting_status,end_datetime",
            },
        )
        poll = next(iter((data.get("includes") or {}).get("polls") or []), {})
        options = sorted(poll.get("options") or [], key=lambda o: o.get("position", 0))
        return PollResult(
            [(o.get("label", ""), int(o.get("votes") or 0)) for o in options],
            poll.get("voting_status") == "closed",
        )

    def audience(self) -> Audience:
        me = self._call("GET", "/2/users/me", params={"user.fields": "public_metrics"})["data"]
        m = me.get("public_metrics") or {}
        return Audience(
            count(m.get("followers_count")),
            count(m.get("following_count")),
            count(m.get("tweet_count")),
        )

    def check_credentials(self) -> Health:
        me = self._call("GET", "/2/users/me")["data"]
        if str(me["id"]) != self.account.user_id:
            return Health(
                self.account_id,
                self.name,
                False,
                f"the token is @{me.get('username')}'s, not user {self.account.user_id}",
            )
        data = self.secret_data() or {}
        granted = set((data.get("scope") or "").split())
        missing = [s for s in SCOPES if s not in granted] if granted else []
        if missing:
            return Health(
                self.account_id,
                self.name,
                False,
                f"the token lacks the scopes {', '.join(missing)}: connect the account again "
                "granting them",
                identity="@" + me["username"],
            )
        if not data.get("refresh_token"):
            return Health(
                self.account_id,
                self.name,
                False,
                "no refresh token: an X user token lasts two hours; connect the account again "
                "with offline.access and store the token JSON (access_token, refresh_token, "
                "client_id)",
                identity="@" + me["username"],
            )
        return Health(
            self.account_id, self.name, True, "token accepted", identity="@" + me["username"]
        )

    def _upload(self, media: Any) -> str:
        if media.data is None:
            raise Rejected(self.account_id, "X needs the media's bytes")
        data = self._call(
            "POST",
            "/2/media/upload",
            files={"media": (media.filename, media.data, media.mime)},
            data={
                "media_category": "tweet_video"
                if media.mime.startswith("video/")
                else "tweet_image"
            },
            idempotent=False,
            need="media",
        )["data"]
        if media.alt:
            self._call(
                "POST",
                "/2/media/metadata",
                json={"id": data["id"], "metadata": {"alt_text": {"text": media.alt[:1000]}}},
                idempotent=True,
                need="media",
            )
        return str(data["id"])

    def _text(self, variant: Variant) -> str:
        if variant.link and variant.link not in variant.text:
            return f"{variant.text.rstrip()} {variant.link}"
        return variant.text

    def publish(self, variant: Variant, key: str) -> Published:
        body: dict[str, Any] = {"text": self._text(variant)}
        if variant.reply_to:
            body["reply"] = {"in_reply_to_tweet_id": variant.reply_to}
        if variant.media:
            body["media"] = {"media_ids": [self._upload(m) for m in variant.media]}
        if variant.poll:
            body["poll"] = {
                "options": variant.poll.options,
                "duration_minutes": variant.poll.minutes,
            }
        started = datetime.now().astimezone()
        try:
            data = self._call("POST", "/2/tweets", json=body, idempotent=False, need="post")["data"]
        except Rejected as exc:
            if "duplicate content" in str(exc).lower():
                found = self.find_published(key, variant, started - timedelta(hours=1))
                if found:
                    return found
            raise
        return Published(str(data["id"]), f"https://x.com/i/web/status/{data['id']}", self.name)

    def find_published(self, key: str, variant: Variant, since: datetime) -> Published | None:
        data = self._call(
            "GET",
            f"/2/users/{self.account.user_id}/tweets",
            params={"max_results": 10, "tweet.fields": "created_at"},
        )
        expected = self._text(variant)
        floor = since - timedelta(minutes=2)
        for tweet in data.get("data", []) or []:
            created = parse_iso(tweet.get("created_at"))
            same = (
                tweet.get("text") == expected
                or _URL.sub("", tweet.get("text", "")).strip() == _URL.sub("", expected).strip()
            )
            if same and (created is None or created >= floor):
                return Published(
                    str(tweet["id"]),
                    f"https://x.com/i/web/status/{tweet['id']}",
                    self.name,
                    iso_or_none(tweet.get("created_at")),
                    True,
                )
        return None

    def fetch_mentions(self, cursor: str | None) -> tuple[list[Mention], str | None]:
        params: dict[str, Any] = {
            "max_results": 100,
            "tweet.fields": "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,lang",
            "expansions": "author_id",
            "user.fields": "username,name",
        }
        if cursor:
            params["since_id"] = cursor
        mentions: list[Mention] = []
        newest = cursor
        for _ in range(10):
            data = self._call("GET", f"/2/users/{self.account.user_id}/mentions", params=params)
            users = {u["id"]: u for u in (data.get("includes") or {}).get("users", [])}
            for tweet in data.get("data", []) or []:
                user = users.get(tweet.get("author_id"), {})
                replied = next(
                    (
                        r["id"]
                        for r in tweet.get("referenced_tweets", [])
                        if r.get("type") == "replied_to"
                    ),
                    None,
                )
                mentions.append(
                    Mention(
                        source=self.name,
                        source_id=str(tweet["id"]),
                        ref=str(tweet["id"]),
                        author=user.get("name", ""),
                        author_handle="@" + user.get("username", ""),
                        text=tweet.get("text", ""),
                        url=f"https://x.com/{user.get('username', 'i')}/status/{tweet['id']}",
                        published=iso_or_none(tweet.get("created_at")),
                        kind="reply" if replied else "mention",
                        in_reply_to=replied,
                        extra={"lang": tweet.get("lang")},
                    )
                )
            meta = data.get("meta") or {}
            if meta.get("newest_id") and (newest is None or int(meta["newest_id"]) > int(newest)):
                newest = meta["newest_id"]
            if not meta.get("next_token"):
                break
            params["pagination_token"] = meta["next_token"]
        return sorted(mentions, key=lambda m: m.published or ""), newest

    def hide(self, ref: str) -> None:
        data = self._call("PUT", f"/2/tweets/{ref}/hidden", json={"hidden": True}, need="hide")
        if not (data.get("data") or {}).get("hidden"):
            raise Rejected(self.account_id, f"X did not hide reply {ref}")

    def metrics(self, ref: str) -> Metrics:
        answer = self._call("GET", f"/2/tweets/{ref}", params={"tweet.fields": "public_metrics"})
        post = answer.get("data")
        if not post:  # a deleted post: 200 with only "errors" (X API v2, "Errors")
            errors = answer.get("errors") or [{}]
            detail = errors[0].get("detail") or errors[0].get("title") or "no data in the answer"
            raise Rejected(self.account_id, f"X has no post {ref}: {detail}")
        pm = post.get("public_metrics") or {}
        # Reposts are public_metrics.retweet_count ("Metrics", docs.x.com/x-api/fundamentals/metrics).
        reposts = pm.get("retweet_count", pm.get("repost_count"))
        return Metrics(
            ref,
            likes=pm.get("like_count"),
            shares=(reposts or 0) + (pm.get("quote_count") or 0),
            replies=pm.get("reply_count"),
            views=pm.get("impression_count"),
        )
