"""One poll of the configured feeds: fetch what is due, store what is new.

Order of writes keeps nothing lost: new items, then mentions, then the feed
states (ETag, body hash, ids seen). If a write fails, the states are not
saved and the next poll sees the same entries again.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from portevoix.core import store
from portevoix.core.errors import FeedParseError, FetchError
from portevoix.core.http import AddressPolicy, Fetcher, Limits, user_agent
from portevoix.core.timeutil import iso, parse_iso
from portevoix.listening import feeds as feedmod
from portevoix.listening import feedstate
from portevoix.listening.matching import Matcher
from portevoix.listening.mentions import poll_accounts

if TYPE_CHECKING:
    from portevoix.core.config import Config, Feed

ITEM_TTL_DAYS = 90
PENDING = "VEILLE#PENDING"  # batches counted whose run may not have finished storing them
OUT_OF_TIME = "out of time for this run; polled next time"


@dataclass
class FeedOutcome:
    feed: Feed
    status: str  # fetched | not_modified | unchanged | failed | skipped
    entries: list[feedmod.Entry] = field(default_factory=list)
    error: str | None = None
    warning: str | None = None
    state: dict[str, Any] | None = None  # the state to save, None when unchanged
    note: str | None = None


@dataclass
class PollReport:
    feeds: int = 0
    polled: int = 0
    fetched: int = 0
    not_modified: int = 0
    unchanged: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    entries: int = 0
    new_items: int = 0
    mentions: int = 0
    accounts: int = 0
    network_mentions: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "feeds": self.feeds,
            "polled": self.polled,
            "fetched": self.fetched,
            "not_modified": self.not_modified,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "skipped": self.skipped,
            "warnings": self.warnings,
            "entries": self.entries,
            "new_items": self.new_items,
            "mentions": self.mentions,
            "accounts": self.accounts,
            "network_mentions": self.network_mentions,
            "seconds": round(self.seconds, 3),
        }


class Poller:
    """Polls a configuration's feeds and stores the result."""

    def __init__(self, config: Config, fetcher: Any = None, networks: dict[str, Any] | None = None):
        self.config = config
        self.networks = networks
        self.matcher = Matcher.from_config(config)
        self._own_fetcher = fetcher is None
        self.fetcher = fetcher or Fetcher(
            AddressPolicy.from_config(config.fetch),
            Limits.from_config(config.fetch),
            agent=user_agent(config.fetch.contact),
            pool_size=config.fetch.concurrency,
        )

    def close(self) -> None:
        if self._own_fetcher:
            self.fetcher.close()

    # -- one feed (runs on a worker thread) --------------------------------

    def _fetch_feed(
        self, feed: Feed, state: dict[str, Any] | None, now: datetime, deadline: float
    ) -> FeedOutcome:
        if time.monotonic() > deadline:
            return FeedOutcome(feed, "skipped", note=OUT_OF_TIME)
        same = feedstate.same_feed(feed.url, state)
        prev = dict(state) if same else store.with_key(store.feed_key(feed.key), url=feed.url)
        url = prev.get("alternate") or feed.url
        try:
            resp = self.fetcher.get(
                url,
                etag=prev.get("etag") if same else None,
                last_modified=prev.get("last_modified") if same else None,
            )
            if resp.not_modified:
                return self._ok(feed, prev, "not_modified", [], now)
            new = dict(prev)
            new["etag"] = resp.headers.get("etag")
            new["last_modified"] = resp.headers.get("last-modified")
            body_hash = hashlib.sha256(resp.body).hexdigest()[:32]
            if same and prev.get("body_hash") == body_hash:
                return self._ok(feed, new, "unchanged", [], now)
            new["body_hash"] = body_hash
            parsed = feedmod.parse(resp.body, url=resp.url, feed_key=feed.key, headers=resp.headers)
            if parsed.alternate and not prev.get("alternate"):
                # A reference site: follow the feed its page advertises, once.
                new["alternate"] = parsed.alternate
                new.pop("etag", None)
                new.pop("last_modified", None)
                return self._fetch_feed(feed, new, now, deadline)
            if parsed.alternate:
                raise FeedParseError(f"{url} is a page, not a feed")
        except FetchError as exc:
            return self._failed(feed, prev, str(exc), now, exc.retry_after)
        except FeedParseError as exc:
            return self._failed(feed, prev, f"{url}: {exc}", now, None)
        ids = [e.item_id for e in parsed.entries]
        fresh = feedstate.unseen(ids, prev, same)
        new["seen"] = feedstate.remember(ids)
        new["title"] = parsed.title or prev.get("title")
        outcome = self._ok(
            feed, new, "fetched", [e for e in parsed.entries if e.item_id in fresh], now
        )
        outcome.warning = parsed.warning
        return outcome

    @staticmethod
    def _ok(
        feed: Feed, state: dict[str, Any], status: str, entries: list[Any], now: datetime
    ) -> FeedOutcome:
        new = feedstate.succeeded(state, now, feed.interval_minutes)
        return FeedOutcome(feed, status, entries, state=new)

    def _failed(
        self,
        feed: Feed,
        state: dict[str, Any],
        error: str,
        now: datetime,
        retry_after: float | None,
    ) -> FeedOutcome:
        new = feedstate.failed(
            state,
            error,
            now,
            interval_minutes=feed.interval_minutes or self.config.fetch.interval_minutes,
            max_backoff_hours=self.config.fetch.max_backoff_hours,
            retry_after=retry_after,
        )
        return FeedOutcome(feed, "failed", error=error, state=new)

    # -- the whole poll ----------------------------------------------------

    def poll(
        self, now: datetime | None = None, *, scheduled: bool = True, budget_seconds: float = 240
    ) -> PollReport:
        """Poll due feeds (all feeds not backing off when ``scheduled`` is False).

        Order: read every feed's state (one BatchGet), fetch the due feeds
        concurrently while storing the new items and their mentions as soon
        as a batch's worth is ready (so storage overlaps the fetching), then
        write the states that changed, then read the network accounts. A run
        cut short between the two re-fetches feeds whose items are stored:
        the BatchGet finds them, nothing is written twice.
        """
        started = time.monotonic()
        now = (now or datetime.now(UTC)).astimezone(UTC)
        report = PollReport(feeds=len(self.config.feeds))
        states = self._states()
        due = self._due(states, now, scheduled, report)
        # Batches an interrupted run counted (or was about to): their counts made sure of,
        # and their items, if this run finds them still new, stored but not counted again.
        unfinished = store.query(PENDING, "BATCH#", "BATCH#\uffff")
        for batch in unfinished:
            store.add_counts(parse_iso(batch["hour"]) or now, batch["counts"], once=batch["SK"])
        storing = _Storing(self, now, report, {i for b in unfinished for i in b["ids"]})
        outcomes = []
        for out in self._fetch_all(due, now, started + budget_seconds):
            outcomes.append(out)
            self._tally(out, report)
            storing.add(out)
        storing.flush(final=True)
        for batch in [*unfinished, *storing.batches]:  # stored and counted: nothing pending
            store.delete(batch["PK"], batch["SK"])
        changed = [
            out.state
            for out in outcomes
            if out.state is not None and out.state != states.get(out.feed.key)
        ]
        if changed:
            store.batch_put(changed)
        if self.config.accounts and time.monotonic() > started + budget_seconds:
            # No time left to read the networks: their cursors are unchanged, the next run
            # reads from where the last one stopped.
            report.skipped += [
                {"feed": f"account:{a.key}", "url": a.network, "reason": OUT_OF_TIME}
                for a in self.config.accounts
                if a.read
            ]
        elif self.config.accounts:
            self._listen(now, report)
        report.seconds = time.monotonic() - started
        return report

    def _states(self) -> dict[str, dict[str, Any]]:
        """Every feed's stored state, by feed key."""
        feeds = self.config.feeds
        if not feeds:
            return {}
        by_pk = {s["PK"]: s for s in store.batch_get([store.feed_key(f.key) for f in feeds])}
        return {
            f.key: by_pk[store.feed_key(f.key)[0]]
            for f in feeds
            if store.feed_key(f.key)[0] in by_pk
        }

    def _due(
        self,
        states: dict[str, dict[str, Any]],
        now: datetime,
        scheduled: bool,
        report: PollReport,
    ) -> list[tuple[Feed, dict[str, Any] | None]]:
        due = []
        for feed in self.config.feeds:
            state = states.get(feed.key)
            reason = feedstate.not_due(feed.url, state, now, scheduled)
            if reason:
                report.skipped.append(
                    {"feed": feed.key, "name": feed.label, "url": feed.url, "reason": reason}
                )
            else:
                due.append((feed, state))
        report.polled = len(due)
        return due

    def _fetch_all(
        self, due: list[tuple[Feed, dict[str, Any] | None]], now: datetime, deadline: float
    ) -> Iterator[FeedOutcome]:
        """Each due feed's outcome, in the configuration's order, as the pool gets them."""
        if not due:
            return
        workers = min(self.config.fetch.concurrency, len(due))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="veille") as pool:
            futures = [
                pool.submit(self._fetch_feed, feed, state, now, deadline) for feed, state in due
            ]
            for future in futures:
                yield future.result()

    @staticmethod
    def _tally(out: FeedOutcome, report: PollReport) -> None:
        """Count one feed's outcome in the report."""
        where = {"feed": out.feed.key, "name": out.feed.label, "url": out.feed.url}
        if out.status == "failed":
            report.failed.append({**where, "error": out.error})
        elif out.status == "skipped":
            report.skipped.append({**where, "reason": out.note})
        else:
            setattr(report, out.status, getattr(report, out.status) + 1)
        if out.warning:
            report.warnings.append({**where, "warning": out.warning})

    def _store_items(
        self,
        candidates: dict[str, tuple[Feed, feedmod.Entry]],
        now: datetime,
        counted: set[str],
        batch_id: str,
    ) -> tuple[list[dict[str, Any]], int, dict[str, Any] | None]:
        """Write the candidates not stored yet, and their mentions; what was new.

        Counts first, exactly once, with a pending record naming the batch: a run that stops
        after it leaves the next run what to finish. The mentions go before their items: an
        item found stored always has its mention (a run stopped between the two writes them
        again, both found absent).
        """
        new_records = self._new_records(candidates, now)
        new_mentions = [_mention(rec) for rec in new_records if rec["brand"]]
        counts = item_counts(r for r in new_records if r["item_id"] not in counted)
        pending = None
        if counts:
            pending = store.with_key(
                (PENDING, f"BATCH#{batch_id}"),
                hour=iso(now),
                counts=dict(counts),
                ids=[r["item_id"] for r in new_records],
                expires_at=int((now + timedelta(days=2)).timestamp()),
            )
            store.put(pending)
            store.add_counts(now, counts, once=pending["SK"])
        store.batch_put(new_mentions + new_records)
        return new_records, len(new_mentions), pending

    def _listen(self, now: datetime, report: PollReport) -> None:
        """The network accounts' mentions, in the same report."""
        heard = poll_accounts(self.config, now, self.networks)
        report.accounts = heard.polled
        report.network_mentions = heard.mentions
        report.mentions += heard.mentions
        report.failed += heard.failed
        report.skipped += heard.skipped

    def _new_records(
        self, candidates: dict[str, tuple[Feed, feedmod.Entry]], now: datetime
    ) -> list[dict[str, Any]]:
        if not candidates:
            return []
        existing = {
            item["PK"]
            for item in store.batch_get(
                [store.item_key(item_id) for item_id in candidates], projection="PK"
            )
        }
        return [
            self._record(feed, entry, now)
            for item_id, (feed, entry) in candidates.items()
            if store.item_key(item_id)[0] not in existing
        ]

    def _record(self, feed: Feed, entry: feedmod.Entry, now: datetime) -> dict[str, Any]:
        match = self.matcher.match(entry.title, entry.summary_text, " ".join(entry.tags))
        topics = sorted(set(match.topics) | set(feed.topics))
        seen_at = iso(now)
        return {
            **store.with_key(store.item_key(entry.item_id)),
            "GSI1PK": store.day_index(seen_at[:10]),
            "GSI1SK": f"{seen_at}#{entry.item_id}",
            "type": "item",
            "item_id": entry.item_id,
            "feed": feed.key,
            "feed_name": feed.label,
            "title": entry.title,
            "link": entry.link,
            "published": iso(entry.published) if entry.published else None,
            "author": entry.author or None,
            "summary": entry.summary_text or None,
            "summary_html": entry.summary_html or None,
            "lang": entry.language,
            "topics": topics or None,
            "competitors": match.competitors or None,
            "keywords": match.keywords or None,
            "brand": match.brand,
            "brand_terms": match.brand_terms or None,
            "first_seen": seen_at,
            "expires_at": int((now + timedelta(days=ITEM_TTL_DAYS)).timestamp()),
        }


class _Storing:
    """New entries gathered across feeds (the first feed of an item wins), stored by batches."""

    BATCH = 100  # one BatchGet's worth of candidates

    def __init__(
        self, poller: Poller, now: datetime, report: PollReport, counted: set[str] | None = None
    ):
        import secrets

        self.poller, self.now, self.report = poller, now, report
        self.counted = counted or set()  # counted by an interrupted run
        self.run = secrets.token_hex(6)
        self.batches: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        self.pending: dict[str, tuple[Feed, feedmod.Entry]] = {}

    def add(self, out: FeedOutcome) -> None:
        for entry in out.entries:
            if entry.item_id not in self.seen:
                self.seen.add(entry.item_id)
                self.pending[entry.item_id] = (out.feed, entry)
        if len(self.pending) >= self.BATCH:
            self.flush()

    def flush(self, final: bool = False) -> None:
        if self.pending:
            records, mentions, batch = self.poller._store_items(
                self.pending, self.now, self.counted, f"{self.run}-{len(self.batches)}"
            )
            self.pending = {}
            self.report.new_items += len(records)
            self.report.mentions += mentions
            if batch is not None:
                self.batches.append(batch)
        if final:
            self.report.entries = len(self.seen)


def item_counts(records: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """What a batch of newly stored feed items adds to the hourly counters."""
    out: Counter[str] = Counter()
    for rec in records:
        out["items"] += 1
        if rec.get("brand"):
            out["brand"] += 1
        for topic in rec.get("topics") or ():
            out[f"topic:{topic}"] += 1
        for name in rec.get("competitors") or ():
            out[f"competitor:{name}"] += 1
    return out


def _mention(rec: dict[str, Any]) -> dict[str, Any]:
    """The inbox record of a new item that names the brand (source ``rss``)."""
    return {
        **store.with_key(store.mention_key(f"rss#{rec['item_id']}")),
        "GSI1PK": store.inbox_index("new"),
        "GSI1SK": f"{rec['first_seen']}#{rec['item_id']}",
        "type": "mention",
        "source": "rss",
        "source_id": rec["item_id"],
        "status": "new",
        "author": rec.get("author"),
        "title": rec["title"],
        "text": rec.get("summary"),
        "link": rec.get("link"),
        "feed": rec["feed"],
        "feed_name": rec["feed_name"],
        "published": rec.get("published"),
        "received_at": rec["first_seen"],
        "brand_terms": rec.get("brand_terms"),
        "topics": rec.get("topics"),
        "competitors": rec.get("competitors"),
    }


def poll(config: Config, now: datetime | None = None, **kwargs: Any) -> PollReport:
    """Convenience: one poll with a fresh Poller."""
    poller = Poller(config)
    try:
        return poller.poll(now, **kwargs)
    finally:
        poller.close()
