"""Each account's community as a daily series: followers (following, posts) read once a day.

One item per account and local day (``AUDIENCE#<account>``, ``<day>``). A day
whose read failed keeps the error instead of numbers, so a series shows a gap
(an expired token, a network down) and never a drop to zero.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from portevoix.core import store
from portevoix.core.timeutil import iso

KEEP_DAYS = 800  # two years and more: the twelve-week trend and last year's same week
TREND_WEEKS = 12


def key(account: str, day: date) -> store.Key:
    return f"AUDIENCE#{account}", day.isoformat()


def collect(
    config: Any, now: datetime | None = None, networks: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Read every enabled account's audience once for today (a rerun overwrites the day)."""
    from portevoix.core.errors import PortevoixError
    from portevoix.networks import NetworkError, Unsupported, build

    now = (now or datetime.now(UTC)).astimezone(UTC)
    day = now.astimezone(config.tz).date()
    expires = int((now + timedelta(days=KEEP_DAYS)).timestamp())
    read, failed, unsupported = [], [], []
    items = []
    for account in config.accounts:
        base = {**store.with_key(key(account.key, day)), "at": iso(now), "expires_at": expires}
        try:
            net = (networks or {}).get(account.key) or build(account, config)
            found = net.audience()
        except Unsupported:
            unsupported.append(account.key)
            continue
        except (NetworkError, PortevoixError) as exc:
            failed.append({"account": account.key, "error": str(exc)[:300]})
            items.append({**base, "error": str(exc)[:300]})
            continue
        read.append(account.key)
        items.append(
            {
                **base,
                "followers": found.followers,
                "following": found.following,
                "posts": found.posts,
            }
        )
    store.batch_put(items)
    return {"read": read, "failed": failed, "unsupported": unsupported}


def series(account: str, first: date, last: date) -> dict[date, dict[str, Any]]:
    """The account's days from ``first`` to ``last`` that have an item (numbers or an error)."""
    pk = f"AUDIENCE#{account}"
    return {
        date.fromisoformat(i["SK"]): i for i in store.query(pk, first.isoformat(), last.isoformat())
    }


def _last(days: dict[date, dict[str, Any]], first: date, last: date) -> int | None:
    """The latest follower count read within ``[first, last]``."""
    for offset in range((last - first).days + 1):
        item = days.get(last - timedelta(days=offset))
        if item and item.get("followers") is not None:
            return int(item["followers"])
    return None


def weekly(config: Any, week: Any) -> list[dict[str, Any]]:
    """Per account: followers at the week's end and the week before's, and twelve weeks of
    trend (each week's last reading; None where nothing was read: a gap, not a zero)."""
    end = (week.end - timedelta(seconds=1)).astimezone(config.tz).date()
    first = end - timedelta(weeks=TREND_WEEKS) + timedelta(days=1)
    out = []
    for account in config.accounts:
        days = series(account.key, first, end)
        trend = [
            _last(days, end - timedelta(weeks=w, days=6), end - timedelta(weeks=w))
            for w in reversed(range(TREND_WEEKS))
        ]
        now, before = trend[-1], trend[-2]
        errors = [i for d, i in sorted(days.items()) if i.get("error") and d > end - timedelta(7)]
        if now is None and before is None and not errors and not any(trend):
            continue  # never read (a network without audience figures): not in the report
        out.append(
            {
                "account": account.key,
                "network": account.network,
                "followers": now,
                "previous": before,
                "change": now - before if now is not None and before is not None else None,
                "trend": trend,
                "gap_days": sum(1 for i in days.values() if i.get("error")),
                "error": errors[-1]["error"] if errors else None,
            }
        )
    return out


def chart(account: str, today: date, days: int = 90, width: int = 180, height: int = 40) -> dict:
    """The last ``days`` days of followers as SVG polyline segments (a gap breaks the line)."""
    found = series(account, today - timedelta(days=days - 1), today)
    values = [
        found.get(today - timedelta(days=days - 1 - i), {}).get("followers") for i in range(days)
    ]
    known = [int(v) for v in values if v is not None]
    if not known:
        return {}
    low, high = min(known), max(known)
    spread = (high - low) or 1
    segments, current = [], []
    for i, v in enumerate(values):
        if v is None:
            if current:
                segments.append(" ".join(current))
            current = []
            continue
        x = round(i * (width - 2) / (days - 1) + 1, 1)
        y = round(height - 2 - (int(v) - low) * (height - 4) / spread, 1)
        current.append(f"{x},{y}")
    if current:
        segments.append(" ".join(current))
    return {
        "segments": segments,
        "first": known[0],
        "last": known[-1],
        "change": known[-1] - known[0],
        "gaps": sum(1 for i in found.values() if i.get("error")),
        "days": days,
    }
