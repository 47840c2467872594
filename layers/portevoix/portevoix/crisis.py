"""Crisis detection: negative mentions per hour against a rolling 7-day baseline.

Each negative mention adds one to its hour (``STATS#<day>`` / ``NEG``,
attribute ``h<HH>``, atomic ADD). A surge is an hour at or above
``max(inbox.crisis_min, mean + 3 standard deviations)`` of the previous
168 hours; it alerts the team once (no second alert within 3 hours), with
the messages that caused it and how to freeze scheduled posts.
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

from . import aws, store
from .timeutil import iso

BASELINE_HOURS = 7 * 24
QUIET_AFTER_ALERT = timedelta(hours=3)


def _key(when: datetime) -> tuple[str, str]:
    when = when.astimezone(UTC)
    return f"STATS#{when.date().isoformat()}", f"h{when.hour:02d}"


def count_negative(when: datetime) -> None:
    pk, attr = _key(when)
    aws.client("dynamodb").update_item(
        TableName=store.table_name(),
        Key={"PK": {"S": pk}, "SK": {"S": "NEG"}},
        UpdateExpression="ADD #h :one SET expires_at = if_not_exists(expires_at, :ttl)",
        ExpressionAttributeNames={"#h": attr},
        ExpressionAttributeValues={
            ":one": {"N": "1"},
            ":ttl": {"N": str(int((when + timedelta(days=60)).timestamp()))},
        },
    )


def hourly_counts(end: datetime, hours: int) -> list[int]:
    """Counts of the ``hours`` hours before ``end``'s hour, oldest first."""
    start = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours)
    days = sorted({(start + timedelta(hours=i)).date().isoformat() for i in range(hours + 1)})
    items = {i["PK"][6:]: i for i in store.batch_get([(f"STATS#{d}", "NEG") for d in days])}
    out = []
    for i in range(hours):
        t = start + timedelta(hours=i)
        out.append(int(items.get(t.date().isoformat(), {}).get(f"h{t.hour:02d}", 0)))
    return out


def check(config: Any, now: datetime | None = None) -> dict[str, Any] | None:
    """Alert when this hour's negative mentions surge; return what was decided."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    counts = hourly_counts(now + timedelta(hours=1), BASELINE_HOURS + 1)
    current, baseline = counts[-1], counts[:-1]
    mean = statistics.fmean(baseline)
    spread = statistics.pstdev(baseline)
    threshold = max(config.inbox.crisis_min, mean + 3 * spread)
    if current < threshold:
        return None
    hour = now.replace(minute=0, second=0, microsecond=0)
    recent = [
        hour - timedelta(hours=h) for h in range(int(QUIET_AFTER_ALERT.total_seconds() // 3600))
    ]
    if store.batch_get([(f"CRISIS#{iso(h)}", "ALERT") for h in recent if h != hour]):
        return None  # the team already knows about this surge
    if not store.put_if_absent(
        {
            "PK": f"CRISIS#{iso(hour)}",
            "SK": "ALERT",
            "count": current,
            "threshold": round(threshold, 1),
            "expires_at": int((now + timedelta(days=90)).timestamp()),
        }
    ):
        return None
    _alert(config, hour, current, mean, threshold)
    return {
        "hour": iso(hour),
        "count": current,
        "baseline_mean": round(mean, 2),
        "threshold": round(threshold, 1),
    }


def _alert(config: Any, hour: datetime, count: int, mean: float, threshold: float) -> None:
    from . import notices

    causes = [
        m
        for m in store.query_gsi1("INBOX#needs_reply", iso(hour))
        + store.query_gsi1("INBOX#ignored", iso(hour))
        if m.get("sentiment") == "negative"
    ][:20]
    lines = [
        {
            "label": f"{m.get('author_handle') or m.get('author') or '?'} · {m.get('source')}",
            "text": (m.get("text") or m.get("title") or "")[:280],
            "link": m.get("link"),
            "level": "error",
        }
        for m in causes
    ]
    import os

    from . import actions

    base = os.environ.get("APPROVAL_BASE_URL", "http://127.0.0.1:8787").rstrip("/")
    notices.send(
        config,
        [m.email for m in config.team],
        "crisis",
        lines,
        button=f"{base}/m/{actions.create_freeze_link()}",
        values={"count": count, "mean": f"{mean:.1f}", "threshold": f"{threshold:.0f}"},
    )


def freeze(on: bool, by: str = "cli") -> dict[str, Any]:
    """Freeze (or unfreeze) scheduled posts: the publish workflow checks this before each post."""
    state = {"PK": "FREEZE", "SK": "STATE", "frozen": on, "by": by, "at": iso(datetime.now(UTC))}
    store.batch_put([state])
    return state
