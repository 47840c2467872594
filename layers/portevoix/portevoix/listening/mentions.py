"""Social listening: read each configured account's mentions into the inbox.

One cursor item per account (``ACCOUNT#<key>`` / ``CURSOR``) remembers where
reading stopped; it is saved only after the mentions it covers are stored,
so nothing is missed or read twice. A rate-limited account waits for the
delay the network asked for; an account whose credentials were refused is
marked, for the token-health alert.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from portevoix.core import store
from portevoix.core.secrets import SecretError
from portevoix.core.timeutil import iso, parse_iso
from portevoix.listening.matching import Matcher
from portevoix.networks import NetworkError, build, network_class
from portevoix.networks.base import Network

MENTION_TTL_DAYS = 365


@dataclass
class ListeningReport:
    accounts: int = 0
    polled: int = 0
    mentions: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)


def cursor_key(account_key: str) -> tuple[str, str]:
    return store.cursor_key(account_key)


def mention_record(account: Any, m: Any, now: datetime, matcher: Matcher) -> dict[str, Any]:
    """The inbox record of a network mention (same shape as feed mentions)."""
    seen = iso(now)
    match = matcher.match(m.text)
    return {
        **store.with_key(store.mention_key(f"{m.source}#{m.source_id}")),
        "GSI1PK": store.inbox_index("new"),
        "GSI1SK": f"{seen}#{m.source}#{m.source_id}",
        "type": "mention",
        "source": m.source,
        "source_id": m.source_id,
        "account": account.key,
        "ref": m.ref,
        "kind": m.kind,
        "status": "new",
        "author": m.author or None,
        "author_handle": m.author_handle or None,
        "title": f"{m.author} ({m.author_handle})" if m.author else m.author_handle or m.source,
        "text": m.text[:2000] or None,
        "link": m.url,
        "published": m.published,
        "received_at": seen,
        "in_reply_to": m.in_reply_to,
        "declared_language": m.language,
        "topics": match.topics or None,
        "competitors": match.competitors or None,
        "expires_at": int((now + timedelta(days=MENTION_TTL_DAYS)).timestamp()),
    }


def poll_accounts(
    config: Any, now: datetime, networks: dict[str, Any] | None = None
) -> ListeningReport:
    """Read every readable account once; ``networks`` overrides clients (tests)."""

    readable = [
        a
        for a in config.accounts
        if a.read and network_class(a.network).fetch_mentions is not _base_fetch()
    ]
    report = ListeningReport(accounts=len(readable))
    if not readable:
        return report
    states = {s["PK"]: s for s in store.batch_get([cursor_key(a.key) for a in readable])}
    due = []
    for account in readable:
        state = states.get(cursor_key(account.key)[0]) or {}
        retry_at = parse_iso(state.get("retry_at"))
        if retry_at and retry_at > now:
            report.skipped.append(
                {
                    "feed": f"account:{account.key}",
                    "url": account.network,
                    "reason": f"the network asked to wait until {iso(retry_at)}",
                }
            )
            continue
        due.append((account, state))
    report.polled = len(due)

    def read(item: tuple[Any, dict[str, Any]]) -> tuple[Any, dict[str, Any], Any, Any]:
        account, state = item
        try:
            net = (networks or {}).get(account.key) or build(account, config)
            mentions, cursor = net.fetch_mentions(state.get("cursor"))
            return account, state, (mentions, cursor), None
        except (NetworkError, SecretError) as exc:
            return account, state, None, exc

    with ThreadPoolExecutor(max_workers=min(8, len(due)) or 1, thread_name_prefix="listen") as pool:
        results = list(pool.map(read, due))

    matcher = Matcher.from_config(config)
    records: dict[str, dict[str, Any]] = {}
    new_states = []
    for account, state, ok, error in results:
        new_state = {"PK": cursor_key(account.key)[0], "SK": "CURSOR", "network": account.network}
        if state.get("cursor"):
            new_state["cursor"] = state["cursor"]
        if error is not None:
            report.failed.append(
                {
                    "feed": f"account:{account.key}",
                    "name": f"{account.key} ({account.network})",
                    "url": account.network,
                    "error": str(error).removeprefix(f"{account.key}: "),  # named already
                }
            )
            new_state["last_error"] = str(error)[:500]
            new_state["failures"] = int(state.get("failures", 0)) + 1
            delay = getattr(error, "retry_after", None)
            if delay:
                new_state["retry_at"] = iso(now + timedelta(seconds=min(delay, 24 * 3600)))
            if type(error).__name__ == "AuthError":
                new_state["auth_error"] = str(error)[:500]
                new_state["auth_error_at"] = iso(now)
        else:
            mentions, cursor = ok
            for m in mentions:
                rec = mention_record(account, m, now, matcher)
                records.setdefault(rec["PK"], rec)
            if cursor:
                new_state["cursor"] = cursor
        if new_state != state:
            new_states.append(new_state)

    if records:
        existing = {
            i["PK"] for i in store.batch_get([(pk, "MENTION") for pk in records], projection="PK")
        }
        fresh = [r for pk, r in records.items() if pk not in existing]
        store.batch_put(fresh)
        report.mentions = len(fresh)
    if new_states:
        store.batch_put(new_states)  # after the mentions: a crash re-reads, never skips
    return report


def _base_fetch() -> Any:
    return Network.fetch_mentions
