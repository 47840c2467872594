"""A feed's backoff and due rules, without any table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portevoix.core.timeutil import iso
from portevoix.listening import feedstate

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
URL = "https://blog.example/feed"


def fail(state: dict, times: int, retry_after: float | None = None) -> dict:
    for _ in range(times):
        state = feedstate.failed(
            state,
            "HTTP 503",
            NOW,
            interval_minutes=15,
            max_backoff_hours=6,
            retry_after=retry_after,
        )
    return state


def test_each_failure_doubles_the_wait_up_to_the_cap() -> None:
    waits = [fail({"url": URL}, n)["retry_at"] for n in range(1, 7)]
    assert waits == [
        iso(NOW + timedelta(minutes=m)) for m in (15, 30, 60, 120, 240, 360)
    ]  # 480 min would pass the 6-hour cap


def test_a_longer_retry_after_is_honoured_a_shorter_one_is_not() -> None:
    assert fail({"url": URL}, 1, retry_after=3600)["retry_at"] == iso(NOW + timedelta(hours=1))
    assert fail({"url": URL}, 1, retry_after=60)["retry_at"] == iso(NOW + timedelta(minutes=15))


def test_a_feed_backing_off_is_not_due_then_is() -> None:
    state = fail({"url": URL}, 2)
    reason = feedstate.not_due(URL, state, NOW + timedelta(minutes=10), scheduled=True)
    assert reason and "backing off" in reason and "2 failure(s)" in reason
    assert feedstate.not_due(URL, state, NOW + timedelta(minutes=30), scheduled=True) is None
    # A changed URL is a new feed: due at once, its old failures forgotten.
    assert feedstate.not_due("https://blog.example/new", state, NOW, scheduled=True) is None


def test_success_forgets_failures_and_sets_the_next_poll() -> None:
    state = feedstate.succeeded(fail({"url": URL, "etag": '"x"'}, 3), NOW, 60)
    assert state == {"url": URL, "etag": '"x"', "next_poll_at": iso(NOW + timedelta(hours=1))}
    assert feedstate.not_due(URL, state, NOW + timedelta(minutes=30), scheduled=True)
    assert feedstate.not_due(URL, state, NOW + timedelta(minutes=30), scheduled=False) is None


def test_ids_seen_last_time_are_skipped() -> None:
    ids = [f"{n:012x}{n:020x}" for n in range(5)]
    state = {"url": URL, "seen": feedstate.remember(ids[:3])}
    assert feedstate.unseen(ids, state, same=True) == set(ids[3:])
    assert feedstate.unseen(ids, state, same=False) == set(ids)
    assert len(feedstate.remember([f"{n:032x}" for n in range(1000)])) == feedstate.SEEN_MAX
