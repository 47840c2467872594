"""The configuration as a Lambda reads it: plain frozen objects, without pydantic.

``config.py`` validates a YAML document with pydantic; importing pydantic and
building its 34 models costs more than importing boto3, at every cold start.
So a validated configuration is also kept *compiled*: its values with their
defaults, as JSON (``config.compile_config``), and read back here as
:class:`Section` objects carrying the same fields and methods (the methods
live in the mixins below, shared with the pydantic models).

A compiled form is only ever made from a configuration that validated, and is
keyed by the YAML's hash and :func:`stamp` (this code's version), so a new
release or a hand-edited parameter never reads a stale one.

Also here: the constants and checks that code outside the configuration uses,
so that importing them does not import pydantic.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from portevoix.core.errors import ConfigError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

CHARTER_RULES = (
    "length",
    "banned_words",
    "required",
    "links",
    "hashtags",
    "mentions",
    "media",
    "poll",
    "days",
    "hours",
    "spacing",
    "cadence",
)
INBOX_INTENTS = ("crisis", "spam", "insult", "complaint", "question", "praise")
# What a reply template may use (inbox/replies.py fills them for each message).
REPLY_VARIABLES = ("author", "handle", "brand", "network", "excerpt")
# Which networks' posts an ad account of each kind may boost.
AD_NETWORKS = {"meta": ("facebook", "instagram"), "linkedin": ("linkedin",)}

_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


def check_email(value: str) -> str:
    """``value`` stripped when it is an email address; ValueError otherwise."""
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def read_file(path: str) -> str:
    """A configuration file's text; ConfigError when it cannot be read."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(p), ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(p), [f"cannot read the file: {exc}"]) from None


# --- Methods shared by the pydantic models and the compiled sections -----------------------
# No annotations in these: pydantic would take them for fields.


class FeedMethods:
    @property
    def key(self) -> str:
        """The feed's stable identifier in the table."""
        return self.id or "u" + hashlib.sha256(self.url.encode()).hexdigest()[:16]  # type: ignore[attr-defined]

    @property
    def label(self) -> str:
        return self.name or urlsplit(self.url).hostname or self.url


class AccountMethods:
    @property
    def key(self) -> str:
        return self.id or self.network


class BoostsMethods:
    def ad_account_for(self, account: str) -> Any:
        """The enabled ad account that may boost this account's posts, or None."""
        return next((a for a in self.ad_accounts if a.enabled and account in a.boosts), None)


class ConfigMethods:
    @property
    def all_accounts(self) -> list[Any]:
        """Every account in the file's order, disabled ones included."""
        return list(getattr(self, "_all_accounts", self.accounts))

    @property
    def disabled_accounts(self) -> list[Any]:
        return [a for a in self.all_accounts if not a.enabled]

    @cached_property
    def tz(self) -> ZoneInfo:
        from zoneinfo import ZoneInfo  # not every invocation needs the brand's zone

        return ZoneInfo(self.timezone)

    def account(self, key: str | None) -> Any:
        """The configured account with this id, or None."""
        return next((a for a in self.accounts if a.key == key), None)

    def recipients(self, what: str = "digest") -> dict[str, list[str]]:
        """Recipients of the digest (or ``"report"``) grouped by the language they read."""
        groups: dict[str, list[str]] = {}
        for m in self.team:
            if getattr(m, what):
                groups.setdefault(m.language or self.language, []).append(m.email)
        return groups


# --- The compiled form ---------------------------------------------------------------------

# Bump when the encoding below changes (the stamp also follows config.py's source).
FORMAT = 1


@cache
def stamp() -> str:
    """This code's version of the configuration: a compiled form made by another is not read."""
    try:
        source = Path(__file__).with_name("config.py").read_bytes()
    except OSError:  # shipped without its source: trust no compiled form, validate
        import secrets

        return f"{FORMAT}-unknown-{secrets.token_hex(8)}"
    return f"{FORMAT}-" + hashlib.sha256(source).hexdigest()[:16]


class Section:
    """A read-only part of a compiled configuration: its fields are attributes."""

    _kind = "Section"

    def __init__(self, fields: dict[str, Any], set_fields: list[str] | None = None) -> None:
        self.__dict__.update(fields)
        self.__dict__["_fields"] = tuple(fields)
        self.__dict__["_set"] = frozenset(set_fields if set_fields is not None else fields)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"the configuration is read-only ({self._kind}.{name})")

    __delattr__ = __setattr__  # type: ignore[assignment]

    def values(self) -> dict[str, Any]:
        return {name: self.__dict__[name] for name in self._fields}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.values() == self.values()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.values().items())
        return f"{self._kind}({inner})"


class Feed(Section, FeedMethods):
    _kind = "Feed"


class Account(Section, AccountMethods):
    _kind = "Account"


class Boosts(Section, BoostsMethods):
    _kind = "Boosts"


class CharterRules(Section):
    _kind = "CharterRules"


class Charter(Section):
    _kind = "Charter"

    def for_network(self, network: str) -> Section:
        """The default rules overlaid with the network's own (those it sets)."""
        default, own = self.default, self.networks.get(network)
        if own is None:
            return default
        merged = default.values()
        for key in own._set:
            value = getattr(own, key)
            merged[key] = {**merged["levels"], **value} if key == "levels" else value
        return type(default)(merged)


class Config(Section, ConfigMethods):
    _kind = "Config"

    def __init__(self, fields: dict[str, Any], set_fields: list[str] | None = None) -> None:
        everyone = fields["accounts"]
        super().__init__({**fields, "accounts": [a for a in everyone if a.enabled]}, set_fields)
        self.__dict__["_all_accounts"] = list(everyone)

    @property
    def fingerprint(self) -> str:
        """A short hash of the configuration, to cache what is derived from it."""
        return self.__dict__["_fingerprint"]


_ACCOUNTS = (
    "MastodonAccount",
    "BlueskyAccount",
    "WebhookAccount",
    "RedditAccount",
    "HackerNewsAccount",
    "LinkedInAccount",
    "FacebookAccount",
    "InstagramAccount",
    "XAccount",
)
_KINDS: dict[str, type[Section]] = {
    "Feed": Feed,
    "Boosts": Boosts,
    "Charter": Charter,
    "CharterRules": CharterRules,
    "Config": Config,
    **dict.fromkeys(_ACCOUNTS, Account),
}


def _build(node: Any) -> Any:
    if isinstance(node, list):
        return [_build(v) for v in node]
    if isinstance(node, dict):
        if "d" in node:  # a mapping of the configuration's own (topics, templates...)
            return {k: _build(v) for k, v in node["d"].items()}
        cls = _KINDS.get(node["k"], Section)
        section = cls({k: _build(v) for k, v in node["f"].items()}, node.get("s"))
        if cls is Section:
            section.__dict__["_kind"] = node["k"]
        return section
    return node


def load(text: str) -> Config:
    """The configuration from its compiled form (``config.compile_config``)."""
    found = _build(json.loads(text))
    if not isinstance(found, Config):
        raise ValueError("not a compiled configuration")
    found.__dict__["_fingerprint"] = hashlib.sha256(text.encode()).hexdigest()[:16]
    return found
