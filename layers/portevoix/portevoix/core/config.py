"""The brand's configuration: one YAML document, validated at load.

Every problem is reported with the field's path and the file it came from,
and nothing runs on an invalid configuration.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
from functools import cached_property
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from portevoix.core.compiled import (
    AD_NETWORKS,
    CHARTER_RULES,
    INBOX_INTENTS,
    REPLY_VARIABLES,
    AccountMethods,
    BoostsMethods,
    ConfigMethods,
    FeedMethods,
    check_email,
    read_file,
)
from portevoix.core.errors import ConfigError

__all__ = ["AD_NETWORKS", "CHARTER_RULES", "INBOX_INTENTS", "REPLY_VARIABLES"]


def _language(value: str) -> str:
    from portevoix.core.i18n import languages

    if value not in languages():
        raise ValueError(f"{value!r} has no catalog; languages: {', '.join(languages())}")
    return value


Language = Annotated[str, AfterValidator(_language)]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


_check_email = check_email


def _check_http_url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{value!r} is not an http(s) URL")
    if not parts.hostname:
        raise ValueError(f"{value!r} has no host name")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ValueError(f"{value!r} has an invalid port") from exc
    return value


def _check_terms(values: list[str]) -> list[str]:
    cleaned = [v.strip() for v in values]
    if any(not v for v in cleaned):
        raise ValueError("must not contain empty terms")
    return cleaned


Email = Annotated[str, AfterValidator(_check_email)]
HttpUrl = Annotated[str, AfterValidator(_check_http_url)]
Terms = Annotated[list[str], AfterValidator(_check_terms)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Brand(_Model):
    name: str = Field(min_length=1, description="The brand's name as people write it.")
    aliases: Terms = Field(default_factory=list)
    exclude: Terms = Field(
        default_factory=list,
        description="Phrases that look like the brand but are not (e.g. 'orange juice').",
    )

    @field_validator("name")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v


class Member(_Model):
    email: Email
    name: str = ""
    handles: list[str] = Field(
        default_factory=list,
        description="Their own accounts on the networks (@name): they cannot win contests.",
    )
    language: Language | None = None
    digest: bool = True
    report: bool = Field(default=True, description="Receives the weekly report.")


class Competitor(_Model):
    name: str = Field(min_length=1)
    aliases: Terms = Field(default_factory=list)


class Feed(_Model, FeedMethods):
    url: HttpUrl
    id: str | None = Field(default=None, description="Stable slug; defaults to a hash of the URL.")
    name: str = ""
    topics: list[str] = Field(default_factory=list)
    interval_minutes: int = Field(default=0, ge=0, le=7 * 24 * 60)

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str | None) -> str | None:
        if v is not None and not _SLUG.match(v):
            raise ValueError(
                f"{v!r} must be lower-case letters, digits, '-' or '_' (at most 63 characters)"
            )
        return v


class Fetch(_Model):
    interval_minutes: int = Field(default=15, ge=1, le=24 * 60)
    connect_timeout_seconds: float = Field(default=5, gt=0, le=60)
    read_timeout_seconds: float = Field(default=15, gt=0, le=120)
    total_timeout_seconds: float = Field(default=30, gt=0, le=300)
    max_body_mb: float = Field(default=5, gt=0, le=50)
    max_redirects: int = Field(default=5, ge=0, le=10)
    concurrency: int = Field(default=16, ge=1, le=64)
    max_backoff_hours: float = Field(default=24, gt=0, le=7 * 24)
    allow_private_networks: bool = Field(
        default=False,
        description="Let feeds live on loopback/private addresses (local mode, intranets).",
    )
    allow_networks: list[str] = Field(
        default_factory=list,
        description="CIDR blocks allowed even though they are private (e.g. one intranet host).",
    )
    contact: str = Field(default="", description="URL or email added to the User-Agent.")

    @field_validator("allow_networks")
    @classmethod
    def _cidrs(cls, values: list[str]) -> list[str]:
        for v in values:
            try:
                ipaddress.ip_network(v, strict=False)
            except ValueError as exc:
                raise ValueError(f"{v!r} is not an IP network (CIDR)") from exc
        return values


_SECRET = re.compile(r"^(ssm:/\S+|secretsmanager:[\w/+=.@-]+(#\w+)?|env:[A-Z_][A-Z0-9_]*)$")


def _check_secret(value: str) -> str:
    value = value.strip()
    if not _SECRET.match(value):
        raise ValueError(
            "must say where the secret lives: ssm:/parameter/name, "
            "secretsmanager:name (or name#json_key), or env:VARIABLE (local mode); "
            "never the secret itself"
        )
    return value


SecretRef = Annotated[str, AfterValidator(_check_secret)]


class _Account(_Model, AccountMethods):
    id: str | None = Field(default=None, description="Stable slug; defaults to the network's name.")
    read: bool = Field(default=True, description="Poll this account for mentions.")
    enabled: bool = Field(
        default=True, description="false: kept in the file, neither read nor published to."
    )
    language: Language | None = Field(
        default=None, description="Its audience's language (the holding statement's); the brand's."
    )

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str | None) -> str | None:
        if v is not None and not _SLUG.match(v):
            raise ValueError(f"{v!r} must be lower-case letters, digits, '-' or '_'")
        return v


class MastodonAccount(_Account):
    network: Literal["mastodon"]
    instance: HttpUrl
    secret: SecretRef = Field(description="A user access token (read, write scopes).")
    hashtags: list[str] = Field(default_factory=list)
    search: list[str] = Field(
        default_factory=list, description="Full-text searches (where the instance allows them)."
    )
    max_chars: int | None = Field(default=None, ge=100, le=100_000)


class BlueskyAccount(_Account):
    network: Literal["bluesky"]
    handle: str = Field(min_length=3)
    service: HttpUrl = "https://bsky.social"
    secret: SecretRef = Field(description="An app password (Settings > App passwords).")
    search: list[str] = Field(default_factory=list)
    chat: bool = Field(
        default=False,
        description="Read and answer direct messages (the app password must allow them).",
    )


class WebhookAccount(_Account):
    network: Literal["webhook"]
    kind: Literal["slack", "discord", "teams", "generic"] = "generic"
    secret: SecretRef = Field(description="The incoming-webhook URL (it is a credential).")
    read: bool = False


class RedditAccount(_Account):
    """Reddit search through the Data API: OAuth (app only) and a User-Agent naming the app."""

    network: Literal["reddit"]
    query: str = Field(min_length=1)
    subreddits: list[str] = Field(default_factory=list)
    username: str = Field(
        pattern=r"^[A-Za-z0-9_-]{3,20}$",
        description="The Reddit user who registered the app (in the User-Agent Reddit requires).",
    )
    secret: SecretRef = Field(
        description='The app\'s credentials as JSON: {"client_id": "...", "client_secret": "..."}.'
    )
    base: HttpUrl = "https://www.reddit.com"
    api_base: HttpUrl = "https://oauth.reddit.com"


class HackerNewsAccount(_Account):
    network: Literal["hackernews"]
    query: str = Field(min_length=1)
    base: HttpUrl = "https://hn.algolia.com"


class LinkedInAccount(_Account):
    network: Literal["linkedin"]
    organization: str = Field(pattern=r"^urn:li:organization:\d+$")
    secret: SecretRef
    # networks/versions.py keeps every version with its retirement date (a test checks
    # these defaults are its DEFAULTS); `portevoix accounts check` warns 60 days ahead.
    api_version: str = Field(default="202603", pattern=r"^\d{6}$")
    base: HttpUrl = "https://api.linkedin.com"


class _GraphAccount(_Account):
    """An account on Meta's Graph API (Facebook Page, Instagram professional)."""

    secret: SecretRef = Field(description="A long-lived Page access token.")
    graph_version: str = Field(default="v25.0", pattern=r"^v\d+\.\d+$")
    base: HttpUrl = "https://graph.facebook.com"


class FacebookAccount(_GraphAccount):
    network: Literal["facebook"]
    page_id: str = Field(pattern=r"^\d+$")


class InstagramAccount(_GraphAccount):
    network: Literal["instagram"]
    user_id: str = Field(pattern=r"^\d+$")


class XAccount(_Account):
    network: Literal["x"]
    user_id: str = Field(pattern=r"^\d+$")
    secret: SecretRef = Field(
        description="OAuth 2.0 user token JSON (access_token, refresh_token, client_id, "
        "scope) granted tweet.read, tweet.write, users.read, offline.access, media.write and "
        "tweet.moderate.write; the renewed pair is written back to it."
    )
    base: HttpUrl = "https://api.x.com"


Account = Annotated[
    MastodonAccount
    | BlueskyAccount
    | WebhookAccount
    | RedditAccount
    | HackerNewsAccount
    | LinkedInAccount
    | FacebookAccount
    | InstagramAccount
    | XAccount,
    Field(discriminator="network"),
]


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class CharterRules(_Model):
    """One network's editorial charter; unset fields fall back to ``charter.default``."""

    max_length: int | None = Field(default=None, ge=1, description="Below the network's own limit.")
    banned_words: list[str] | None = None
    required: list[str] | None = Field(default=None, description="Text every post must contain.")
    links: bool | None = Field(default=None, description="Whether links are allowed.")
    max_hashtags: int | None = Field(default=None, ge=0)
    max_mentions: int | None = Field(default=None, ge=0)
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] | None = None
    hours: str | None = Field(default=None, description="Allowed local hours, e.g. 08:00-20:00.")
    min_spacing_minutes: int | None = Field(default=None, ge=0, le=7 * 24 * 60)
    weekly_target: int | None = Field(default=None, ge=0, le=500)
    tone: str | None = Field(default=None, description="Notes shown to approvers.")
    levels: dict[str, Literal["error", "warning"]] = Field(default_factory=dict)

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: str | None) -> str | None:
        if v is not None and not _HOURS.match(v.replace(" ", "")):
            raise ValueError(f"{v!r} must look like 08:00-20:00")
        return v.replace(" ", "") if v else v

    @field_validator("levels")
    @classmethod
    def _levels(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(v) - set(CHARTER_RULES))
        if unknown:
            raise ValueError(f"unknown rule(s) {unknown}; rules are {list(CHARTER_RULES)}")
        return v


class Charter(_Model):
    default: CharterRules = Field(default_factory=CharterRules)
    networks: dict[str, CharterRules] = Field(default_factory=dict)

    def for_network(self, network: str) -> CharterRules:
        """The default rules overlaid with the network's own."""
        own = self.networks.get(network)
        if own is None:
            return self.default
        merged = self.default.model_dump()
        for key, value in own.model_dump(exclude_unset=True).items():
            merged[key] = {**merged["levels"], **value} if key == "levels" else value
        return CharterRules.model_validate(merged)


class ReplyTemplate(_Model):
    """A reply a community manager personalises and sends in one click."""

    intents: list[
        Literal["crisis", "spam", "insult", "complaint", "question", "praise", "other"]
    ] = Field(default_factory=list, description="Offered for these intents (all when empty).")
    fr: str = ""
    en: str = ""

    @model_validator(mode="after")
    def _some_text(self) -> ReplyTemplate:
        if not (self.fr.strip() or self.en.strip()):
            raise ValueError("a template needs a French or an English text")
        for lang in ("fr", "en"):
            problem = template_problem(getattr(self, lang))
            if problem:
                raise ValueError(f"{lang}: {problem}")
        return self


def template_problem(source: str) -> str | None:
    """Why a reply template cannot render (syntax, unknown variable), or None."""
    if not source.strip():
        return None
    from jinja2 import TemplateSyntaxError, meta
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment()
    try:
        parsed = env.parse(source)
    except TemplateSyntaxError as exc:
        return f"template syntax error at line {exc.lineno}: {exc.message}"
    unknown = sorted(meta.find_undeclared_variables(parsed) - set(REPLY_VARIABLES))
    if unknown:
        return (
            f"unknown variable(s) {', '.join(unknown)}; a template may use "
            f"{', '.join('{{ ' + v + ' }}' for v in REPLY_VARIABLES)}"
        )
    return None


class Moderation(_Model):
    """Which comments to hide. The original is always archived first; nothing is deleted."""

    insults: bool = True
    spam_links: bool = True
    banned_words: Terms = Field(default_factory=list)
    repeated: int = Field(
        default=3, ge=0, le=100, description="Same text from one author this many times (0: off)."
    )
    auto_hide: bool = Field(default=False, description="Hide at once, or only flag for the team.")


class Comprehend(_Model):
    """Amazon Comprehend for sentiment, instead of the word lists (costs per message)."""

    enabled: bool = False
    region: str = Field(
        default="eu-west-1", description="Comprehend is not offered in every region."
    )


class Bedrock(_Model):
    """A model on Amazon Bedrock as a second opinion and reply drafter (costs per message)."""

    enabled: bool = False
    model_id: str = Field(
        default="amazon.nova-micro-v1:0",
        min_length=3,
        description="A Converse-capable model or inference profile (deploy with BedrockModelId).",
    )
    region: str = "eu-west-3"
    timeout_seconds: float = Field(default=5, gt=0, le=30, description="Slower: the rules decide.")
    max_tokens: int = Field(default=300, ge=50, le=2000)


class Inbox(_Model):
    """How messages are sorted: the brand's own words on top of the defaults."""

    comprehend: Comprehend = Field(default_factory=Comprehend)
    bedrock: Bedrock = Field(default_factory=Bedrock)

    moderation: Moderation = Field(default_factory=Moderation)

    templates: dict[str, ReplyTemplate] = Field(default_factory=dict)
    crisis_min: int = Field(
        default=10, ge=1, description="Negative mentions in an hour before a surge can alert."
    )
    sla_minutes: int = Field(
        default=60,
        ge=5,
        le=7 * 24 * 60,
        description="An urgent message waiting this long alerts its holder (the team at twice).",
    )

    vip: list[str] = Field(
        default_factory=list, description="Handles or emails whose messages are urgent."
    )
    own_accounts: list[str] = Field(
        default_factory=list, description="The brand's own handles (never alerts)."
    )
    words: dict[str, Terms] = Field(default_factory=dict, description="Extra terms per intent.")
    hours: list[int] = Field(
        default_factory=lambda: [9, 14, 17], description="Local hours of the grouped inbox email."
    )

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: list[int]) -> list[int]:
        if any(h < 0 or h > 23 for h in v):
            raise ValueError("hours are 0 to 23")
        return sorted(set(v))

    @field_validator("words")
    @classmethod
    def _intents(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(v) - set(INBOX_INTENTS))
        if unknown:
            raise ValueError(f"unknown intent(s) {unknown}; intents are {list(INBOX_INTENTS)}")
        return v


class Digest(_Model):
    hour: int = Field(default=8, ge=0, le=23)
    max_items_per_group: int = Field(default=8, ge=1, le=100)
    backlog_days: int = Field(
        default=2,
        ge=0,
        le=90,
        description="Items published longer ago than this are stored but left out of digests.",
    )


class Report(_Model):
    """The weekly report (sent on the schedule's day; on demand with `portevoix report`)."""

    enabled: bool = True
    metrics_days: int = Field(
        default=14,
        ge=1,
        le=90,
        description="Engagement is read back for posts published in this many past days.",
    )


class Tracking(_Model):
    """What a post's links carry when they go out."""

    utm: bool = Field(
        default=True,
        description="Add utm_source (the network), utm_medium and utm_campaign to tracked links.",
    )
    medium: str = Field(default="social", min_length=1, max_length=40)
    domains: list[str] = Field(
        default_factory=list,
        description=(
            "The brand's sites: links to them in a post's text are tracked too (the post's own "
            "link always is, unless the draft says track: false). Others' sites never are."
        ),
    )
    short_links: bool = Field(
        default=False,
        description="Replace tracked links by <stack>/l/<code>, which counts clicks (no cookie).",
    )

    @field_validator("domains")
    @classmethod
    def _hosts(cls, v: list[str]) -> list[str]:
        out = []
        for host in v:
            host = host.strip().lower().removeprefix("https://").removeprefix("http://")
            host = host.split("/")[0].removeprefix("www.")
            if not host or "." not in host:
                raise ValueError(f"{host!r} is not a domain name (e.g. cyclia.example)")
            out.append(host)
        return out


class Crisis(_Model):
    """What a freeze does to the posts it holds."""

    publish_held_within_minutes: int = Field(
        default=60,
        ge=0,
        le=7 * 24 * 60,
        description=(
            "When the freeze lifts, a held post whose time passed less than this ago goes out at "
            "once; an older one waits for someone to publish, reschedule or cancel it."
        ),
    )
    holding_statement: dict[Language, str] = Field(
        default_factory=dict,
        description=(
            "The holding statement, per language ({{ brand }} allowed): edited in the crisis "
            "room, approved once, published on every account in its language, and usable as "
            "the reply to the episode's messages."
        ),
    )


class _AdAccount(_Model):
    """An ad account that may pay for boosts of some of the brand's accounts."""

    id: str = Field(pattern=_SLUG.pattern, description="A slug naming it in boosts.")
    boosts: list[str] = Field(
        min_length=1, description="The ids of the accounts whose published posts it may boost."
    )
    secret: SecretRef = Field(description="A token allowed to manage its ads.")
    audiences: dict[str, Any] = Field(
        default_factory=dict, description="The audiences a boost may pick, by name."
    )
    enabled: bool = True


class MetaAdAccount(_AdAccount):
    """Meta's Marketing API: an ad account (``act_<id>``) paying for Facebook and Instagram."""

    network: Literal["meta"]
    ad_account: str = Field(pattern=r"^act_\d+$")
    audiences: dict[str, str] = Field(
        default_factory=dict,
        description="Saved audiences by name: name -> the saved audience's id (Ads Manager); "
        "connecting the ad account lists them.",
    )
    dsa_beneficiary: str | None = Field(
        default=None,
        max_length=200,
        description="Who benefits from the ads (required by the EU's DSA when targeting the EU; "
        "the ad account's default otherwise).",
    )
    dsa_payor: str | None = Field(default=None, max_length=200, description="Who pays for them.")
    page_id: str | None = Field(
        default=None,
        pattern=r"^\d+$",
        description="The Page behind its Instagram accounts (default: its Facebook account's).",
    )
    graph_version: str = Field(default="v25.0", pattern=r"^v\d+\.\d+$")
    base: HttpUrl = "https://graph.facebook.com"


class LinkedInAdAccount(_AdAccount):
    """LinkedIn's Advertising API: a sponsored account, sponsored content from the page's posts."""

    network: Literal["linkedin"]
    ad_account: str = Field(pattern=r"^\d+$", description="The sponsored account's number.")
    campaign_group: str = Field(
        pattern=r"^\d+$", description="The campaign group boosts go in (Campaign Manager)."
    )
    audiences: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="targetingCriteria by name (at least a location facet), as LinkedIn takes it.",
    )
    locale: str = Field(default="fr_FR", pattern=r"^[a-z]{2}_[A-Z]{2}$")
    api_version: str = Field(default="202603", pattern=r"^\d{6}$")
    base: HttpUrl = "https://api.linkedin.com"


AdAccount = Annotated[MetaAdAccount | LinkedInAdAccount, Field(discriminator="network")]


class Boosts(_Model, BoostsMethods):
    """Paid boosts of published posts: who pays, and how much at most."""

    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    max_budget: float = Field(
        default=0,
        ge=0,
        le=1_000_000,
        description="The most one boost may spend (0: boosts are off); anything above is refused.",
    )
    monthly_budget: float | None = Field(
        default=None,
        gt=0,
        description="The most all boosts starting in one calendar month may spend together.",
    )
    max_days: int = Field(default=30, ge=1, le=90)
    ad_accounts: list[AdAccount] = Field(default_factory=list)


class Newsletter(_Model):
    """The brand's newsletter: a public sign-up page, an issue per period, approved, then sent."""

    enabled: bool = Field(default=False, description="Open the sign-up page and prepare issues.")
    frequency: Literal["weekly", "monthly"] = "monthly"
    title: dict[Language, str] = Field(
        default_factory=dict, description="The issue's name per language ({{ brand }} allowed)."
    )
    rate_per_second: float = Field(
        default=10,
        gt=0,
        le=500,
        description="Emails a second at most (and never above the SES account's own rate).",
    )
    postal_address: str | None = Field(
        default=None, max_length=300, description="The sender's address, in every issue's footer."
    )


class Config(_Model, ConfigMethods):
    brand: Brand
    language: Language = Field(default="fr", description="Default language of emails.")
    timezone: str = "Europe/Paris"
    sender: Email = Field(description="The verified SES address emails are sent from.")
    team: list[Member] = Field(min_length=1)
    topics: dict[str, Terms] = Field(default_factory=dict)
    competitors: list[Competitor] = Field(default_factory=list)
    feeds: list[Feed] = Field(default_factory=list)
    fetch: Fetch = Field(default_factory=Fetch)
    digest: Digest = Field(default_factory=Digest)
    report: Report = Field(default_factory=Report)
    accounts: list[Account] = Field(default_factory=list)
    charter: Charter = Field(default_factory=Charter)
    inbox: Inbox = Field(default_factory=Inbox)
    crisis: Crisis = Field(default_factory=Crisis)
    tracking: Tracking = Field(default_factory=Tracking)
    boosts: Boosts = Field(default_factory=Boosts)
    newsletter: Newsletter = Field(default_factory=Newsletter)
    approvers: list[Email] = Field(
        default_factory=list, description="Who approves posts; defaults to the whole team."
    )

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{v!r} is not an IANA time zone (e.g. Europe/Paris)") from exc
        return v

    @field_validator("topics")
    @classmethod
    def _topics(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, terms in v.items():
            if not str(name).strip():
                raise ValueError("topic names must not be empty")
            if not terms:
                raise ValueError(f"topic {name!r} has no keywords")
        return v

    @model_validator(mode="after")
    def _unique_feeds(self) -> Config:
        seen: dict[str, int] = {}
        for i, feed in enumerate(self.feeds):
            if feed.key in seen:
                raise ValueError(
                    f"feeds[{i}] duplicates feeds[{seen[feed.key]}] ({feed.id or feed.url})"
                )
            seen[feed.key] = i
        return self

    @model_validator(mode="after")
    def _unique_accounts(self) -> Config:
        seen: set[str] = set()
        for i, account in enumerate(self.accounts):
            if account.key in seen:
                raise ValueError(
                    f"accounts[{i}]: a second account with id {account.key!r}: give each an id"
                )
            seen.add(account.key)
        # Disabled accounts are validated (errors keep their place in the file) and set
        # aside: nothing reads or publishes through them; the studio can reconnect them.
        by_key = {a.key: a for a in self.accounts}
        for i, ads in enumerate(self.boosts.ad_accounts):
            for name in ads.boosts:
                account = by_key.get(name)
                if account is None:
                    raise ValueError(
                        f"boosts.ad_accounts[{i}].boosts: no account with id {name!r} "
                        f"(known: {sorted(by_key)})"
                    )
                if account.network not in AD_NETWORKS[ads.network]:
                    raise ValueError(
                        f"boosts.ad_accounts[{i}].boosts: {name!r} is a {account.network} account; "
                        f"a {ads.network} ad account boosts {' or '.join(AD_NETWORKS[ads.network])}"
                    )
        object.__setattr__(self, "_all_accounts", list(self.accounts))
        object.__setattr__(self, "accounts", [a for a in self.accounts if a.enabled])
        return self

    @cached_property
    def fingerprint(self) -> str:
        """A short hash of the configuration, to cache what is derived from it."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


# What a field that must match a pattern looks like, said to a person.
_FORMS = {
    "author": "an email address",
    "email": "an email address",
    "sender": "an email address",
    "link": "an address starting with https:// or http://",
    "url": "an address starting with https:// or http://",
    "organization": "urn:li:organization: followed by digits",
    "page_id": "the page's digits",
    "user_id": "the account's digits",
    "id": "lower-case letters, digits, '-' or '_'",
    "api_version": "six digits, YYYYMM",
    "graph_version": "like v25.0",
    "username": "3 to 20 letters, digits, '_' or '-'",
}


def _describe(err: dict[str, Any]) -> str:
    where = _loc(tuple(p for p in err["loc"] if not str(p).startswith("function-")))
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"{where}: unknown key (check its spelling; see config/example.yaml)"
    if kind == "missing":
        return f"{where}: required but missing"
    if kind == "string_pattern_mismatch":
        field = str(err["loc"][-1]) if err["loc"] else ""
        hint = _FORMS.get(field, "see config/example.yaml for its form")
        return f"{where}: {err.get('input')!r} is not in the expected form ({hint})"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{where}: expected a mapping (key: value), found {type(err.get('input')).__name__}"
    msg = err["msg"]
    msg = msg.removeprefix("Value error, ")
    return f"{where}: {msg}"


def parse_config(text: str, source: str = "<config>") -> Config:
    """Validate a YAML document; raise ConfigError naming every faulty field."""
    import yaml

    # libyaml's loader when the wheel has it: the same documents, ~13 x faster to read (every
    # cold start reads the configuration)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(where, [f"not valid YAML: {problem}"]) from None
    if data is None:
        raise ConfigError(source, ["the file is empty; start from config/example.yaml"])
    if not isinstance(data, dict):
        raise ConfigError(source, ["the top level must be a mapping (key: value)"])
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, [_describe(e) for e in exc.errors()]) from None


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate a configuration file."""
    return parse_config(read_file(str(path)), str(path))


def compile_config(config: Config) -> str:
    """``config``'s compiled form: every value (defaults included) as ``compiled.load`` reads it.

    Each model is ``{"k": kind, "f": fields}`` (``"s"``: the fields the file set, for the
    charter's overlay), each mapping of the file's own ``{"d": ...}``: nothing a brand
    writes can pass for a model.
    """
    import json

    return json.dumps(_compiled(config), ensure_ascii=False, separators=(",", ":"))


def _compiled(value: Any) -> Any:
    if isinstance(value, BaseModel):
        fields = {name: getattr(value, name) for name in type(value).model_fields}
        if isinstance(value, Config):
            fields["accounts"] = value.all_accounts
        node = {"k": type(value).__name__, "f": {k: _compiled(v) for k, v in fields.items()}}
        if isinstance(value, CharterRules):
            node["s"] = sorted(value.model_fields_set)
        return node
    if isinstance(value, list | tuple):
        return [_compiled(v) for v in value]
    if isinstance(value, dict):
        return {"d": {str(k): _compiled(v) for k, v in value.items()}}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"{type(value).__name__} has no compiled form")
