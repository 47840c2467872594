"""UTC timestamps as stored: ISO 8601 with a Z, second precision."""

from __future__ import annotations

from datetime import UTC, datetime
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
