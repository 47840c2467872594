"""The engagement collector: numbers read back from the networks onto the ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portevoix.core import store
from portevoix.networks import Metrics, RateLimited, TransientError
from portevoix.reporting import engagement, report
from tests.helpers import make_config
from tests.integration.test_mastodon import as_user, mastodon
from tests.integration.test_report import publication


def test_likes_and_boosts_read_from_mastodon(
    aws: Any, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = mastodon(api, monkeypatch)
    from portevoix.networks import Variant

    post = net.publish(Variant(text="La v2 est là"), key="p1:mastodon")
    as_user(api, "bob_token", "POST", f"/api/v1/statuses/{post.ref}/favourite")
    as_user(api, "carol_token", "POST", f"/api/v1/statuses/{post.ref}/favourite")
    as_user(api, "bob_token", "POST", f"/api/v1/statuses/{post.ref}/reblog")
    now = datetime.now(UTC)
    config = make_config(
        accounts=[{"network": "mastodon", "instance": api, "secret": "env:MASTO_TOKEN"}]
    )
    rows = publication(
        "p1",
        "mastodon",
        "mastodon",
        (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        None,
        "La v2",
    )
    rows[1]["ref"] = post.ref
    store.batch_put(rows)
    done = engagement.collect(config, now)
    assert (done.posts, done.read, done.failed) == (1, 1, [])
    entry = store.get("POST#p1", "PUB#mastodon")
    assert entry["metrics"] == {"likes": 2, "shares": 1, "replies": 0}
    fig = report.collect(config, report.Week.containing(now, config.tz))
    assert fig.posts[0]["engagement"] == 3


class Scripted:
    """A network whose answers a test writes: a metrics object or an exception per ref."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def metrics(self, ref: str) -> Metrics:
        self.asked.append(ref)
        answer = self.answers[ref]
        if isinstance(answer, Exception):
            raise answer
        return answer


def seed(account: str, network: str, refs: list[str], now: datetime) -> None:
    for i, ref in enumerate(refs):
        rows = publication(
            ref,
            account,
            network,
            (now - timedelta(hours=i + 1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            None,
            ref,
        )
        store.batch_put(rows)


def test_one_failing_post_does_not_stop_the_others(aws: Any) -> None:
    now = datetime.now(UTC)
    config = make_config(
        accounts=[
            {"network": "mastodon", "id": "m", "instance": "https://m.example", "secret": "env:M"}
        ]
    )
    seed("m", "mastodon", ["a", "b", "c"], now)
    net = Scripted(
        {
            "a": Metrics("a", likes=4),
            "b": TransientError("m", "HTTP 502"),
            "c": Metrics("c", likes=1, views=9),
        }
    )
    done = engagement.collect(config, now, networks={"m": net})
    assert done.read == 2 and [f["post"] for f in done.failed] == ["b"]
    assert store.get("POST#a", "PUB#m")["metrics"] == {"likes": 4}
    assert store.get("POST#c", "PUB#m")["metrics"] == {"likes": 1, "views": 9}
    assert "502" in store.get("POST#b", "PUB#m")["metrics_error"]


def test_a_rate_limit_stops_the_account_and_keeps_what_was_read(aws: Any) -> None:
    now = datetime.now(UTC)
    config = make_config(
        accounts=[
            {"network": "mastodon", "id": "m", "instance": "https://m.example", "secret": "env:M"}
        ]
    )
    seed("m", "mastodon", ["a", "b"], now)  # read oldest first: b, then a
    store.update("POST#a", "PUB#m", {"metrics": {"likes": 7}})
    net = Scripted({"b": RateLimited("m", 60), "a": Metrics("a", likes=8)})
    done = engagement.collect(config, now, networks={"m": net})
    assert net.asked == ["b"] and done.read == 0  # the account waits for the next run
    assert "rate limited" in done.failed[0]["error"]
    assert store.get("POST#a", "PUB#m")["metrics"] == {"likes": 7}  # the older numbers stay


def test_old_posts_and_networks_without_metrics_are_not_asked(aws: Any) -> None:
    now = datetime.now(UTC)
    config = make_config(
        accounts=[
            {"network": "mastodon", "id": "m", "instance": "https://m.example", "secret": "env:M"},
            {"network": "webhook", "id": "slack", "secret": "env:W"},
        ],
        report={"metrics_days": 2},
    )
    store.batch_put(
        publication(
            "old",
            "m",
            "mastodon",
            (now - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            None,
            "old",
        )
    )
    seed("slack", "webhook", ["note"], now)
    net = Scripted({})
    done = engagement.collect(config, now, networks={"m": net})
    assert net.asked == [] and done.unavailable == ["slack"] and done.read == 0
