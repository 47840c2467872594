"""What the weekly report reads from the table, and the figures made from it.

Mentions come from GSI1 ``INBOX#<status>`` (one range query per status),
feed items from the hourly counters, posts from the publication ledger
(GSI1 ``PUBLISHED#<account>``, with the engagement the collector saved),
crises from their alerts. The rules live in ``figures``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from portevoix.core import store
from portevoix.core.timeutil import iso, parse_iso, utc_hours
from portevoix.networks import network_class
from portevoix.networks.base import Network
from portevoix.reporting import figures
from portevoix.reporting.engagement import gives_metrics, published
from portevoix.reporting.figures import Figures
from portevoix.reporting.week import Week


def collect(config: Any, week: Week) -> Figures:
    """Every figure of the report for one week."""
    fig = Figures(week=week)
    kept = figures.add_mentions(fig, week_mentions(week))
    competitors = [c.name for c in config.competitors]
    counters = hourly(week)
    figures.add_items(fig, counters, kept, config.brand.name, competitors)
    fig.visits = {  # clicks on the posts' short links, per account
        k.split(":", 1)[1]: int(v) for k, v in counters.items() if k.startswith("clicks:")
    }
    fig.publishing, fig.posts = publishing(config, week)
    fig.crises = crises(week)
    fig.episodes = episodes(week)
    from portevoix.reporting import audience

    fig.audience = audience.weekly(config, week)
    fig.polls = polls(config, week)
    from portevoix.publishing import boosts

    fig.boosts = boosts.week(week)
    return fig


def polls(config: Any, week: Week) -> list[dict[str, Any]]:
    """The polls that ended in the week, with their votes as last read."""
    from portevoix.publishing.polls import LOOK_BACK
    from portevoix.reporting.engagement import published

    start, end = iso(week.start), iso(week.end)
    ended = [
        {**e, "post_id": store.id_of(e["PK"])}  # a ledger entry: POST#<id> / PUB#<account>
        for account in config.accounts
        for e in published(account.key, week.start - LOOK_BACK, week.end)
        if e.get("poll") and start <= (e.get("poll_ends_at") or "") < end
    ]
    titles = (
        {
            p["post_id"]: p.get("title") or p.get("summary") or p["post_id"]
            for p in store.batch_get([store.post_key(pid) for pid in {e["post_id"] for e in ended}])
        }
        if ended
        else {}
    )
    out = []
    for e in sorted(ended, key=lambda e: e["poll_ends_at"]):
        votes = [(str(label), int(v)) for label, v in e["poll"]["options"]]
        total = sum(v for _, v in votes)
        out.append(
            {
                "post_id": e["post_id"],
                "account": e["account"],
                "title": titles.get(e["post_id"], e["post_id"]),
                "ends_at": e["poll_ends_at"],
                "total": total,
                "options": [
                    (label, v, round(100 * v / total) if total else 0) for label, v in votes
                ],
                "closed": bool(e["poll"].get("closed")),
            }
        )
    return out


def week_mentions(week: Week) -> list[dict[str, Any]]:
    lo, hi = iso(week.start), iso(week.end)
    out = []
    for status in figures.STATUSES:
        for m in store.query_gsi1(store.inbox_index(status), lo, hi):
            received = parse_iso(m.get("received_at"))
            if received and week.start <= received < week.end:
                out.append(m)
    return out


def hourly(week: Week) -> Counter[str]:
    """The week's hourly counters, summed."""
    total: Counter[str] = Counter()
    for values in store.read_counts(week.start, week.end).values():
        total.update(values)
    return total


def publishing(config: Any, week: Week) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Cadence per publishing account, and each post published in the week."""
    rows, entries = [], []
    for account in config.accounts:
        if network_class(account.network).publish is Network.publish:
            continue  # read-only sources
        found = published(account.key, week.start, week.end)
        entries += [(account, e) for e in found]
        if account.network != "webhook":  # internal channels have no cadence
            target = config.charter.for_network(account.network).weekly_target
            rows.append(figures.cadence(account, len(found), target))
    post_ids = {e["PK"]: store.id_of(e["PK"]) for _, e in entries}
    posts = {p["PK"]: p for p in store.batch_get([store.post_key(i) for i in post_ids.values()])}
    rows_posts = [
        figures.post_row(
            account, e, posts.get(e["PK"], {}), post_ids[e["PK"]], gives_metrics(account.network)
        )
        for account, e in entries
    ]
    rows_posts.sort(key=lambda p: p["published_at"])
    return rows, rows_posts


def episodes(week: Week) -> list[dict[str, Any]]:
    """The reports of the crisis episodes the week saw (started before its end, not closed
    before its start), oldest first."""
    from portevoix.inbox import aftermath
    from portevoix.inbox import episodes as crisis_episodes

    seen = [
        e
        for e in crisis_episodes.recent(limit=50)
        if e["started_at"] < iso(week.end) and (e.get("closed_at") or "9") >= iso(week.start)
    ]
    return [
        {**aftermath.build(e), "episode": e} for e in sorted(seen, key=lambda e: e["started_at"])
    ]


def crises(week: Week) -> list[dict[str, Any]]:
    found = store.batch_get([store.crisis_key(iso(h)) for h in utc_hours(week.start, week.end)])
    alerts = [
        {"hour": store.id_of(a["PK"]), "count": a.get("count", 0), "threshold": a.get("threshold")}
        for a in found
    ]
    return sorted(alerts, key=lambda a: a["hour"])
