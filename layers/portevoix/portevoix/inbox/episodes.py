"""Crisis episodes: from a surge alert (or a freeze) until the team closes it, or it calms down.

One episode is open at a time (a pointer item, created conditionally). It
keeps when it started, the baseline it was measured against, its peak, and a
log of what the team did (who, when, what): alerts, freeze and lift, posts
released, the holding statement, the close. Closing it writes its report.
"""

from __future__ import annotations

import secrets as _random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from portevoix.core import store
from portevoix.core.timeutil import iso, parse_iso

QUIET_HOURS = 6  # full hours under the threshold, unfrozen, before an episode closes itself
INDEX = "EPISODES"
LOG_LIMIT = 500


_key = store.episode_key
OPEN = store.open_episode_key()


def get(episode_id: str) -> dict[str, Any] | None:
    if not episode_id or len(episode_id) > 40:
        return None
    return store.get(*_key(episode_id))


def current() -> dict[str, Any] | None:
    """The open episode, if any."""
    pointer = store.get(*OPEN)
    return get(pointer["episode_id"]) if pointer else None


def recent(limit: int = 20) -> list[dict[str, Any]]:
    """Episodes, newest first."""
    found = store.query_gsi1(INDEX)
    return sorted(found, key=lambda e: e.get("started_at", ""), reverse=True)[:limit]


def open_or_continue(
    by: str,
    reason: str,
    started: datetime,
    measured: tuple[int, float, float],
    now: datetime | None = None,
) -> dict[str, Any]:
    """The open episode (its peak updated), or a new one started at ``started``; logged.

    ``measured`` is this hour's negative count, the baseline's mean and the threshold.
    """
    now = now or datetime.now(UTC)
    count, mean, threshold = measured
    existing = current()
    if existing is None:
        episode_id = started.astimezone(UTC).strftime("%Y%m%d-%H%M") + "-" + _random.token_hex(2)
        if store.put_if_absent(store.with_key(OPEN, episode_id=episode_id)):
            store.put(
                store.with_key(
                    _key(episode_id),
                    episode_id=episode_id,
                    status="open",
                    reason=reason,
                    opened_by=by,
                    started_at=iso(started),
                    baseline_mean=Decimal(str(round(mean, 2))),
                    threshold=Decimal(str(round(threshold, 1))),
                    peak=count,
                    peak_at=iso(started),
                    GSI1PK=INDEX,
                    GSI1SK=iso(started),
                )
            )
            log(episode_id, by, reason, count=count, now=now)
            return get(episode_id) or {}
        existing = current()  # another process opened it a moment ago
    assert existing is not None
    if count > int(existing.get("peak") or 0):
        store.update(*_key(existing["episode_id"]), {"peak": count, "peak_at": iso(started)})
    log(existing["episode_id"], by, reason, count=count, now=now)
    return get(existing["episode_id"]) or existing


def log(episode_id: str, by: str, action: str, now: datetime | None = None, **detail: Any) -> None:
    """Add a line to the episode's log (who, when, what)."""
    now = now or datetime.now(UTC)
    store.put(
        store.with_key(
            # microseconds in the key: lines of the same second keep their order
            (f"EPISODE#{episode_id}", f"LOG#{now.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%f}"),
            at=iso(now),
            by=by,
            action=action,
            **{k: v for k, v in detail.items() if v is not None},
        )
    )


def log_current(by: str, action: str, **detail: Any) -> None:
    """Log on the open episode, if there is one."""
    episode = current()
    if episode:
        log(episode["episode_id"], by, action, **detail)


def actions(episode_id: str) -> list[dict[str, Any]]:
    """The episode's log, oldest first."""
    return store.query(f"EPISODE#{episode_id}", "LOG#", "LOG#~")[:LOG_LIMIT]


def close(config: Any, episode_id: str, by: str, now: datetime | None = None) -> dict[str, Any]:
    """Close the episode (once); its report is kept with it."""
    from portevoix.core.errors import PostError

    now = now or datetime.now(UTC)
    episode = get(episode_id)
    if episode is None:
        raise PostError(f"no crisis episode {episode_id!r}")
    if episode.get("status") != "open":
        raise PostError(f"the episode {episode_id} is already closed")
    if not store.update(
        *_key(episode_id),
        {"status": "closed", "closed_at": iso(now), "closed_by": by},
        condition=("status", ("open",)),
    ):
        raise PostError(f"the episode {episode_id} is already closed")
    pointer = store.get(*OPEN)
    if pointer and pointer.get("episode_id") == episode_id:
        store.delete(*OPEN)
    log(episode_id, by, "close", now=now)
    closed = get(episode_id) or episode
    from portevoix.inbox import aftermath

    aftermath.send_closed(config, closed, now)
    return closed


def close_if_quiet(config: Any, now: datetime | None = None) -> dict[str, Any] | None:
    """Close the open episode after QUIET_HOURS full hours under its threshold, unfrozen."""
    from portevoix.inbox import crisis

    now = now or datetime.now(UTC)
    episode = current()
    if episode is None or crisis.frozen():
        return None
    started = parse_iso(episode.get("started_at")) or now
    if now - started < timedelta(hours=QUIET_HOURS + 1):
        return None
    counts = crisis.hourly_counts(now, QUIET_HOURS)
    if any(c >= float(episode.get("threshold") or config.inbox.crisis_min) for c in counts):
        return None
    return close(config, episode["episode_id"], by="system", now=now)
