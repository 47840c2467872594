"""A feed's polling state and its rules (pure): when a feed is due, how it backs off.

The state is the feed's ``FEED#<id>`` / ``STATE`` item: validators (ETag,
Last-Modified), the body hash, the ids seen last time, and after failures
their count, the last error and when to retry. A failure doubles the wait
from the feed's interval up to ``fetch.max_backoff_hours``; a
``Retry-After`` longer than that wait is honoured; a success clears it all.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from portevoix.core.timeutil import iso, parse_iso

DUE_SLACK = timedelta(minutes=1)  # a schedule that fires early still polls
SEEN_PREFIX = 12  # hex chars of an item id kept in a feed's state
SEEN_MAX = 400


def same_feed(url: str, state: dict[str, Any] | None) -> bool:
    """Whether ``state`` belongs to the feed at ``url`` (a changed URL starts afresh)."""
    return bool(state) and state.get("url") == url


def not_due(url: str, state: dict[str, Any] | None, now: datetime, scheduled: bool) -> str | None:
    """Why the feed is not polled now, or None when it is due."""
    if not same_feed(url, state):
        return None
    retry_at = parse_iso(state.get("retry_at"))
    if retry_at and now + DUE_SLACK < retry_at:
        return f"backing off until {iso(retry_at)} after {state.get('failures', 0)} failure(s)"
    next_at = parse_iso(state.get("next_poll_at"))
    if scheduled and next_at and now + DUE_SLACK < next_at:
        return f"next poll at {iso(next_at)}"
    return None


def succeeded(state: dict[str, Any], now: datetime, interval_minutes: int | None) -> dict[str, Any]:
    """The state after a successful fetch: failures forgotten, the next poll set."""
    new = {k: v for k, v in state.items() if k not in ("failures", "last_error", "retry_at")}
    if interval_minutes:
        new["next_poll_at"] = iso(now + timedelta(minutes=interval_minutes))
    else:
        new.pop("next_poll_at", None)
    return {k: v for k, v in new.items() if v not in (None, "", [])}


def failed(
    state: dict[str, Any],
    error: str,
    now: datetime,
    *,
    interval_minutes: int,
    max_backoff_hours: float,
    retry_after: float | None = None,
) -> dict[str, Any]:
    """The state after a failure: exponential backoff, at least what the server asked."""
    failures = int(state.get("failures", 0)) + 1
    delay = timedelta(minutes=interval_minutes * 2 ** (failures - 1))
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    delay = min(delay, timedelta(hours=max_backoff_hours))
    return {**state, "failures": failures, "last_error": error[:500], "retry_at": iso(now + delay)}


def unseen(item_ids: list[str], state: dict[str, Any], same: bool) -> set[str]:
    """The ids of a fetched feed that were not in it last time."""
    seen = set(state.get("seen") or []) if same else set()
    return {i for i in item_ids if i[:SEEN_PREFIX] not in seen}


def remember(item_ids: list[str]) -> list[str]:
    """What the state keeps of a feed's ids to skip them next time."""
    return [i[:SEEN_PREFIX] for i in item_ids][:SEEN_MAX]
