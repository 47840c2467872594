"""Tracked links: UTM parameters on the brand's links, and optional short links counting clicks.

A post's own ``link`` is tracked, and so are links in its text that point to
one of ``tracking.domains`` (the brand's sites); other sites' links are left
as written, and a variant with ``track: false`` goes out untouched. UTM:
``utm_source`` is the network, ``utm_medium`` the configured medium (social),
``utm_campaign`` the post's campaign or its title as a slug; parameters
already in the link win. With ``tracking.short_links`` each tracked link
becomes ``<stack>/l/<code>`` (one code per post, account and link, the same
at every attempt), a 302 to the tagged link that adds one to its counter and
to the hour's ``clicks`` counters: no cookie, nothing about the visitor kept,
and link previewers (bots) are redirected without being counted.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from portevoix.core import settings, store
from portevoix.core.timeutil import iso

_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_TRAILING = ".,;:!?"
# Link previewers fetch a post's links when it is shared: a redirect for them, not a click.
_BOTS = re.compile(
    r"bot|crawl|spider|preview|facebookexternalhit|slack|discord|whatsapp|telegram|mastodon|"
    r"embedly|skype|linkedin|bluesky|curl|wget|python-requests|headless",
    re.IGNORECASE,
)


def slug(text: str) -> str:
    """``Précommandes Urban 3 !`` -> ``precommandes-urban-3``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60] or "post"


def campaign(post: dict[str, Any]) -> str:
    return post.get("campaign") or slug(post.get("title") or post["post_id"])


def tag(url: str, source: str, medium: str, name: str) -> str:
    """The URL with UTM parameters added (those already there are kept)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {k for k, _ in query}
    for key, value in (("utm_source", source), ("utm_medium", medium), ("utm_campaign", name)):
        if key not in present:
            query.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _ours(url: str, domains: list[str]) -> bool:
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return any(host == d or host.endswith("." + d) for d in domains)


def code_for(post_id: str, account: str, url: str) -> str:
    """The short link's code: the same for the same post, account and link (10 characters)."""
    digest = hashlib.sha256(f"{post_id}|{account}|{url}".encode()).digest()
    return base64.b32encode(digest).decode()[:10].lower()


def shorten(post: dict[str, Any], account: str, network: str, url: str) -> str:
    code = code_for(post["post_id"], account, url)
    store.put_if_absent(
        {
            **store.with_key(store.short_link_key(code)),
            "url": url,
            "post_id": post["post_id"],
            "account": account,
            "network": network,
            "clicks": 0,
            "created_at": iso(datetime.now(UTC)),
            "GSI1PK": f"SHORT#{post['post_id']}",
            "GSI1SK": f"{account}#{code}",
        }
    )
    return f"{settings.links_base_url()}/l/{code}"


def apply(config: Any, post: dict[str, Any], account: str, variant: Any) -> Any:
    """The variant as it goes out: its tracked links tagged (and shortened)."""
    rules = config.tracking
    spec = post["variants"].get(account, {})
    target = config.account(account)
    if spec.get("track") is False or target is None or not (rules.utm or rules.short_links):
        return variant
    name = campaign(post)

    def convert(url: str) -> str:
        out = tag(url, target.network, rules.medium, name) if rules.utm else url
        return shorten(post, account, target.network, out) if rules.short_links else out

    link = convert(variant.link) if variant.link else None
    seen: dict[str, str] = {}

    def in_text(match: re.Match[str]) -> str:
        url = match.group(0).rstrip(_TRAILING)
        rest = match.group(0)[len(url) :]
        if url == variant.link and link:
            return link + rest
        if not _ours(url, rules.domains):
            return match.group(0)
        seen.setdefault(url, convert(url))
        return seen[url] + rest

    return replace(variant, text=_URL.sub(in_text, variant.text), link=link)


def click(code: str, user_agent: str, now: datetime | None = None) -> str | None:
    """Where ``/l/<code>`` leads (None: no such link); a person's visit is counted once."""
    if not re.fullmatch(r"[a-z2-7]{10}", code or ""):
        return None
    key = store.short_link_key(code)
    if not user_agent or _BOTS.search(user_agent):
        link = store.get(*key)
        return str(link["url"]) if link else None
    link = store.add_to(key, "clicks")  # one atomic call: counted, and where it leads
    if link is None:
        return None
    store.add_counts(now or datetime.now(UTC), {"clicks": 1, f"clicks:{link['account']}": 1})
    return str(link["url"])


def clicks(post_id: str) -> dict[str, int]:
    """Clicks per account on a post's short links."""
    out: dict[str, int] = {}
    for link in store.query_gsi1(f"SHORT#{post_id}"):
        out[link["account"]] = out.get(link["account"], 0) + int(link.get("clicks") or 0)
    return out
