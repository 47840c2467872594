"""Networks behind one interface; each module is imported only when used."""

from __future__ import annotations

import importlib
from typing import Any

from portevoix.core import secrets
from portevoix.networks.base import (
    AuthError,
    Health,
    LostResponse,
    Media,
    Mention,
    Metrics,
    Network,
    NetworkError,
    NotSent,
    Poll,
    PollResult,
    Published,
    RateLimited,
    Rejected,
    TransientError,
    Unsupported,
    Variant,
)

MODULES = {
    "mastodon": ("mastodon", "Mastodon"),
    "bluesky": ("bluesky", "Bluesky"),
    "webhook": ("webhook", "Webhook"),
    "reddit": ("reddit", "Reddit"),
    "hackernews": ("hackernews", "HackerNews"),
    "linkedin": ("linkedin", "LinkedIn"),
    "facebook": ("facebook", "Facebook"),
    "instagram": ("instagram", "Instagram"),
    "x": ("x", "X"),
}


def network_class(name: str) -> type[Network]:
    module, cls = MODULES[name]
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)


def build(account: Any, config: Any, **client_options: Any) -> Network:
    """A ready client for one configured account."""
    # HTTP (requests) is loaded with the first client, not by whoever imports the errors.
    from portevoix.core.http import AddressPolicy
    from portevoix.networks.http import ApiClient

    cls = network_class(account.network)
    secret = secrets.Secret(getattr(account, "secret", None))
    client = ApiClient(
        account.key,
        policy=AddressPolicy.from_config(config.fetch),
        error_reader=getattr(cls, "error_reader", None) or _default_reader(),
        rate_reader=getattr(cls, "rate_reader", None),
        **client_options,
    )
    return cls(account, secret, client)


def publish_once(net: Network, variant: Variant, key: str) -> Published:
    """Publish so that the post never appears twice, even when an answer is lost.

    After a lost answer or a server error, the account is searched for the
    post before anything is sent again; only when it is absent is the
    publish repeated (under the same idempotency key).
    """
    from datetime import UTC, datetime

    started = datetime.now(UTC)
    try:
        return net.publish(variant, key)
    except TransientError:
        if not getattr(net, "lookup_supported", True):
            raise  # cannot tell whether it went out: never risk a second copy
        found = net.find_published(key, variant, started)
        if found is not None:
            return found
        return net.publish(variant, key)


def _default_reader() -> Any:
    from portevoix.networks.http import default_error

    return default_error


__all__ = [
    "AuthError",
    "Health",
    "LostResponse",
    "Media",
    "Mention",
    "Metrics",
    "Network",
    "NetworkError",
    "NotSent",
    "Poll",
    "PollResult",
    "Published",
    "RateLimited",
    "Rejected",
    "TransientError",
    "Unsupported",
    "Variant",
    "build",
    "network_class",
    "publish_once",
]
