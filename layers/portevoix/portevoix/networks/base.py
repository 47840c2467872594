"""The one small interface every network implements, and its shared types.

A network module turns its API into: mentions read since a cursor, a post
published under an idempotency key (and found again when the answer was
lost), a reply, a hide where allowed, engagement metrics, and a credentials
check. Failures are the same everywhere (see ``errors``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from portevoix.core.errors import (  # noqa: F401 - re-exported
    AuthError,
    LostResponse,
    NetworkError,
    NotSent,
    PortevoixError,
    RateLimited,
    Rejected,
    TransientError,
    Unsupported,
)
from portevoix.core.timeutil import parse_iso

# --------------------------------------------------------------------------
# Errors: the same semantics for every network


# --------------------------------------------------------------------------
# Data


@dataclass
class Media:
    """An image or video to attach: bytes (or a URL for networks that pull)."""

    data: bytes | None = None
    url: str | None = None
    mime: str = "image/jpeg"
    alt: str = ""
    filename: str = "media"


@dataclass
class Poll:
    """A poll under a post: its choices, how long it is open, and (LinkedIn) its question."""

    options: list[str]
    minutes: int = 1440
    question: str | None = None


@dataclass
class PollResult:
    """A poll's votes per option (in order), whether it is over, and how many voted."""

    options: list[tuple[str, int]]
    closed: bool
    voters: int | None = None


@dataclass
class PollLimits:
    """What a network accepts in a poll."""

    max_options: int = 4
    option_chars: int = 25
    min_minutes: int = 5
    max_minutes: int = 10080
    durations: tuple[int, ...] = ()  # a fixed set of durations (LinkedIn), in minutes
    question_chars: int | None = None  # a separate question (LinkedIn)


@dataclass
class Variant:
    """What to publish on one network."""

    text: str
    link: str | None = None
    media: list[Media] = field(default_factory=list)
    language: str | None = None
    reply_to: str | None = None  # a network reference (see Mention.ref)
    options: dict[str, Any] = field(default_factory=dict)  # visibility, spoiler...
    poll: Poll | None = None


@dataclass
class Published:
    """Where a post now lives."""

    ref: str  # the network's id (status id, at:// URI, URN...)
    url: str | None
    network: str
    created_at: str | None = None
    found_by_lookup: bool = False


@dataclass
class Mention:
    """Something said to or about the brand on a network."""

    source: str  # network name
    source_id: str  # unique within the source
    ref: str  # what reply/hide/metrics take
    author: str
    author_handle: str
    text: str
    url: str | None
    published: str | None  # ISO 8601 UTC
    kind: str = "mention"  # mention | reply | comment | search | hashtag
    in_reply_to: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Strangers' names and words, cleaned as they enter: no control character, no bidi
        override (they would reach replies, emails and terminals), a bounded length."""
        from portevoix.core.text import clean_text, clean_written

        self.author = clean_text(self.author, 200)
        self.author_handle = clean_text(self.author_handle, 200)
        self.text = clean_written(self.text, 5000).strip()

    @property
    def language(self) -> str | None:
        """The language the network declares (Mastodon's ``language``, Bluesky's ``langs``)."""
        declared = self.extra.get("language") or next(iter(self.extra.get("langs") or []), None)
        code = str(declared or "").split("-")[0].strip().lower()
        return code if re.fullmatch(r"[a-z]{2,3}", code) else None


@dataclass
class Metrics:
    ref: str
    likes: int | None = None
    shares: int | None = None
    replies: int | None = None
    views: int | None = None


@dataclass
class Audience:
    """An account's community as its network counts it (None where it does not say)."""

    followers: int | None
    following: int | None = None
    posts: int | None = None


def count(value: Any) -> int | None:
    """A count from an API answer (None when absent or not a number)."""
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass
class Health:
    account: str
    network: str
    ok: bool
    detail: str
    expires_at: datetime | None = None
    identity: str | None = None


class Watermark:
    """A reading cursor by time that never skips what shares the last timestamp.

    Stored as JSON ``{"t": newest, "ids": [ids seen at exactly t]}``; ``t``
    is any string that sorts in time order (ISO 8601, zero-padded numbers).
    """

    def __init__(self, raw: str | None):
        import json

        self.t = ""
        self.ids: set[str] = set()
        if raw:
            try:
                data = json.loads(raw)
                self.t, self.ids = str(data.get("t", "")), set(data.get("ids", []))
            except (ValueError, AttributeError):
                self.t = raw  # an older plain cursor
        self._start = (self.t, set(self.ids))

    def is_new(self, t: str, item_id: str) -> bool:
        t0, ids0 = self._start
        return t > t0 or (t == t0 and item_id not in ids0)

    def add(self, t: str, item_id: str) -> None:
        if t > self.t:
            self.t, self.ids = t, {item_id}
        elif t == self.t:
            self.ids.add(item_id)

    def dump(self) -> str | None:
        import json

        return json.dumps({"t": self.t, "ids": sorted(self.ids)}) if self.t else None


# --------------------------------------------------------------------------
# Limits: how each network counts


_URL = re.compile(r"https?://[^\s<>\"]+")


def graphemes(text: str) -> int:
    """User-perceived characters (emoji sequences, accents and flags count once)."""
    import regex

    return len(regex.findall(r"\X", text))


@dataclass(frozen=True)
class Limits:
    max_chars: int
    counter: Callable[[str], int] = graphemes
    max_media: int = 4
    media_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/gif", "image/webp")
    media_required: bool = False
    media_by_url: bool = False  # the network fetches media from a URL (Instagram)
    can_hide: bool = False
    can_reply: bool = True
    has_metrics: bool = True
    max_hashtags: int | None = None
    polls: PollLimits | None = None  # None: the network has no polls

    def count(self, text: str) -> int:
        return self.counter(text)

    def problems(self, variant: Variant) -> list[str]:
        """What would make the network refuse this variant (English, for logs)."""
        out = []
        n = self.count(variant.text)
        if n > self.max_chars:
            out.append(f"text is {n} characters, the limit is {self.max_chars}")
        if len(variant.media) > self.max_media:
            out.append(f"{len(variant.media)} media, the limit is {self.max_media}")
        if self.media_required and not variant.media:
            out.append("this network needs at least one image or video")
        for m in variant.media:
            if m.mime not in self.media_types:
                out.append(f"media type {m.mime} is not accepted")
        if self.max_hashtags is not None:
            tags = len(re.findall(r"(?<!\w)#\w+", variant.text))
            if tags > self.max_hashtags:
                out.append(f"{tags} hashtags, the limit is {self.max_hashtags}")
        return out


class Network:
    """Base class: a configured account on one network."""

    name = "network"
    limits = Limits(max_chars=500)

    def __init__(self, account: Any, secret: Any, client: Any):
        self.account = account
        self._secret = secret
        self.http = client

    @property
    def account_id(self) -> str:
        return self.account.key

    def credentials(self) -> tuple[str, datetime | None]:
        """The token, and when it expires if the secret says so.

        A secret is either the bare token, or JSON such as
        ``{"access_token": "...", "expires_at": "2027-01-31T00:00:00Z"}``.
        """
        data = self.secret_data()
        if data is not None:
            token = data.get("access_token") or data.get("token") or data.get("password") or ""
            return str(token), parse_iso(data.get("expires_at"))
        return self._secret().strip(), None

    def secret_data(self, fresh: bool = False) -> dict[str, Any] | None:
        """The secret's JSON fields, or None when the secret is a bare token."""
        raw = (self._secret(fresh=True) if fresh else self._secret()).strip()
        if not raw.startswith("{"):
            return None
        import json

        try:
            data = json.loads(raw)
        except ValueError:
            raise AuthError(
                self.account_id, "the secret looks like JSON but is not valid"
            ) from None
        if not isinstance(data, dict):
            raise AuthError(self.account_id, "the secret's JSON must be an object")
        return data

    def token(self) -> str:
        return self.credentials()[0]

    def check_credentials(self) -> Health:
        raise NotImplementedError

    def fetch_mentions(self, cursor: str | None) -> tuple[list[Mention], str | None]:
        raise Unsupported(self.account_id, f"{self.name} mentions cannot be read")

    def publish(self, variant: Variant, key: str) -> Published:
        raise Unsupported(self.account_id, f"{self.name} is read-only here")

    def find_published(self, key: str, variant: Variant, since: datetime) -> Published | None:
        """The post an earlier attempt under ``key`` created, if any."""
        return None

    def reply(self, to_ref: str, text: str, key: str) -> Published:
        variant = Variant(text=text, reply_to=to_ref)
        return self.publish(variant, key)

    def hide(self, ref: str) -> None:
        raise Unsupported(self.account_id, f"{self.name} does not let us hide comments")

    def parent(self, ref: str) -> dict[str, Any] | None:
        """The post a message answers (``text``, ``url``, ``author``), where the network says."""
        return None

    def metrics(self, ref: str) -> Metrics:
        raise Unsupported(self.account_id, f"{self.name} gives no engagement metrics here")

    def poll_results(self, ref: str) -> PollResult:
        """The votes of the poll under the post ``ref``."""
        raise Unsupported(self.account_id, f"{self.name} has no polls")

    def audience(self) -> Audience:
        """Followers (following, posts) of this account, as of now."""
        raise Unsupported(self.account_id, f"{self.name} gives no audience figures here")

    def replies_to(self, ref: str) -> list[Mention]:
        """Every reply (or comment) under the post ``ref``, each with ``extra["author_id"]``
        and, where the network says, ``extra["author_created_at"]`` (a contest's entries)."""
        raise Unsupported(self.account_id, f"{self.name} replies cannot be read for a contest")

    def reposted_by(self, ref: str) -> set[str] | None:
        """The ``author_id`` of everyone who reposted ``ref``; None where the network hides it."""
        return None
