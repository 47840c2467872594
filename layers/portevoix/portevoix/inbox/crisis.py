"""Crisis detection: negative mentions per hour against a rolling 7-day baseline.

Each negative mention adds one to the ``negative`` counter of its hour (the
store's hourly counters, atomic ADD). A surge is an hour at or above
``max(inbox.crisis_min, mean + 3 standard deviations)`` of the previous
168 hours; it alerts the team once (no second alert within 3 hours), with
the messages that caused it and a link to freeze scheduled posts.
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import links, notices, store
from portevoix.core.timeutil import iso

BASELINE_HOURS = 7 * 24
QUIET_AFTER_ALERT = timedelta(hours=3)
FREEZE_LINK_LIFE = timedelta(days=14)
NEGATIVE = "negative"


def count_negative(when: datetime, once: str | None = None) -> None:
    """One more negative message in the hour of ``when`` (with ``once``: that message, once)."""
    store.add_counts(when, {NEGATIVE: 1}, once=once)


def hourly_counts(end: datetime, hours: int) -> list[int]:
    """Counts of the ``hours`` hours before ``end``'s hour, oldest first."""
    last = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    start = last - timedelta(hours=hours)
    found = store.read_counts(start, last)
    return [found.get(start + timedelta(hours=i), {}).get(NEGATIVE, 0) for i in range(hours)]


def measure(config: Any, now: datetime) -> tuple[int, float, float]:
    """This hour's negative count, the previous week's hourly mean, and the surge threshold."""
    counts = hourly_counts(now + timedelta(hours=1), BASELINE_HOURS + 1)
    current, baseline = counts[-1], counts[:-1]
    mean = statistics.fmean(baseline)
    threshold = mean + 3 * statistics.pstdev(baseline)
    return current, mean, max(config.inbox.crisis_min, threshold) if config else threshold


def freeze_link(now: datetime | None = None) -> str:
    """A link to the page that freezes scheduled posts, or lifts the freeze."""
    now = now or datetime.now(UTC)
    return links.create("freeze", now + FREEZE_LINK_LIFE, now)


def check(config: Any, now: datetime | None = None) -> dict[str, Any] | None:
    """Alert when this hour's negative mentions surge; return what was decided."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    current, mean, threshold = measure(config, now)
    if current < threshold:
        return None
    hour = now.replace(minute=0, second=0, microsecond=0)
    recent = [
        hour - timedelta(hours=h) for h in range(int(QUIET_AFTER_ALERT.total_seconds() // 3600))
    ]
    if store.batch_get([store.crisis_key(iso(h)) for h in recent if h != hour]):
        return None  # the team already knows about this surge
    if not store.put_if_absent(
        {
            **store.with_key(store.crisis_key(iso(hour))),
            "count": current,
            "threshold": round(threshold, 1),
            "expires_at": int((now + timedelta(days=90)).timestamp()),
        }
    ):
        return None
    from portevoix.inbox import episodes

    episodes.open_or_continue("system", "surge", hour, (current, mean, threshold), now)
    _alert(config, hour, current, mean, threshold)
    return {
        "hour": iso(hour),
        "count": current,
        "baseline_mean": round(mean, 2),
        "threshold": round(threshold, 1),
    }


def _alert(config: Any, hour: datetime, count: int, mean: float, threshold: float) -> None:
    causes = [
        m
        for m in store.query_gsi1(store.inbox_index("needs_reply"), iso(hour))
        + store.query_gsi1(store.inbox_index("ignored"), iso(hour))
        if m.get("sentiment") == "negative" and not m.get("own")  # never the brand's own posts
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
    notices.send(
        config,
        [m.email for m in config.team],
        "crisis",
        lines,
        button=links.url("freeze", freeze_link()),
        values={"count": count, "mean": f"{mean:.1f}", "threshold": f"{threshold:.0f}"},
    )


def frozen() -> dict[str, Any] | None:
    """The freeze's state when publishing is frozen, else None."""
    state = store.get(*store.freeze_key()) or {}
    return state if state.get("frozen") else None


def freeze(
    on: bool, by: str = "cli", config: Any = None, now: datetime | None = None
) -> dict[str, Any]:
    """Freeze scheduled posts (each due one is held), or lift the freeze and release them.

    Lifting returns which held posts went out (``released``) and which wait for
    someone to decide (``waiting``: their time passed too long ago).
    """
    from portevoix.inbox import episodes

    now = now or datetime.now(UTC)
    state = store.with_key(store.freeze_key(), frozen=on, by=by, at=iso(now))
    store.batch_put([state])
    outcome: dict[str, Any] = {**state, "released": [], "waiting": []}
    if on:  # a freeze is a crisis: it belongs to the open episode, or opens one
        episodes.open_or_continue(by, "freeze", now, measure(config, now), now)
        return outcome
    if config is not None:
        outcome.update(release_held(config, by))
    episodes.log_current(
        by, "lift", released=len(outcome["released"]), waiting=len(outcome["waiting"])
    )
    return outcome


def held_posts() -> list[dict[str, Any]]:
    """Posts the freeze holds, oldest time first."""
    return sorted(
        store.query_gsi1(store.posts_index("held")), key=lambda p: p.get("scheduled_at", "")
    )


def release_held(config: Any, by: str = "system") -> dict[str, list[str]]:
    """When publishing is not frozen: release each held post still timely, ask about the others.

    "Timely" is measured from the moment the freeze lifted, so this is the same
    whether it runs then (``freeze off``) or later (the inbox schedule's safety
    net, for a post held while the freeze was being lifted). Each older post's
    author and the approvers are asked once, with a link to its page.
    """
    from portevoix.core import settings
    from portevoix.core.errors import PostError
    from portevoix.core.timeutil import parse_iso
    from portevoix.publishing import posts

    state = store.get(*store.freeze_key()) or {}
    if state.get("frozen"):
        return {"released": [], "waiting": []}
    lifted = parse_iso(state.get("at")) or datetime.now(UTC)
    grace = timedelta(minutes=config.crisis.publish_held_within_minutes)
    released, waiting, ask = [], [], []
    for post in held_posts():
        when = parse_iso(post.get("scheduled_at")) or lifted
        if lifted - when < grace:  # "less than" the setting: 0 asks about every post
            try:
                posts.release(post["post_id"], by)
            except PostError:
                continue  # released, cancelled or ended meanwhile: its status says which
            released.append(post["post_id"])
            continue
        waiting.append(post["post_id"])
        if store.claim_attribute(store.post_key(post["post_id"]), "asked_at", iso(lifted)):
            ask.append(post)
    if ask:
        base = settings.links_base_url()
        notices.send(
            config,
            sorted({*(p["author"] for p in ask), *(config.approvers or [])}),
            "post.held_waiting",
            [
                {
                    "label": p.get("local_time") or p.get("scheduled_at"),
                    "text": p.get("title") or next(iter(p["variants"].values()))["text"][:120],
                    "link": f"{base}/posts/{p['post_id']}",
                }
                for p in ask
            ],
            values={"count": len(ask), "minutes": config.crisis.publish_held_within_minutes},
        )
    return {"released": released, "waiting": waiting}
