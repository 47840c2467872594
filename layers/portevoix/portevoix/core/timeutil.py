"""UTC timestamps as stored: ISO 8601 with a Z, second precision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: Any) -> datetime | None:
    """A timezone-aware datetime from an ISO 8601 string, or None."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def iso_or_none(value: Any) -> str | None:
    dt = parse_iso(value)
    return iso(dt) if dt else None


def utc_hours(start: datetime, end: datetime) -> list[datetime]:
    """The UTC hours of ``[start, end)``, both floored to the hour."""
    hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    last = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    out = []
    while hour < last:
        out.append(hour)
        hour += timedelta(hours=1)
    return out
