"""Poll results: read once a day from each network until the poll closes, kept on the ledger.

A published poll's ledger entry carries ``poll_ends_at``; the daily metrics run
reads its votes (``poll``: options with their votes, voters, closed) and stops
once the network says it is closed, or a day after its end (``poll_final``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import store
from portevoix.core.timeutil import iso, parse_iso

LOOK_BACK = timedelta(days=31)  # the longest poll (Mastodon, a month) and a day


def collect(
    config: Any, now: datetime | None = None, networks: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Read the votes of every poll still open (or closed since the last read)."""
    from portevoix.core.errors import PortevoixError
    from portevoix.networks import NetworkError, build
    from portevoix.reporting.engagement import published

    now = (now or datetime.now(UTC)).astimezone(UTC)
    read, failed = 0, []
    for account in config.accounts:
        entries = [
            e
            for e in published(account.key, now - LOOK_BACK, now + timedelta(seconds=1))
            if e.get("poll_ends_at") and not e.get("poll_final")
        ]
        if not entries:
            continue
        try:
            net = (networks or {}).get(account.key) or build(account, config)
        except (NetworkError, PortevoixError) as exc:
            failed.append({"account": account.key, "error": str(exc)[:300]})
            continue
        for entry in entries:
            try:
                result = net.poll_results(entry["ref"])
            except (NetworkError, PortevoixError) as exc:
                failed.append({"account": account.key, "error": str(exc)[:300]})
                continue
            ends = parse_iso(entry["poll_ends_at"]) or now
            store.update(
                entry["PK"],
                entry["SK"],
                {
                    "poll": {
                        "options": [[label, votes] for label, votes in result.options],
                        "voters": result.voters,
                        "closed": result.closed,
                        "read_at": iso(now),
                    },
                    "poll_final": bool(result.closed or now >= ends + timedelta(days=1)) or None,
                },
            )
            read += 1
    return {"read": read, "failed": failed}


def results(post_id: str, accounts: list[str]) -> dict[str, dict[str, Any]]:
    """Each account's poll votes as last read, with percentages."""
    out = {}
    for entry in store.batch_get([store.publication_key(post_id, a) for a in accounts]):
        poll = entry.get("poll")
        if not poll:
            continue
        total = sum(int(v) for _, v in poll["options"]) or 0
        out[entry["account"]] = {
            "options": [
                {
                    "label": label,
                    "votes": int(v),
                    "pct": round(100 * int(v) / total) if total else 0,
                }
                for label, v in poll["options"]
            ],
            "total": total,
            "closed": bool(poll.get("closed")),
            "read_at": poll.get("read_at"),
        }
    return out
