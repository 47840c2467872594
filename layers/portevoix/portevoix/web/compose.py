"""The composer: a form becomes a draft, each variant checked as its network counts and rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from portevoix.core.text import clean_written
from portevoix.publishing import charter, posts

MAX_TEXT = 20_000


@dataclass
class Form:
    """What the composer's form holds (also what the live check posts as JSON)."""

    title: str
    day: str  # YYYY-MM-DD, local
    at: str  # HH:MM, local
    text: str  # the common text
    link: str
    accounts: dict[str, str]  # account -> its own text ("" means the common text)
    asap: bool = False  # published as soon as approved, whatever the day and time say
    media: list[dict[str, str]] = field(default_factory=list)  # uploaded: key, mime, alt
    poll_options: list[str] = field(default_factory=list)  # one choice a line; none: no poll
    poll_minutes: int = 1440
    poll_question: str = ""

    @classmethod
    def parse(cls, data: dict[str, Any], config: Any) -> Form:
        picked = {}
        for acc in publishable(config):
            if data.get(f"use_{acc.key}") in ("on", "1", True, "true"):
                picked[acc.key] = _field(data.get(f"text_{acc.key}"))
        return cls(
            title=" ".join(_field(data.get("title")).split())[:200],
            day=_field(data.get("day"))[:10],
            at=_field(data.get("at"))[:5],
            text=_field(data.get("text")),
            link=_field(data.get("link"))[:2000],
            accounts=picked,
            asap=data.get("asap") in ("on", "1", True, "true"),
            media=_media(data.get("media")),
            poll_options=[
                " ".join(line.split())[:100]
                for line in _field(data.get("poll_options")).splitlines()
                if line.strip()
            ][:10],
            poll_minutes=_minutes(data.get("poll_minutes")),
            poll_question=" ".join(_field(data.get("poll_question")).split())[:300],
        )

    @property
    def poll(self) -> Any:
        """The poll the form asks for (None without choices)."""
        if not self.poll_options:
            return None
        return posts.Poll(self.poll_options, self.poll_minutes, self.poll_question or None)

    def text_for(self, account: str) -> str:
        return self.accounts.get(account) or self.text

    def when(self, config: Any) -> datetime | None:
        """The local date and time as an aware instant; None when absent or malformed."""
        if self.asap:
            return datetime.now(config.tz).replace(second=0, microsecond=0)
        try:
            day = date.fromisoformat(self.day)
            hour = time.fromisoformat(self.at) if self.at else time(9, 0)
        except ValueError:
            return None
        return datetime.combine(day, hour, config.tz)


MAX_MEDIA = 10
POLL_MINUTES = (60, 1440, 4320, 10080, 20160)  # the choices the composer offers


def _minutes(value: Any) -> int:
    try:
        minutes = int(_field(value) or 1440)
    except ValueError:
        return 1440
    return minutes if minutes in POLL_MINUTES else 1440


def _media(value: Any) -> list[dict[str, str]]:
    """The uploaded images the form names (JSON: key, mime, alt); anything else is dropped."""
    import json

    from portevoix.publishing import media

    try:
        items = json.loads(value) if isinstance(value, str) and value else value or []
    except ValueError:
        return []
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        key = str(item.get("key") or "")
        mime = str(item.get("mime") or "")
        if media.valid_key(key) and mime in media.TYPES:
            thumb = str(item.get("thumb") or "")
            out.append(
                {
                    "key": key,
                    "mime": mime,
                    "alt": _field(item.get("alt"))[:1000],
                    "thumb": thumb if thumb == media.thumb_key(key) else key,
                }
            )
    return out[:MAX_MEDIA]


def _field(value: Any) -> str:
    """A stranger-safe form value: control and bidi characters gone, bounded."""
    return clean_written(str(value or ""), MAX_TEXT)


def publishable(config: Any) -> list[Any]:
    return [a for a in config.accounts if a.network not in ("reddit", "hackernews")]


def verdicts(config: Any, form: Form, lang: str) -> dict[str, dict[str, Any]]:
    """Per chosen account: the length as its network counts it, and the charter's findings."""
    when = form.when(config)
    out = {}
    by_key = {a.key: a for a in config.accounts}
    for key in form.accounts:
        acc = by_key[key]
        variant = posts.Variant(
            text=form.text_for(key),
            link=form.link or None,
            media=[
                posts.Media(url=f"s3://bucket/{m['key']}", mime=m["mime"], alt=m["alt"])
                for m in form.media
            ],
            poll=form.poll,
        )
        limits = charter.limits_for(acc.network, config)
        shown = (
            variant.text
            if not variant.link or variant.link in variant.text
            else (f"{variant.text} {variant.link}")
        )
        findings = charter.check(config, acc.network, variant, when=when)
        out[key] = {
            "network": acc.network,
            "count": limits.count(shown),
            "max": limits.max_chars,
            "findings": [
                {"level": f.level, "rule": f.rule, "text": f.text(lang)} for f in findings
            ],
            "blocked": any(f.level == "error" for f in findings),
        }
    return out


def problems(config: Any, form: Form, lang: str) -> list[str]:
    """What stops the form from becoming a post (besides charter errors)."""
    from portevoix.core.i18n import t

    out = []
    if not form.accounts:
        out.append(t(lang, "studio.need_account"))
    if form.when(config) is None:
        out.append(t(lang, "studio.need_date"))
    elif not form.asap and form.when(config) < datetime.now(UTC):
        out.append(t(lang, "studio.past_date"))
    if form.link and not form.link.startswith(("https://", "http://")):
        out.append(t(lang, "studio.bad_link"))
    for key in form.accounts:
        if not form.text_for(key).strip():
            out.append(t(lang, "studio.need_text", account=key))
    return out


def checked_media(form: Form, lang: str) -> tuple[list[dict[str, str]], list[str]]:
    """Each image checked again in the bucket (by its bytes): the post's media, problems."""
    from portevoix.core.errors import MediaError
    from portevoix.publishing import media

    out, problems = [], []
    for m in form.media:
        try:
            found = media.verify(m["key"])
        except MediaError as exc:
            problems.append(str(exc))
            continue
        out.append({"url": found["url"], "mime": found["mime"], "alt": m["alt"]})
    return out, problems


def submit(
    config: Any, form: Form, author: str, images: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """Create the post and start the same workflow as ``portevoix post create``."""
    when = form.when(config)
    data = {
        "author": author,
        "title": form.title,
        "at": when.replace(tzinfo=None).isoformat() if when and not form.asap else None,
        "variants": {
            key: {
                "text": form.text_for(key),
                **({"link": form.link} if form.link else {}),
                **({"media": images} if images else {}),
                **(
                    {
                        "poll": {
                            "options": form.poll_options,
                            "minutes": form.poll_minutes,
                            **({"question": form.poll_question} if form.poll_question else {}),
                        }
                    }
                    if form.poll_options
                    else {}
                ),
            }
            for key in form.accounts
        },
    }
    post = posts.create(config, posts.parse_draft(data, config, source="composer"))
    posts.start(post)
    return post
