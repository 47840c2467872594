"""The calendar as an iCalendar feed (RFC 5545) for Google Calendar or Outlook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core.i18n import status_text
from portevoix.core.timeutil import parse_iso


def _text(value: str) -> str:
    """A TEXT value: backslash, semicolon, comma and newlines escaped (RFC 5545, 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with a space (RFC 5545, 3.1)."""
    out, current = [], b""
    for ch in line:
        encoded = ch.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def feed(config: Any, found: list[dict[str, Any]], base_url: str) -> str:
    lang = config.language
    now = _stamp(datetime.now(UTC))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Porte-voix//Studio//FR",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_text(config.brand.name)}",
    ]
    for post in sorted(found, key=lambda p: p.get("scheduled_at", "")):
        when = parse_iso(post.get("scheduled_at"))
        if when is None:
            continue
        status = status_text(lang, post.get("status", "checking"))
        first = post.get("summary") or ""
        title = post.get("title") or first[:80]
        url = f"{base_url}/posts/{post['post_id']}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{post['post_id']}@porte-voix",
            f"DTSTAMP:{now}",
            f"DTSTART:{_stamp(when)}",
            f"DTEND:{_stamp(when + timedelta(minutes=15))}",
            f"SUMMARY:{_text(f'[{status}] {title}')}",
            f"DESCRIPTION:{_text(', '.join(post.get('accounts', [])) + chr(10) + first)}",
            f"URL:{url}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
