"""Contests on real servers: replies on mastodon-mock and on the Bluesky PDS, a draw anyone
can recompute from what is published, archived in the bucket, never redrawn by accident."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from portevoix.contests import contest, draw
from portevoix.core import secrets, store
from portevoix.core.errors import ConfigError, ContestError
from portevoix.publishing import posts
from tests.helpers import make_config
from tests.integration.test_bluesky import create_account, pds  # noqa: F401 - the PDS fixture
from tests.integration.test_mastodon import as_user
from tests.unit.test_contests import rerun

BUCKET = "pv-data-test"


@pytest.fixture
def bucket(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("DATA_BUCKET", BUCKET)
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    yield s3


def dev_user(api: str, name: str) -> str:
    """A new account on the instance; its token."""
    resp = requests.post(api + "/api/v1/_mock/dev_user", json={"username": name}, timeout=10)
    resp.raise_for_status()
    return resp.json()["access_token"]


def reply(api: str, token: str, to: str, text: str) -> dict[str, Any]:
    return as_user(
        api, token, "POST", "/api/v1/statuses", json={"status": text, "in_reply_to_id": to}
    )


def declare(config: Any, post_id: str, ends: datetime, **spec: Any) -> dict[str, Any]:
    local = datetime.now(config.tz).replace(tzinfo=None, microsecond=0)
    data = {
        "title": "Gagnez un Urban 3",
        "posts": [post_id],
        "starts": local.isoformat(),
        "ends": ends.astimezone(config.tz).replace(tzinfo=None).isoformat(),
        "rules_url": "https://cyclia.example/reglement",
        **spec,
    }
    return contest.create(config, contest.parse(data, config), by="camille@brand.example")


def test_a_mastodon_contest_is_drawn_as_anyone_can_check(
    aws: Any, bucket: Any, api: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MASTO_TOKEN", "alice_token")
    secrets.forget()
    config = make_config(
        accounts=[
            {"network": "mastodon", "id": "masto", "instance": api, "secret": "env:MASTO_TOKEN"}
        ],
        inbox={"own_accounts": ["@alice"]},
        team=[{"email": "camille@brand.example", "handles": ["@carol"]}],
    )
    draft = posts.parse_draft(
        {"author": "camille@brand.example", "variants": {"masto": {"text": "Concours !"}}}, config
    )
    post = posts.create(config, draft)
    posts.publish_account(config, post["post_id"], "masto", attempt="1")
    status_id = store.get(*store.publication_key(post["post_id"], "masto"))["ref"]

    ends = datetime.now(UTC) + timedelta(seconds=4)
    c = declare(
        config,
        post["post_id"],
        ends,
        entry={"hashtag": "#Urban3", "tag_friends": 1},
        winners=2,
        substitutes=1,
        exclude=["@troll"],
    )
    assert c["commitment"] == draw.commitment(secrets.resolve(contest.seed_ref(c["contest_id"])))

    fans = {name: dev_user(api, name) for name in ("dave", "erin", "frank", "gina", "troll")}
    ok = "Je participe #Urban3 avec @ami"
    first = reply(api, "bob_token", status_id, ok)
    reply(api, "bob_token", status_id, ok + " (encore)")  # one entry per account
    reply(api, "carol_token", status_id, ok)  # the team's
    reply(api, "alice_token", status_id, "Merci à tous ! #Urban3 @bob")  # the brand's own
    reply(api, fans["dave"], status_id, "Je participe @ami")  # no hashtag
    reply(api, fans["erin"], status_id, "#Urban3 sans ami")  # nobody tagged
    for name in ("frank", "gina", "troll"):
        reply(api, fans[name], status_id, ok)
    assert c["committed_at"] <= first["created_at"][:19] + "Z"  # committed before any entry

    running = contest.collect(config)
    assert running["new"] == 9 and contest.get(c["contest_id"])["status"] == "open"
    assert contest.get(c["contest_id"])["eligible"] == 3  # bob, frank, gina (the live count)
    with pytest.raises(ContestError, match="draw after that"):
        contest.run_draw(config, c["contest_id"], by="camille@brand.example")

    time.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()) + 1.1)
    late = reply(api, dev_user(api, "hank"), status_id, ok)  # after the end
    assert late["created_at"] > ends.isoformat()[:19]
    closing = contest.collect(config, now=ends + timedelta(hours=1, seconds=1))
    assert closing["new"] == 1 and contest.get(c["contest_id"])["status"] == "closed"

    result = contest.run_draw(config, c["contest_id"], by="camille@brand.example")
    public = contest.published(contest.get(c["contest_id"]))
    assert {w["handle"] for w in result["winners"] + result["substitutes"]} == {
        "@bob",
        "@frank",
        "@gina",
    }
    reasons = sorted(x["reason"] for x in public["excluded"])
    assert reasons == sorted(
        ["duplicate", "team", "own", "hashtag:urban3", "tags:0:1", "excluded", "after"]
    )
    assert "@bob" not in json.dumps(public)  # pseudonyms only in what is published
    bob = draw.pseudonym(public["salt"], "mastodon", "bob")
    assert bob in public["eligible"]  # bob finds himself from his own handle

    # An independent script, only the standard library, finds the same winners.
    assert rerun(tmp_path, public) == {
        "winners": public["winners"],
        "substitutes": public["substitutes"],
    }

    # Drawing again gives the same draw; a redraw needs a reason, and is the second one.
    again = contest.run_draw(config, c["contest_id"], by="alex@brand.example")
    assert again == result
    with pytest.raises(ContestError, match="needs a reason"):
        contest.run_draw(config, c["contest_id"], by="alex@brand.example", redraw=True)
    second = contest.run_draw(
        config,
        c["contest_id"],
        by="alex@brand.example",
        redraw=True,
        reason="un gagnant injoignable",
    )
    republished = contest.published(contest.get(c["contest_id"]))
    assert second["n"] == 2 and republished["draw"] == 2 and republished["reason"]
    assert draw.verify(republished)

    # Each winner of the standing draw is answered under their entry, once.
    told = contest.message_winners(config, c["contest_id"], by="camille@brand.example")
    assert told["sent"] == [w["handle"] for w in second["winners"]] and not told["failed"]
    for winner in second["winners"]:
        thread = as_user(api, "bob_token", "GET", f"/api/v1/statuses/{winner['ref']}/context")
        assert any("vous avez gagné" in s["content"] for s in thread["descendants"])
    again = contest.message_winners(config, c["contest_id"], by="camille@brand.example")
    assert again["sent"] == [] and again["skipped"] == told["sent"]

    # The legal record: both draws in the bucket, the entries with handles and reasons.
    keys = {o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]}
    base = f"contests/{c['contest_id']}/draw-"
    assert {
        f"{base}1.json",
        f"{base}1-entries.csv",
        f"{base}2.json",
        f"{base}2-entries.csv",
    } <= keys
    rows = bucket.get_object(Bucket=BUCKET, Key=f"{base}1-entries.csv")["Body"].read().decode()
    assert "'@troll" in rows and "exclu par le règlement" in rows and rows.count("eligible") == 3


def test_a_contest_cannot_start_in_the_past_or_end_before_it_starts(aws: Any) -> None:
    config = make_config(
        accounts=[
            {
                "network": "mastodon",
                "id": "masto",
                "instance": "https://m.example",
                "secret": "env:M",
            }
        ]
    )
    past = (datetime.now(config.tz) - timedelta(days=1)).replace(tzinfo=None)
    with pytest.raises(ConfigError) as exc:
        contest.parse(
            {
                "title": "T",
                "posts": ["masto:1", "nowhere:2"],
                "starts": past.isoformat(),
                "ends": (past - timedelta(hours=1)).isoformat(),
                "rules_url": "https://cyclia.example/r",
            },
            config,
        )
    assert exc.value.problems == [
        "ends: must be after starts",
        "starts: already past; the commitment must be published before the first entry",
        "posts[1]: no account 'nowhere' (known: ['masto'])",
    ]


def test_bluesky_entries_and_reposts_are_read_from_the_pds(
    aws: Any,
    bucket: Any,
    pds: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without an AppView the PDS's own repos are read: replies and reposts of the post."""
    from portevoix.networks import Variant, build

    brand = create_account(pds, "brand")
    monkeypatch.setenv("BSKY_APP_PASSWORD", brand["password"])
    secrets.forget()
    config = make_config(
        accounts=[
            {
                "network": "bluesky",
                "id": "bsky",
                "service": pds,
                "handle": brand["handle"],
                "secret": "env:BSKY_APP_PASSWORD",
            }
        ]
    )
    net = build(config.accounts[0], config)
    post = net.publish(Variant(text="Concours : répondez avec #Urban3"), key="contest-bsky")
    ends = datetime.now(UTC) + timedelta(days=1)
    c = declare(config, f"bsky:{post.ref}", ends, entry={"hashtag": "#Urban3", "repost": True})

    def session(account: dict[str, Any]) -> dict[str, Any]:
        return requests.post(
            f"{pds}/xrpc/com.atproto.server.createSession",
            json={"identifier": account["handle"], "password": account["password"]},
            timeout=30,
        ).json()

    def create(account: dict[str, Any], collection: str, record: dict[str, Any]) -> None:
        s = session(account)
        requests.post(
            f"{pds}/xrpc/com.atproto.repo.createRecord",
            json={"repo": s["did"], "collection": collection, "record": record},
            headers={"Authorization": f"Bearer {s['accessJwt']}"},
            timeout=30,
        ).raise_for_status()

    strong = {"uri": post.ref, "cid": net._strong_ref(post.ref)["cid"]}
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    fans = [create_account(pds, name) for name in ("ana", "ben")]
    for fan in fans:
        create(
            fan,
            "app.bsky.feed.post",
            {
                "$type": "app.bsky.feed.post",
                "text": "Je participe #Urban3",
                "createdAt": now,
                "reply": {"root": strong, "parent": strong},
            },
        )
    create(
        fans[0],
        "app.bsky.feed.repost",
        {"$type": "app.bsky.feed.repost", "subject": strong, "createdAt": now},
    )
    result = contest.collect(config)
    assert result["failed"] == [] and result["new"] == 2
    stored = contest.entries(c["contest_id"])
    assert sorted(e["handle"] for e in stored) == sorted("@" + f["handle"] for f in fans)
    assert contest.get(c["contest_id"])["eligible"] == 1  # ben did not repost
