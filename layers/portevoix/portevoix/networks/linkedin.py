"""LinkedIn organisation pages: the versioned REST API (Posts, Images, Social Actions).

A created post's URN comes back in the ``x-restli-id`` header. LinkedIn has
no idempotency key: a lost answer is resolved by reading the organisation's
latest posts before anything is sent again.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from portevoix.core.timeutil import iso, parse_iso
from portevoix.networks import versions
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
    Watermark,
    count,
    graphemes,
)
from portevoix.networks.oauth import RefreshedToken

# Posts' commentary is "little" text: these characters open elements (mentions, hashtags,
# templates) and must be escaped with a backslash to be plain text, or LinkedIn cuts the
# post at the first one ("Little Text Format", learn.microsoft.com/linkedin/marketing/
# community-management/shares/little-text-format).
_RESERVED = re.compile(r"[|{}@\[\]()<>#\\*_~]")
_URL = re.compile(r"https?://\S+")
_HASHTAG = re.compile(r"(?<![\w#])#(?=[^\W_])")  # a hashtag element: #word, kept as such


def little(text: str) -> str:
    """``text`` as little text: reserved characters escaped, #hashtags kept."""
    in_urls = {i for m in _URL.finditer(text) for i in range(m.start(), m.end())}
    keep = {m.start() for m in _HASHTAG.finditer(text)} - in_urls
    return _RESERVED.sub(lambda m: m[0] if m.start() in keep else "\\" + m[0], text)


def _ms(value: Any) -> str | None:
    try:
        return iso(datetime.fromtimestamp(int(value) / 1000, UTC))
    except (TypeError, ValueError):
        return None


# "Refresh Tokens with OAuth 2.0" (learn.microsoft.com/linkedin/shared/authentication/
# programmatic-refresh-tokens): access tokens last 60 days, refresh tokens 365; the
# refresh is a POST of grant_type=refresh_token with the client's id and secret.
REFRESH_URL = "https://www.linkedin.com/oauth/v2/accessToken"
# The Poll API's durations (ONE_DAY, THREE_DAYS, SEVEN_DAYS, FOURTEEN_DAYS), by minutes.
POLL_DURATIONS = {1440: "ONE_DAY", 4320: "THREE_DAYS", 10080: "SEVEN_DAYS", 20160: "FOURTEEN_DAYS"}


class LinkedIn(RefreshedToken, Network):
    name = "linkedin"
    label = "LinkedIn"
    early = timedelta(days=7)  # renewed a week ahead: the daily check does it in time
    lifetime = 60 * 24 * 3600
    limits = Limits(
        max_chars=3000,
        counter=graphemes,
        max_media=1,
        media_types=("image/jpeg", "image/png", "image/gif"),
        polls=PollLimits(
            max_options=4, option_chars=30, durations=tuple(POLL_DURATIONS), question_chars=140
        ),
    )
    RECENT_POSTS = 5

    def _refresh_request(self, data: dict[str, Any]) -> tuple[str, dict[str, str], Any]:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": data["refresh_token"],
            "client_id": data["client_id"],
            "client_secret": data.get("client_secret") or "",
        }
        return data.get("token_url") or REFRESH_URL, form, None

    def credentials(self) -> tuple[str, Any]:
        """A refreshable token must be reconnected only when its refresh token expires."""
        data = self.secret_data()
        if self._refreshable(data):
            assert data is not None
            return str(data.get("access_token") or ""), parse_iso(data.get("refresh_expires_at"))
        return super().credentials()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        headers.update(
            {
                "LinkedIn-Version": self.account.api_version,
                "X-Restli-Protocol-Version": "2.0.0",
            }
        )
        try:
            for attempt in (1, 2):
                token = self.token()
                headers["Authorization"] = f"Bearer {token}"
                try:
                    return self.http.request(
                        method, f"{self.account.base.rstrip('/')}{path}", headers=headers, **kwargs
                    )
                except AuthError:  # revoked early, or expired: one renewal, then reconnect
                    if attempt == 2 or not self._refreshable(self.secret_data()):
                        raise
                    if not self._refresh(stale=token):
                        raise
            raise AssertionError("unreachable")
        except Rejected as exc:
            if exc.status != 426:
                raise
            # LinkedIn answers 426 to a version it retired or never had ("LinkedIn
            # Marketing API Versioning", learn.microsoft.com/linkedin/marketing/versioning).
            raise Rejected(
                self.account_id,
                f"LinkedIn refuses API version {self.account.api_version} (HTTP 426: retired or "
                f"unknown): set accounts[].api_version to {versions.DEFAULTS['linkedin']}",
                status=426,
            ) from None

    @property
    def org(self) -> str:
        return self.account.organization

    def check_credentials(self) -> Health:
        org_id = self.org.rsplit(":", 1)[1]
        data = self._call("GET", f"/rest/organizations/{org_id}").json()
        return Health(
            self.account_id,
            self.name,
            True,
            "token accepted",
            identity=data.get("localizedName") or self.org,
        )

    def poll_results(self, ref: str) -> PollResult:
        """Votes per option, as the Posts API gives them to the poll's author."""
        post = self._call("GET", f"/rest/posts/{quote(ref, safe='')}").json()
        poll = (post.get("content") or {}).get("poll") or {}
        minutes = {v: k for k, v in POLL_DURATIONS.items()}.get(
            (poll.get("settings") or {}).get("duration", ""), 0
        )
        created = post.get("publishedAt") or post.get("createdAt")
        ends = (
            datetime.fromtimestamp(int(created) / 1000, UTC) + timedelta(minutes=minutes)
            if created and minutes
            else None
        )
        return PollResult(
            [(o.get("text", ""), int(o.get("voteCount") or 0)) for o in poll.get("options", [])],
            bool(ends and datetime.now(UTC) >= ends),
            count(poll.get("uniqueVotersCount")),
        )

    def audience(self) -> Audience:
        """The organisation's followers (Network Sizes, ``COMPANY_FOLLOWED_BY_MEMBER``)."""
        urn = quote(self.org, safe="")
        data = self._call(
            "GET", f"/rest/networkSizes/{urn}", params={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"}
        ).json()
        return Audience(count(data.get("firstDegreeSize")))

    def _upload(self, media: Any) -> str:
        if media.data is None:
            raise Rejected(self.account_id, "LinkedIn needs the image's bytes")
        init = self._call(
            "POST",
            "/rest/images?action=initializeUpload",
            json={"initializeUploadRequest": {"owner": self.org}},
            idempotent=True,
        ).json()["value"]
        self.http.request(
            "PUT", init["uploadUrl"], data=media.data, headers={"Content-Type": media.mime}
        )
        return init["image"]

    @staticmethod
    def _commentary(variant: Variant) -> str:
        text = (
            variant.text
            if not variant.link or variant.link in variant.text
            else f"{variant.text}\n\n{variant.link}"
        )
        return little(text)

    def publish(self, variant: Variant, key: str) -> Published:
        if variant.reply_to:
            return self.reply(variant.reply_to, variant.text, key)
        body: dict[str, Any] = {
            "author": self.org,
            "commentary": self._commentary(variant),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if variant.media:
            m = variant.media[0]
            body["content"] = {"media": {"id": self._upload(m), "altText": m.alt or ""}}
        if variant.poll:  # Poll API: a question, 2 to 4 options, a fixed duration
            body["content"] = {
                "poll": {
                    "question": variant.poll.question or variant.text.split("\n")[0][:140],
                    "options": [{"text": o} for o in variant.poll.options],
                    "settings": {"duration": POLL_DURATIONS[variant.poll.minutes]},
                }
            }
        resp = self._call("POST", "/rest/posts", json=body, idempotent=False)
        urn = resp.headers.get("x-restli-id") or resp.headers.get("x-linkedin-id")
        if not urn:
            raise Rejected(self.account_id, "LinkedIn answered without the post's id (x-restli-id)")
        return Published(urn, f"https://www.linkedin.com/feed/update/{urn}/", self.name)

    def _recent(self) -> list[dict[str, Any]]:
        return (
            self._call(
                "GET",
                f"/rest/posts?author={quote(self.org, safe='')}&q=author&count=10&sortBy=LAST_MODIFIED",
            )
            .json()
            .get("elements", [])
        )

    def find_published(self, key: str, variant: Variant, since: datetime) -> Published | None:
        text = self._commentary(variant)
        floor = since - timedelta(minutes=2)
        for post in self._recent():
            created = post.get("publishedAt") or post.get("createdAt")
            when = datetime.fromtimestamp(int(created) / 1000, UTC) if created else None
            if post.get("commentary") == text and (when is None or when >= floor):
                urn = post["id"]
                return Published(
                    urn,
                    f"https://www.linkedin.com/feed/update/{urn}/",
                    self.name,
                    _ms(created),
                    True,
                )
        return None

    def fetch_mentions(self, cursor: str | None) -> tuple[list[Mention], str | None]:
        mark = Watermark(cursor)
        mentions = []
        for post in self._recent()[: self.RECENT_POSTS]:
            urn = post["id"]
            data = self._call("GET", f"/rest/socialActions/{quote(urn, safe='')}/comments").json()
            for c in data.get("elements", []):
                created = int((c.get("created") or {}).get("time") or 0)
                comment_urn = (
                    c.get("$URN") or c.get("commentUrn") or f"urn:li:comment:({urn},{c.get('id')})"
                )
                stamp = f"{created:015d}"
                if not mark.is_new(stamp, comment_urn) or c.get("actor") == self.org:
                    continue
                mark.add(stamp, comment_urn)
                mentions.append(
                    Mention(
                        source=self.name,
                        source_id=comment_urn,
                        ref=f"{urn}|{comment_urn}",
                        author=c.get("actor", ""),
                        author_handle=c.get("actor", ""),
                        text=(c.get("message") or {}).get("text", ""),
                        url=f"https://www.linkedin.com/feed/update/{urn}/",
                        published=_ms(created),
                        kind="comment",
                        in_reply_to=urn,
                    )
                )
        return sorted(mentions, key=lambda m: m.published or ""), mark.dump() or cursor

    def reply(self, to_ref: str, text: str, key: str) -> Published:
        post_urn, _, comment_urn = to_ref.partition("|")
        body: dict[str, Any] = {"actor": self.org, "object": post_urn, "message": {"text": text}}
        if comment_urn:
            body["parentComment"] = comment_urn
        resp = self._call(
            "POST",
            f"/rest/socialActions/{quote(post_urn, safe='')}/comments",
            json=body,
            idempotent=False,
        )
        urn = resp.headers.get("x-restli-id") or (resp.json() if resp.content else {}).get(
            "$URN", ""
        )
        return Published(urn, f"https://www.linkedin.com/feed/update/{post_urn}/", self.name)

    def metrics(self, ref: str) -> Metrics:
        data = self._call("GET", f"/rest/socialActions/{quote(ref, safe='')}").json()
        return Metrics(
            ref,
            likes=(data.get("likesSummary") or {}).get("totalLikes"),
            replies=(data.get("commentsSummary") or {}).get("aggregatedTotalComments"),
        )
