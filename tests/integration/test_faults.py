"""AWS's own faults, injected mid-run: the next run completes the work, nothing is doubled.

A fault is an AWS error answer to the N-th write (as after botocore's own retries gave up):
DynamoDB throttling or a 500, SES throttling or MessageRejected. Each run that met a fault is
followed by a clean run; the table (and the outbox) must then equal a run that met no fault.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portevoix.core import store
from portevoix.publishing import posts
from tests.helpers import make_config, rss
from tests.integration import test_moderation, test_workflow

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
flow = test_workflow.flow  # the publish state machine run by moto, with the real tasks
graph = test_moderation.graph  # a Facebook Page whose comments can be hidden, an archive bucket
WRITES = ("PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems", "DeleteItem")
# When a run stored something is not what it stored: an item the recovering run stores
# carries that run's time (its index key, first seen, expiry).
VOLATILE = {
    "GSI1SK",
    "GSI2SK",
    "first_seen",
    "received_at",
    "expires_at",
    "seen_at",
    "counted_batches",  # which runs' batches an hour holds: their ids differ, not their sum
}


class Killed(BaseException):
    """Lambda ended the run (its time ran out): nothing after this point runs, no handler."""


@contextmanager
def fault(
    service: str,
    operations: tuple[str, ...] | None,
    at: int,
    code: str = "",
    status: int = 0,
    only: Callable[[], bool] | None = None,
) -> Iterator[list[str]]:
    """Answer the ``at``-th call of ``operations`` (None: any) with ``code`` (later calls go
    through); no ``code``: end the run there (``Killed``). ``only``: count the calls for which
    it is true (made by the workflow's tasks, say)."""
    from portevoix.core import aws

    client = aws.client(service)
    seen: list[str] = []

    def answer(model: Any, **_: Any) -> Any:
        if (operations and model.name not in operations) or (only and not only()):
            return None
        seen.append(model.name)
        if len(seen) != at:
            return None
        if not code:
            raise Killed(f"timed out before {model.name}")
        from botocore.awsrequest import AWSResponse

        response = AWSResponse("https://aws.example", status, {}, None)
        return response, {
            "Error": {"Code": code, "Message": f"injected {code}"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }

    event = f"before-call.{client.meta.service_model.endpoint_prefix}.*"
    client.meta.events.register(event, answer)
    try:
        yield seen
    finally:
        client.meta.events.unregister(event, answer)


def snapshot() -> dict[tuple[str, str], dict[str, Any]]:
    """The table as a reader sees it (no feed bookkeeping, no timestamps)."""
    from portevoix.core import aws

    out = {}
    pages = aws.client("dynamodb").get_paginator("scan").paginate(TableName=store.table_name())
    for page in pages:
        for raw in page["Items"]:
            item = store.from_ddb(raw)
            if item["PK"].startswith(("FEED#", "MARKER#", "LOCK#")):
                continue
            out[(item["PK"], item["SK"])] = {k: v for k, v in item.items() if k not in VOLATILE}
    return out


def use_table(name: str) -> None:
    import os

    from portevoix.core import aws
    from portevoix_local.stack import create_table

    os.environ["TABLE_NAME"] = name
    if name not in aws.client("dynamodb").list_tables()["TableNames"]:
        create_table(name)


def whole_run(config: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """The table two faultless polls leave, in a table of its own."""
    from portevoix.listening.poller import poll

    use_table("reference")
    poll(config, NOW)
    poll(config, NOW + timedelta(minutes=15))
    return snapshot()


def feeds(server: Any) -> Any:
    entries = [
        (f"Porte-voix, nouvelle {i}" if i % 3 == 0 else f"Article {i}", f"https://news.example/{i}")
        for i in range(150)
    ]  # 151 items in two batches, 51 mentions
    server.set("/a.rss", rss(entries[:75], at=NOW.timestamp()))
    server.set("/b.rss", rss(entries[75:], at=NOW.timestamp()))
    server.set("/c.rss", rss([("Hootsuite et Porte-voix", "https://blog.example/1")]))
    return make_config(
        feeds=[{"id": f, "url": server.url(f"/{f}.rss")} for f in ("a", "b", "c")],
        competitors=[{"name": "Hootsuite"}],
    )


@pytest.mark.parametrize(
    "code,status", [("ProvisionedThroughputExceededException", 400), ("InternalServerError", 500)]
)
# The writes of the first run: a batch's pending record, its counters, its mentions and items
# (BatchWrite chunks of 25), the next batch's, the feed states, then the pending records
# removed. Every write is a place the run can stop.
@pytest.mark.parametrize("at", list(range(1, 17)))
def test_a_poll_that_meets_a_table_fault_is_completed_by_the_next_one(
    aws: Any, feed_server: Any, monkeypatch: pytest.MonkeyPatch, at: int, code: str, status: int
) -> None:
    from portevoix.listening.poller import poll

    monkeypatch.setenv("TABLE_NAME", "portevoix-test")
    config = feeds(feed_server)
    expected = whole_run(config)

    use_table("faulty")
    with fault("dynamodb", WRITES, at, code, status) as seen:
        try:
            poll(config, NOW)
        except Exception:  # noqa: BLE001 - a run may stop on the fault: the next one must recover
            pass
    assert len(seen) >= at  # the fault was met
    poll(config, NOW + timedelta(minutes=15))
    assert snapshot() == expected


# Every table call of the first run: the feeds' states, the pending batches, each batch's new
# items looked up, its pending record, counts, mentions and items, the states, the clean-up.
@pytest.mark.parametrize("at", list(range(1, 22)))
def test_a_poll_whose_time_runs_out_is_completed_by_the_next_one(
    aws: Any, feed_server: Any, monkeypatch: pytest.MonkeyPatch, at: int
) -> None:
    from portevoix.listening.poller import poll

    monkeypatch.setenv("TABLE_NAME", "portevoix-test")
    config = feeds(feed_server)
    expected = whole_run(config)

    use_table("killed")
    with fault("dynamodb", None, at) as seen, pytest.raises(Killed):
        poll(config, NOW)
    assert len(seen) == at
    poll(config, NOW + timedelta(minutes=15))  # the next scheduled run, in a fresh container
    assert snapshot() == expected


def test_a_poll_near_its_end_leaves_what_it_has_no_time_for_to_the_next_run(
    aws: Any, feed_server: Any, chaos: Any, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run stops fetching before Lambda's limit (its remaining time less what the slowest
    fetch and the networks can take): the feeds after a slow one and the network accounts are
    skipped, said so, and read by the next run as if nothing happened."""
    import time

    from portevoix.listening.poller import poll
    from tests.helpers import respond
    from tests.integration.test_mastodon import as_user

    monkeypatch.setenv("TABLE_NAME", "portevoix-test")
    monkeypatch.setenv("MASTO_TOKEN", "alice_token")

    def slow(handler: Any) -> None:
        time.sleep(2.0)
        respond(
            handler, 200, rss([("Porte-voix, lente", "https://slow.example/1")], at=NOW.timestamp())
        )

    chaos.routes["/slow.rss"] = slow
    given = feeds(feed_server)
    config = make_config(
        feeds=[
            {"id": "a", "url": given.feeds[0].url},
            {"id": "slow", "url": chaos.url("/slow.rss")},
            *({"id": f.key, "url": f.url} for f in given.feeds[1:]),
        ],
        fetch={"concurrency": 1},  # one after the other: the order decides who waits
        accounts=[
            {"network": "mastodon", "id": "masto", "instance": api, "secret": "env:MASTO_TOKEN"}
        ],
    )
    as_user(api, "bob_token", "POST", "/api/v1/statuses", json={"status": "@alice Porte-voix ?"})
    expected = whole_run(config)

    use_table("short")
    first = poll(config, NOW, budget_seconds=1.0).to_dict()
    assert {s["feed"] for s in first["skipped"]} == {"b", "c", "account:masto"}
    assert all("next time" in s["reason"] for s in first["skipped"])
    assert first["network_mentions"] == 0
    second = poll(config, NOW + timedelta(minutes=15)).to_dict()
    assert second["skipped"] == [] and second["network_mentions"] == 1
    assert snapshot() == expected


def sent_to() -> list[str]:
    """Every recipient of every email SES accepted, as often as it did."""
    from tests.integration.test_digest import sent_messages

    return sorted(a.strip() for m in sent_messages() for a in m["To"].split(","))


TEAM = [{"email": f"fr{i}@brand.example", "language": "fr"} for i in range(12)] + [
    {"email": "en@brand.example", "language": "en"}
]  # three messages: French in two (10 recipients a message here), English in one


@pytest.mark.parametrize(
    "code,status", [("Throttling", 400), ("ServiceUnavailable", 503), ("MessageRejected", 400)]
)
@pytest.mark.parametrize("at", [1, 2, 3])
@pytest.mark.parametrize("what", ["digest", "report"])
def test_an_email_run_that_meets_an_ses_fault_is_finished_once_by_its_retry(
    aws: Any, monkeypatch: pytest.MonkeyPatch, what: str, at: int, code: str, status: int
) -> None:
    from portevoix.core import mail
    from portevoix.reporting import digest, report

    monkeypatch.setattr(mail, "MAX_RECIPIENTS", 10)  # SES's 50, smaller to need three

    config = make_config(team=TEAM)

    def run() -> Any:
        if what == "digest":
            return digest.send(config, NOW, once_per_day=True)
        return report.send(config, None, NOW, once=True)

    with (
        fault("ses", ("SendRawEmail",), at, code, status) as seen,
        pytest.raises(Exception, match=code),
    ):
        run()
    assert len(seen) == at
    run()  # the schedule's retry
    assert run() == []  # and any later one: nothing more
    assert sent_to() == sorted(m["email"] for m in TEAM)  # everyone once


ANGRY = [
    "Colis jamais arrivé, service client injoignable, je suis furieux !",
    "Remboursement refusé, c'est une honte, plus jamais chez vous",
    "Votre vélo est tombé en panne au bout d'une semaine, arnaque",
]


@pytest.mark.parametrize(
    "code,status", [("ThrottlingException", 400), ("InternalServerError", 500)]
)
@pytest.mark.parametrize("at", [1, 2, 3, 4, 5, 6])
def test_a_stream_batch_that_meets_a_table_fault_is_finished_by_its_redelivery(
    aws: Any, at: int, code: str, status: int
) -> None:
    """Each record a fault fails is delivered again (what the stream's partial batch failure
    does): every message filed once, every negative one counted once in its hour."""
    from portevoix.inbox import filing

    config = make_config()
    received = NOW.isoformat().replace("+00:00", "Z")
    mentions = [
        store.with_key(
            store.mention_key(f"rss#angry{i}"),
            type="mention",
            source="rss",
            source_id=f"angry{i}",
            status="new",
            title=text,
            text=text,
            received_at=received,
            GSI1PK=store.inbox_index("new"),
            GSI1SK=f"{received}#angry{i}",
        )
        for i, text in enumerate(ANGRY)
    ]

    def deliver(table: str, at: int | None = None) -> None:
        use_table(table)
        store.batch_put(mentions)
        failed = []
        with fault("dynamodb", WRITES, at or 10**6, code, status) as seen:
            for mention in mentions:
                try:
                    filing.handle_new(config, dict(mention), NOW, alert=False)
                except Exception:  # noqa: BLE001 - the record is reported failed, redelivered
                    failed.append(mention)
        if at:
            assert len(seen) >= at and failed  # the fault was met
        for mention in failed:
            filing.handle_new(config, dict(mention), NOW, alert=False)

    deliver("reference")
    expected = snapshot()
    assert store.read_counts(NOW, NOW + timedelta(hours=1))[NOW]["negative"] == 3
    deliver("faulty", at)
    assert snapshot() == expected


# --------------------------------------------------------------------------
# The publish workflow: moto's Step Functions runs the real state machine and tasks


def workflow_thread() -> bool:
    """Whether this call comes from the state machine's tasks (not the test, not the page)."""
    import threading

    return threading.current_thread() is not threading.main_thread()


def post_emails() -> dict[tuple[str, str], int]:
    """How many emails each recipient received, by subject."""
    from tests.integration.test_digest import sent_messages

    found: dict[tuple[str, str], int] = {}
    for msg in sent_messages():
        found[(msg["To"], str(msg["Subject"]))] = found.get((msg["To"], str(msg["Subject"])), 0) + 1
    return found


# The tasks' writes: the check (the post, the calendar's version), the approval request (the
# links, the post, the version, the email's marker), the publication (the post, the version,
# the ledger's claim and entry) and the report (the post, the version, a marker a language).
@pytest.mark.parametrize("at", list(range(1, 15)))
def test_a_post_whose_workflow_meets_a_table_fault_is_still_published_once(
    flow: dict[str, Any], at: int
) -> None:
    """A throttling (odd points) or a 500 (even ones) at each table write the workflow's tasks
    make, from the charter's check to the report: the task is retried (AwsTransient), the post
    goes out once, each email once."""
    from tests.integration.test_workflow import approve, submit, wait_for

    code, status = [("InternalServerError", 500), ("ProvisionedThroughputExceededException", 400)][
        at % 2
    ]
    flow["configure"]()
    with fault("dynamodb", WRITES, at, code, status, only=workflow_thread) as seen:
        post = submit(flow)
        approve(flow, post)
        assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
    assert len(seen) >= at  # the fault was met
    assert published_once(flow, post)
    assert post_emails() == ONE_EACH


def published_once(flow: dict[str, Any], post: dict[str, Any]) -> bool:
    """One status on the network, the post published, its ledger pointing at that status."""
    from tests.integration.test_mastodon import alice_statuses

    (status,) = alice_statuses(flow["api"])
    entry = posts.ledger(post["post_id"])["masto"]
    final = posts.get(post["post_id"])
    return (
        final["status"] == "published"
        and entry["status"] == "published"
        and entry["url"] == status["url"]
        and [r["url"] for r in final["results"]] == [status["url"]]
    )


ONE_EACH = {
    ("alex@brand.example", "[Porte-voix] To approve: Lancement v2"): 1,
    ("alex@brand.example", "[Porte-voix] Published: Lancement v2"): 1,
    ("camille@brand.example", "[Porte-voix] Publiée : Lancement v2"): 1,
}


@pytest.mark.parametrize("at", [1, 2, 3])
@pytest.mark.parametrize("code,status", [("Throttling", 400), ("ServiceUnavailable", 503)])
def test_a_post_whose_workflow_meets_an_ses_fault_is_still_published_once(
    flow: dict[str, Any], at: int, code: str, status: int
) -> None:
    """SES throttled or unavailable at the approval request, the report to the author, the
    report to the approver: each email once, the post once."""
    from tests.integration.test_workflow import approve, submit, wait_for

    flow["configure"]()
    with fault("ses", ("SendRawEmail",), at, code, status, only=workflow_thread) as seen:
        post = submit(flow)
        approve(flow, post)
        assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
    assert len(seen) >= at
    assert published_once(flow, post)
    assert post_emails() == ONE_EACH


def test_a_notice_ses_refuses_does_not_stop_the_post_and_is_shown_on_it(
    flow: dict[str, Any],
) -> None:
    """MessageRejected for the author's "published" email (SES's sandbox, a dead address):
    the post is still published once, the approver still told, the refusal kept on the post."""
    from tests.integration.test_mastodon import alice_statuses
    from tests.integration.test_workflow import approve, submit, wait_for

    flow["configure"]()
    # the third email: the approval request, the approver's report, then the author's
    with fault("ses", ("SendRawEmail",), 3, "MessageRejected", 400, only=workflow_thread):
        post = submit(flow)
        approve(flow, post)
        assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
    assert len(alice_statuses(flow["api"])) == 1
    final = posts.get(post["post_id"])
    assert final["status"] == "published"
    (refusal,) = final["notice_errors"]
    assert refusal["to"] == "camille@brand.example" and "MessageRejected" in refusal["error"]
    assert post_emails() == {k: v for k, v in ONE_EACH.items() if k[0] != "camille@brand.example"}


def test_a_post_no_approver_can_be_emailed_fails_visibly_and_publishes_nothing(
    flow: dict[str, Any],
) -> None:
    """SES refuses the only approver's email: nobody could approve, so the run fails (the
    failed-runs queue and `doctor` show it) and the post says which email was refused."""
    from tests.integration.test_mastodon import alice_statuses
    from tests.integration.test_workflow import submit, wait_for

    flow["configure"]()
    with fault("ses", ("SendRawEmail",), 1, "MessageRejected", 400, only=workflow_thread):
        post = submit(flow)
        assert wait_for(post["execution_arn"])["status"] == "FAILED"
    assert alice_statuses(flow["api"]) == []
    (refusal,) = posts.get(post["post_id"])["notice_errors"]
    assert refusal["to"] == "alex@brand.example" and refusal["what"] == "post.approval"


@pytest.mark.parametrize("code,status", [("ThrottlingException", 400), ("ServiceUnavailable", 503)])
def test_an_approval_step_functions_does_not_take_can_be_given_again(
    flow: dict[str, Any], code: str, status: int
) -> None:
    """SendTaskSuccess throttled: the approver is told nothing was recorded and the form is
    still there; the second click publishes, once."""
    from tests.integration.test_mastodon import alice_statuses
    from tests.integration.test_workflow import approval_link, form_token, http, submit, wait_for

    flow["configure"]()
    post = submit(flow)
    link = approval_link("alex@brand.example", post)
    token = form_token(http("GET", link)["body"])
    with fault("stepfunctions", ("SendTaskSuccess",), 1, code, status):
        first = http("POST", link, {"form_token": token, "decision": "approve"}, lang="en")
    assert first["statusCode"] == 503 and "nothing was recorded" in first["text"]
    assert posts.get(post["post_id"])["status"] == "awaiting_approval"
    again = http("POST", link, {"form_token": form_token(first["body"]), "decision": "approve"})
    assert again["statusCode"] == 200
    assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
    assert len(alice_statuses(flow["api"])) == 1


def test_an_approval_after_the_workflow_timed_out_publishes_nothing(flow: dict[str, Any]) -> None:
    """The request expired while the approver's page was open: SendTaskSuccess refuses the
    token (the wait is over), the page says so, the post is expired, nothing goes out."""
    from tests.integration.test_mastodon import alice_statuses
    from tests.integration.test_workflow import approval_link, form_token, http, submit, wait_for

    flow["configure"](timeout=2)
    post = submit(flow)
    link = approval_link("alex@brand.example", post)
    token = form_token(http("GET", link)["body"])
    assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"  # through ApprovalExpired
    # the page was read before the expiry was written: the post still looked open
    store.update(*store.post_key(post["post_id"]), {"status": "awaiting_approval"})
    page = http("POST", link, {"form_token": token, "decision": "approve"}, lang="en")
    assert page["statusCode"] == 410 and "expired" in page["text"]
    assert posts.get(post["post_id"])["status"] == "expired"
    assert alice_statuses(flow["api"]) == []


# The archive's one PutObject; the table's writes: the filing (with its rule), the hidden
# status, the negative count (its hour keeps the message's id).
@pytest.mark.parametrize(
    "service,operations,code,status,at",
    [
        ("s3", ("PutObject",), "InternalError", 500, 1),
        ("s3", ("PutObject",), "SlowDown", 503, 1),
        *(("dynamodb", WRITES, "ThrottlingException", 400, at) for at in (1, 2, 3)),
    ],
)
def test_a_comment_to_hide_that_meets_a_fault_is_archived_then_hidden_by_its_redelivery(
    aws: Any,
    graph: Any,
    service: str,
    operations: tuple[str, ...],
    code: str,
    status: int,
    at: int,
) -> None:
    """The archive (S3) or the table fails while an insult is moderated: nothing is hidden
    without its archived copy, and the redelivered record finishes it: one copy, hidden."""
    from portevoix.inbox import filing
    from tests.integration.test_moderation import archived, comment, config_for

    config = config_for(graph)
    insult = comment("111_9", "Bande d'escrocs, vous êtes des incapables")
    with fault(service, operations, at, code, status) as seen:
        try:
            filing.handle_new(config, dict(insult), NOW)
        except Exception:  # noqa: BLE001 - the record is reported failed, redelivered
            assert not graph.hidden or archived(aws)  # never hidden before it is archived
            filing.handle_new(config, dict(insult), NOW)
    assert len(seen) >= at  # the fault was met
    assert graph.hidden == {"111_9"}
    (copy,) = archived(aws)
    assert copy["rule"] == "insult"
    assert store.get(insult["PK"], "MENTION")["status"] == "hidden"


@pytest.mark.parametrize("at", [1, 2])
def test_a_redelivered_message_is_counted_once_towards_the_repeat_rule(
    aws: Any, graph: Any, at: int
) -> None:
    """The repeat rule hides the third same message of an author: a second one whose filing
    failed (the count's write, then the filing's) and was delivered again is still the second."""
    from portevoix.inbox import filing
    from tests.integration.test_moderation import comment, config_for

    config = config_for(graph)
    text = "Rejoignez le groupe des clients Cyclia !"
    filing.handle_new(config, comment("111_1", text), NOW)
    second = comment("111_2", text)
    with (
        fault("dynamodb", WRITES, at, "ThrottlingException", 400) as seen,
        pytest.raises(Exception, match="ThrottlingException"),
    ):
        filing.handle_new(config, dict(second), NOW)
    assert len(seen) == at
    assert filing.handle_new(config, dict(second), NOW).get("moderation_rule") is None
    third = filing.handle_new(config, comment("111_3", text), NOW)
    assert third["moderation_rule"] == "repeated" and graph.hidden == {"111_3"}
