"""Feed parsing and normalisation: bytes in, clean items out.

feedparser reads RSS 0.9x/1.0/2.0 and Atom (and sanitises their HTML);
JSON Feed 1.0/1.1 is read here and its HTML goes through the same
sanitiser. Every item gets a UTC date, a canonical link, a stable id, a
sanitised HTML summary and a plain-text version for emails.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from portevoix.core.errors import FeedParseError
from portevoix.core.text import clean_text, html_to_text, truncate

SUMMARY_TEXT_CHARS = 300
SUMMARY_HTML_CHARS = 600  # longer HTML is dropped: items stay near 1 KB (1 write unit)
TITLE_CHARS = 300

# Query parameters that only track a click; dropped from canonical links.
_TRACKING = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|igshid|"
    r"_hsenc|_hsmi|mkt_tok|ref_src|ref_url|spm|at_medium|at_campaign|xtor|oly_anon_id|"
    r"oly_enc_id|vero_id|__s|ncid|cmpid|guccounter|guce_referrer[a-z_]*)$",
    re.IGNORECASE,
)


@dataclass
class Entry:
    """One normalised feed entry, ready to be matched and stored."""

    item_id: str
    title: str
    link: str | None
    guid: str | None
    published: datetime | None
    author: str
    summary_text: str
    summary_html: str
    language: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class ParsedFeed:
    title: str
    link: str | None
    entries: list[Entry]
    warning: str | None = None
    alternate: str | None = None  # a feed URL advertised by an HTML page


# --------------------------------------------------------------------------
# Text and links


def canonical_link(
    link: str | None, base: str | None = None, *, keep_fragment: bool = False
) -> str | None:
    """An absolute http(s) link without fragment, tracking parameters or default port."""
    if not link:
        return None
    link = link.strip()
    if base:
        link = urljoin(base, link)
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    if ":" in host:
        host = f"[{host}]"
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)
    ]
    path = parts.path or "/"
    fragment = parts.fragment if keep_fragment else ""
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), fragment))


def item_id_for(feed_key: str, guid: str | None, link: str | None, fallback: str) -> str:
    """A stable id: the guid (scoped to the feed unless it is a URL), else the link."""
    if guid:
        guid = guid.strip()
        # A guid is an identifier: its fragment can be all that tells two entries apart.
        as_url = (
            canonical_link(guid, keep_fragment=True)
            if guid.startswith(("http://", "https://"))
            else None
        )
        basis = f"url:{as_url}" if as_url else f"guid:{feed_key}:{guid}"
    elif link:
        basis = f"url:{link}"
    else:
        basis = f"anon:{feed_key}:{fallback}"
    return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# --------------------------------------------------------------------------
# Parsing


MAX_GUNZIP = 20 * 1024 * 1024


def parse(
    body: bytes, *, url: str, feed_key: str, headers: dict[str, str] | None = None
) -> ParsedFeed:
    """Parse a feed body; raise FeedParseError when it holds no feed at all."""
    if body[:2] == b"\x1f\x8b":  # a .gz file served as is, not as Content-Encoding
        body = _gunzip(body)
    parsed = _parse(body, url=url, feed_key=feed_key, headers=headers)
    _disambiguate(parsed.entries, feed_key)
    return parsed


def _gunzip(body: bytes) -> bytes:
    import zlib

    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, MAX_GUNZIP)
    except zlib.error as exc:
        raise FeedParseError(f"corrupt gzip data: {exc}") from None
    if inflater.unconsumed_tail:
        raise FeedParseError(f"gzip body inflates past {MAX_GUNZIP:,} bytes")
    return out


def _disambiguate(entries: list[Entry], feed_key: str) -> None:
    """Two different entries of one feed never share an id (same link, no guid...)."""
    seen: dict[str, Entry] = {}
    for entry in entries:
        other = seen.get(entry.item_id)
        if other is not None and (other.title, other.summary_text, other.published) != (
            entry.title,
            entry.summary_text,
            entry.published,
        ):
            basis = f"{entry.item_id}|{entry.title}|{entry.published}|{entry.summary_text[:200]}"
            entry.item_id = item_id_for(feed_key, None, None, basis)
        seen.setdefault(entry.item_id, entry)


def _parse(
    body: bytes, *, url: str, feed_key: str, headers: dict[str, str] | None = None
) -> ParsedFeed:
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    ctype = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    head = body.lstrip()[:1]
    if ctype in ("application/feed+json", "application/json") or head in (b"{", b"["):
        try:
            return _parse_json_feed(body, url=url, feed_key=feed_key)
        except FeedParseError:
            if ctype.endswith("json"):
                raise
    return _parse_xml_feed(body, url=url, feed_key=feed_key, headers=headers)


def _parse_xml_feed(body: bytes, *, url: str, feed_key: str, headers: dict[str, str]) -> ParsedFeed:
    import feedparser

    response_headers = {"content-location": url}
    for key in ("content-type", "content-language", "last-modified", "etag"):
        if key in headers:
            response_headers[key] = headers[key]
    parsed = feedparser.parse(
        body, response_headers=response_headers, resolve_relative_uris=True, sanitize_html=True
    )
    warning = None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        warning = f"{type(exc).__name__}: {exc}" if exc else "feed is not well-formed"
        warning = truncate(warning, 300)
    if not parsed.entries:
        alternate = _discover_alternate(body, url)
        if alternate:
            return ParsedFeed(title="", link=url, entries=[], alternate=alternate)
    if not parsed.entries and not parsed.get("version"):
        raise FeedParseError(f"not a feed ({warning or 'no entries and no feed metadata'})")
    feed = parsed.feed
    entries = []
    for raw in parsed.entries:
        entries.append(_xml_entry(raw, feed_key=feed_key, base=url))
    return ParsedFeed(
        title=clean_text(html_to_text(feed.get("title", "")), TITLE_CHARS),
        link=canonical_link(feed.get("link"), url),
        entries=entries,
        warning=warning,
    )


def _struct_to_dt(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError, OSError):
        return None


def _xml_entry(raw: Any, *, feed_key: str, base: str) -> Entry:
    title_html = raw.get("title", "") or ""
    link = canonical_link(raw.get("link"), base)
    if not link:
        for candidate in raw.get("links", []) or []:
            if candidate.get("rel", "alternate") == "alternate":
                link = canonical_link(candidate.get("href"), base)
                if link:
                    break
    guid = raw.get("id") or None
    html = ""
    content = raw.get("content") or []
    summary = raw.get("summary", "") or ""
    if summary:
        html = summary
    elif content:
        html = content[0].get("value", "") or ""
    text = html_to_text(html)
    if not text and content:
        text = html_to_text(content[0].get("value", ""))
    published = _struct_to_dt(raw.get("published_parsed")) or _struct_to_dt(
        raw.get("updated_parsed")
    )
    title = clean_text(html_to_text(title_html), TITLE_CHARS)
    if not title:
        title = truncate(text, 120)
    author = clean_text(html_to_text(raw.get("author", "")), 120)
    tags = [clean_text(t.get("term"), 60) for t in (raw.get("tags") or []) if t.get("term")][:20]
    fallback = f"{title}|{published.isoformat() if published else ''}|{text[:200]}"
    return Entry(
        item_id=item_id_for(feed_key, guid, link, fallback),
        title=title,
        link=link,
        guid=guid,
        published=published,
        author=author,
        summary_text=truncate(text, SUMMARY_TEXT_CHARS),
        summary_html=html if len(html) <= SUMMARY_HTML_CHARS else "",
        language=(raw.get("language") or None),
        tags=tags,
    )


def sanitize_html(html: str) -> str:
    """feedparser's HTML sanitiser, for HTML that did not come through feedparser."""
    from feedparser.sanitizer import _sanitize_html

    return _sanitize_html(html, "utf-8", "text/html")


def _parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _parse_json_feed(body: bytes, *, url: str, feed_key: str) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedParseError(f"not a JSON feed: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise FeedParseError("not a JSON feed: no 'items' list")
    version = str(data.get("version", ""))
    warning = (
        None
        if version.startswith("https://jsonfeed.org/version/")
        else (f"unknown JSON Feed version {version!r}")
    )
    home = data.get("home_page_url") if isinstance(data.get("home_page_url"), str) else None
    feed_authors = _json_author(data)
    entries = []
    for raw in data["items"]:
        if not isinstance(raw, dict):
            warning = "skipped an item that is not an object"
            continue
        link = canonical_link(_str(raw.get("url")) or _str(raw.get("external_url")), url)
        guid = _str(raw.get("id")) or None
        html = _str(raw.get("content_html"))
        if html:
            html = sanitize_html(html)
        from_content = (
            html_to_text(html) if html else clean_text(_str(raw.get("content_text")), 10_000)
        )
        text = clean_text(html_to_text(_str(raw.get("summary"))), 10_000) or from_content
        summary_html = html if html and len(html) <= SUMMARY_HTML_CHARS else ""
        published = _parse_iso(raw.get("date_published")) or _parse_iso(raw.get("date_modified"))
        title = clean_text(_str(raw.get("title")), TITLE_CHARS) or truncate(text, 120)
        tags = [clean_text(t, 60) for t in raw.get("tags", []) if isinstance(t, str)][:20]
        fallback = f"{title}|{published.isoformat() if published else ''}|{text[:200]}"
        entries.append(
            Entry(
                item_id=item_id_for(feed_key, guid, link, fallback),
                title=title,
                link=link,
                guid=guid,
                published=published,
                author=_json_author(raw) or feed_authors,
                summary_text=truncate(text, SUMMARY_TEXT_CHARS),
                summary_html=summary_html,
                language=_str(raw.get("language")) or _str(data.get("language")) or None,
                tags=tags,
            )
        )
    return ParsedFeed(
        title=clean_text(_str(data.get("title")), TITLE_CHARS),
        link=canonical_link(home, url),
        entries=entries,
        warning=warning,
    )


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _json_author(obj: dict[str, Any]) -> str:
    authors = obj.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        return clean_text(_str(authors[0].get("name")), 120)
    author = obj.get("author")
    if isinstance(author, dict):
        return clean_text(_str(author.get("name")), 120)
    return ""


_ALT_LINK = re.compile(rb"<link\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(rb"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_FEED_TYPES = (b"application/rss+xml", b"application/atom+xml", b"application/feed+json")


def _discover_alternate(body: bytes, url: str) -> str | None:
    """The first feed an HTML page advertises with <link rel="alternate">."""
    for tag in _ALT_LINK.findall(body[: 512 * 1024]):
        attrs = {
            m.group(1).lower(): (m.group(2) or m.group(3) or m.group(4) or b"")
            for m in _ATTR.finditer(tag)
        }
        if (
            b"alternate" in attrs.get(b"rel", b"").lower().split()
            and attrs.get(b"type", b"").lower() in _FEED_TYPES
        ):
            href = attrs.get(b"href", b"").decode("utf-8", "replace").strip()
            link = canonical_link(href, url) if href else None
            if link:
                return link
    return None
