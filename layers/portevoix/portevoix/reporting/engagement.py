"""Engagement of recent posts: read from each network, kept on the publication ledger.

Once a day (and before each weekly report) every post published in the
last ``report.metrics_days`` days is read back from its network; the
latest numbers are saved on its ledger entry (``POST#<id>`` /
``PUB#<account>``: ``metrics``, ``metrics_at``). A network that gives no
metrics is skipped; a refused token or a rate limit stops that account for
this run and keeps the numbers read before; one post that fails does not
stop the others.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import store
from portevoix.core.secrets import SecretError
from portevoix.core.timeutil import iso
from portevoix.networks import (
    AuthError,
    NetworkError,
    RateLimited,
    Unsupported,
    build,
    network_class,
)
from portevoix.networks.base import Network

FIELDS = ("likes", "shares", "replies", "views")


@dataclass
class CollectReport:
    accounts: int = 0
    posts: int = 0
    read: int = 0
    unavailable: list[str] = field(default_factory=list)  # accounts whose network gives none
    failed: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "accounts": self.accounts,
            "posts": self.posts,
            "read": self.read,
            "unavailable": self.unavailable,
            "failed": self.failed,
        }


def gives_metrics(network: str) -> bool:
    """Whether this network's module can read engagement at all."""
    cls = network_class(network)
    return cls.limits.has_metrics and cls.metrics is not Network.metrics


def published(account_key: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Ledger entries of the account's posts published in ``[start, end)``."""
    rows = store.query_gsi1(store.published_index(account_key), iso(start), iso(end))
    return [r for r in rows if r.get("GSI1SK", "") < iso(end)]


def collect(
    config: Any,
    now: datetime | None = None,
    *,
    days: int | None = None,
    networks: dict[str, Any] | None = None,
) -> CollectReport:
    """Read the engagement of every post of the last ``days`` days; ``networks`` overrides clients."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    since = now - timedelta(days=days if days is not None else config.report.metrics_days)
    report = CollectReport()
    work = []
    for account in config.accounts:
        entries = published(account.key, since, now + timedelta(seconds=1))
        if not entries:
            continue
        report.accounts += 1
        report.posts += len(entries)
        if not gives_metrics(account.network):
            report.unavailable.append(account.key)
            continue
        work.append((account, entries))
    if not work:
        return report
    with ThreadPoolExecutor(max_workers=min(8, len(work)), thread_name_prefix="metrics") as pool:
        for read, failed in pool.map(lambda job: _account(config, *job, now, networks), work):
            report.read += read
            report.failed += failed
    return report


def _account(
    config: Any,
    account: Any,
    entries: list[dict[str, Any]],
    now: datetime,
    networks: dict[str, Any] | None,
) -> tuple[int, list[dict[str, str]]]:
    failed: list[dict[str, str]] = []
    try:
        net = (networks or {}).get(account.key) or build(account, config)
    except SecretError as exc:
        return 0, [{"account": account.key, "error": str(exc)}]
    read = 0
    for entry in entries:
        try:
            m = net.metrics(entry["ref"])
        except (AuthError, RateLimited, Unsupported) as exc:
            # The whole account is concerned: try again on the next run.
            failed.append({"account": account.key, "error": str(exc)})
            break
        except NetworkError as exc:
            failed.append(
                {"account": account.key, "post": store.id_of(entry["PK"]), "error": str(exc)}
            )
            store.update(entry["PK"], entry["SK"], {"metrics_error": str(exc)[:300]})
            continue
        values = {f: getattr(m, f) for f in FIELDS if getattr(m, f) is not None}
        store.update(
            entry["PK"],
            entry["SK"],
            {"metrics": values, "metrics_at": iso(now), "metrics_error": None},
        )
        read += 1
    return read, failed
