"""Polls: created as each network documents them, checked by the charter, results read back."""

from __future__ import annotations

from typing import Any

import pytest

from portevoix.networks import Media, Poll, Variant
from portevoix.publishing import charter
from tests.fakes import FakeLinkedIn, FakeX
from tests.helpers import accounts, make_config
from tests.integration.test_mastodon import as_user
from tests.integration.test_platforms import PLATFORMS, client
from tests.integration.test_workflow import flow  # noqa: F401 - the workflow fixture

QUESTION = "Quelle couleur pour l'Urban 3 ?"
CHOICES = ["Sable", "Ardoise", "Vert d'eau"]


def test_an_x_poll_is_created_and_its_votes_read(monkeypatch: pytest.MonkeyPatch) -> None:
    p = next(p for p in PLATFORMS if p.name == "x")
    with FakeX() as fake:
        net = client(p, fake.url, monkeypatch)
        post = net.publish(Variant(text=QUESTION, poll=Poll(CHOICES, 1440)), key="poll-1")
        (call,) = fake.calls("POST", r"/2/tweets")
        assert call.json["poll"] == {"options": CHOICES, "duration_minutes": 1440}
        tweet = fake.tweets[0]
        for option, votes in zip(tweet["poll"]["options"], (12, 30, 8), strict=True):
            option["votes"] = votes
        assert net.poll_results(post.ref).options == list(zip(CHOICES, (12, 30, 8), strict=True))
        tweet["poll"]["voting_status"] = "closed"
        assert net.poll_results(post.ref).closed


def test_a_linkedin_poll_has_its_question_and_a_documented_duration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = next(p for p in PLATFORMS if p.name == "linkedin")
    with FakeLinkedIn() as fake:
        net = client(p, fake.url, monkeypatch)
        post = net.publish(
            Variant(text="Votez !", poll=Poll(CHOICES, 4320, QUESTION)), key="poll-li"
        )
        poll = fake.posts[0]["content"]["poll"]
        assert poll["question"] == QUESTION and poll["settings"] == {"duration": "THREE_DAYS"}
        for option, votes in zip(poll["options"], (3, 4, 1), strict=True):
            option["voteCount"] = votes
        poll["uniqueVotersCount"] = 8
        result = net.poll_results(post.ref)
        assert result.options == list(zip(CHOICES, (3, 4, 1), strict=True))
        assert result.voters == 8 and not result.closed  # three days to go


def test_a_mastodon_poll_counts_real_votes(api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from portevoix.core import secrets
    from portevoix.networks import build

    monkeypatch.setenv("MASTO_TOKEN", "alice_token")
    secrets.forget()
    config = make_config(
        accounts=[
            {"network": "mastodon", "id": "masto", "instance": api, "secret": "env:MASTO_TOKEN"}
        ]
    )
    net = build(config.accounts[0], config)
    post = net.publish(Variant(text=QUESTION, poll=Poll(CHOICES, 60)), key="poll-m")
    poll = as_user(api, "bob_token", "GET", f"/api/v1/statuses/{post.ref}")["poll"]
    assert [o["title"] for o in poll["options"]] == CHOICES
    as_user(api, "bob_token", "POST", f"/api/v1/polls/{poll['id']}/votes", json={"choices": ["1"]})
    as_user(
        api, "carol_token", "POST", f"/api/v1/polls/{poll['id']}/votes", json={"choices": ["1"]}
    )
    result = net.poll_results(post.ref)
    assert result.options == [("Sable", 0), ("Ardoise", 2), ("Vert d'eau", 0)]
    assert not result.closed


@pytest.mark.parametrize(
    ("network", "poll", "media", "expected"),
    [
        ("bluesky", Poll(["a", "b"]), False, "this network has no polls"),
        ("x", Poll(["Sable", "Un vert d'eau très très doux"]), False, "must be 1 to 25 characters"),
        ("x", Poll(["Seul"]), False, "2 to 4 are needed"),
        ("linkedin", Poll(["a", "b"], 2880, "Q ?"), False, "this network offers 1, 3, 7, 14 days"),
        ("mastodon", Poll(["a", "A "]), False, "two choices are the same"),
        ("mastodon", Poll(["a", "b"]), True, "a poll cannot come with media"),
    ],
)
def test_the_charter_refuses_what_the_network_would(
    network: str, poll: Poll, media: bool, expected: str
) -> None:
    config = make_config(accounts=accounts("masto"))
    variant = Variant(
        text="Votez",
        poll=poll,
        media=[Media(url="https://cdn.example/a.jpg", mime="image/jpeg")] if media else [],
    )
    errors = [f for f in charter.check(config, network, variant) if f.rule == "poll"]
    assert errors and errors[0].level == "error" and any(expected in f.en for f in errors)


def test_poll_results_are_read_daily_until_closed_and_shown_with_percentages(
    flow: dict[str, Any],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from portevoix.core import runtime, secrets
    from portevoix.publishing import polls, posts
    from tests.integration.test_workflow import approve, wait_for

    monkeypatch.setenv("X_TOKEN", FakeX.TOKEN)
    secrets.forget()
    flow["configure"](accounts=["x"])
    config = runtime.config()
    draft = posts.parse_draft(
        {
            "author": "camille@brand.example",
            "title": "Sondage couleurs",
            "variants": {"x": {"text": QUESTION, "poll": {"options": CHOICES, "minutes": 60}}},
        },
        config,
    )
    post = posts.create(config, draft)
    post["execution_arn"] = posts.start(post, flow["arn"])
    approve(flow, post)
    assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
    tweet = flow["x"].tweets[0]
    assert tweet["poll"]["duration_minutes"] == 60
    for option, votes in zip(tweet["poll"]["options"], (1, 3, 0), strict=True):
        option["votes"] = votes
    assert polls.collect(config)["read"] == 1
    shown = polls.results(post["post_id"], ["x"])["x"]
    assert [(o["label"], o["votes"], o["pct"]) for o in shown["options"]] == [
        ("Sable", 1, 25),
        ("Ardoise", 3, 75),
        ("Vert d'eau", 0, 0),
    ]
    assert not shown["closed"]
    tweet["poll"]["voting_status"] = "closed"
    polls.collect(config)
    before = len(flow["x"].calls("GET", r"/2/tweets/\d+"))
    assert polls.collect(config)["read"] == 0  # closed: never asked again
    assert len(flow["x"].calls("GET", r"/2/tweets/\d+")) == before
    assert polls.results(post["post_id"], ["x"])["x"]["closed"]
    from portevoix.core.timeutil import parse_iso
    from portevoix.reporting import report
    from portevoix.reporting.week import Week

    ends = parse_iso(posts.ledger(post["post_id"])["x"]["poll_ends_at"])
    built = report.build(config, Week.containing(ends, config.tz))
    (listed,) = built.current.polls
    assert listed["title"] == "Sondage couleurs" and listed["total"] == 4
    text = report.render(config, built, "en").text
    assert "Polls that ended" in text and "Ardoise: 3 (75 %)" in text
