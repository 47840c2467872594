"""The publish state machine (infra/statemachines/publish.asl.json) run by moto with the real handlers."""

from __future__ import annotations

import html
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml

from portevoix.core import secrets, store
from portevoix.publishing import posts
from tests.fakes import FakeX
from tests.helpers import SENDER, LossyProxy
from tests.integration.test_digest import parts, sent_messages
from tests.integration.test_mastodon import alice_statuses

WAITED: list[float] = []


@pytest.fixture
def flow(aws_env: None, api: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto with Step Functions executing, the publish function in-process, a Mastodon and an X."""
    from moto import mock_aws
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
        WaitFunction,
    )

    from portevoix.core import aws, runtime
    from portevoix_local.stack import (
        FUNCTIONS,
        MOTO_CONFIG,
        create_table,
        create_workflow,
        route_lambdas,
    )

    monkeypatch.setenv("TZ", "UTC")  # moto compares Wait timestamps in local time
    time.tzset()
    monkeypatch.setattr(
        WaitFunction,
        "_wait_interval",
        lambda self, env, wait_seconds: WAITED.append(time.time() + wait_seconds),
    )
    WAITED.clear()
    x = FakeX()
    monkeypatch.setenv("MASTO_TOKEN", "alice_token")
    monkeypatch.setenv("X_TOKEN", "revoked")
    monkeypatch.setenv("CONFIG_PARAMETER", "/portevoix/config")
    monkeypatch.setenv("APPROVAL_BASE_URL", "https://approve.example")
    secrets.forget()
    aws.reset()
    runtime.reset()
    with mock_aws(config=MOTO_CONFIG):
        create_table("portevoix-test")
        aws.client("ses").verify_email_identity(EmailAddress=SENDER)
        route_lambdas(FUNCTIONS)
        env = {"api": api, "x": x, "timeout": 60}

        def configure(
            *,
            accounts: list[str] = ("masto",),
            charter: dict[str, Any] | None = None,
            timeout: int = 3600,
            instance: str | None = None,
            crisis: dict[str, Any] | None = None,
            languages: dict[str, str] | None = None,
            tracking: dict[str, Any] | None = None,
        ) -> None:
            available = {
                "masto": {
                    "network": "mastodon",
                    "id": "masto",
                    "instance": instance or api,
                    "secret": "env:MASTO_TOKEN",
                },
                "x": {
                    "network": "x",
                    "id": "x",
                    "user_id": FakeX.USER,
                    "base": x.url,
                    "secret": "env:X_TOKEN",
                },
            }
            data = {
                "brand": {"name": "Porte-voix"},
                "sender": SENDER,
                "timezone": "Europe/Paris",
                "team": [
                    {"email": "camille@brand.example", "language": "fr"},
                    {"email": "alex@brand.example", "language": "en"},
                ],
                "approvers": ["alex@brand.example"],
                "accounts": [
                    {
                        **available[a],
                        **({"language": languages[a]} if a in (languages or {}) else {}),
                    }
                    for a in accounts
                ],
                "charter": charter or {},
                "crisis": crisis or {},
                "tracking": tracking or {},
                "fetch": {"allow_private_networks": True},
            }
            aws.client("ssm").put_parameter(
                Name="/portevoix/config",
                Value=yaml.safe_dump(data),
                Type="String",
                Tier="Advanced",
                Overwrite=True,
            )
            runtime.reset()
            env["arn"] = (
                create_workflow(approval_timeout=timeout, retry_interval=1)
                if "arn" not in env
                else env["arn"]
            )

        env["configure"] = configure
        yield env
    x.close()
    aws.reset()
    runtime.reset()


def submit(
    flow: dict[str, Any],
    *,
    text: str = "Porte-voix v2 est là #portevoix",
    at: str | None = None,
    accounts: tuple[str, ...] = ("masto",),
) -> dict[str, Any]:
    from portevoix.core import runtime

    config = runtime.config()
    draft = posts.parse_draft(
        {
            "author": "camille@brand.example",
            "title": "Lancement v2",
            "at": at,
            "variants": {a: {"text": text} for a in accounts},
        },
        config,
    )
    post = posts.create(config, draft)
    post["execution_arn"] = posts.start(post, flow["arn"])
    return post


def wait_for(
    execution_arn: str,
    states: tuple[str, ...] = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"),
    *,
    waiting_on: str | None = None,
) -> dict[str, Any]:
    from portevoix.core import aws

    sfn = aws.client("stepfunctions")
    deadline = time.time() + 30
    while time.time() < deadline:
        if waiting_on:
            history = sfn.get_execution_history(executionArn=execution_arn)["events"]
            entered = [
                e
                for e in history
                if e["type"] == "TaskStateEntered"
                and e.get("stateEnteredEventDetails", {}).get("name") == waiting_on
            ]
            scheduled = [
                e
                for e in history
                if e["type"] in ("TaskSubmitted", "LambdaFunctionSucceeded", "TaskSucceeded")
            ]
            if entered and scheduled and posts_status_is(execution_arn, "awaiting_approval"):
                return sfn.describe_execution(executionArn=execution_arn)
        desc = sfn.describe_execution(executionArn=execution_arn)
        if desc["status"] in states:
            return desc
        time.sleep(0.1)
    raise AssertionError(f"execution still {desc['status']} after 30 s")


def posts_status_is(execution_arn: str, status: str) -> bool:
    post_id = execution_arn.rsplit(":", 1)[-1].rsplit("-", 1)[0]
    post = store.get(f"POST#{post_id}", "POST")
    return bool(post and post.get("status") == status and post.get("task_token"))


def approval_link(to: str, post: dict[str, Any] | None = None) -> str:
    """The link from the approval email, as the approver gets it (waits for the email)."""
    deadline = time.time() + 20
    while time.time() < deadline:
        for msg in reversed(sent_messages()):
            if msg["To"] == to:
                found = re.search(r"https://approve\.example/a/([\w-]+)", parts(msg)[0])
                link = found and store.get(f"LINK#{found.group(1)}", "LINK")
                if link and (post is None or link["post_id"] == post["post_id"]):
                    return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no approval link emailed to {to}")


def http(
    method: str,
    link_id: str,
    form: dict[str, str] | None = None,
    lang: str = "fr",
    kind: str = "a",
) -> dict[str, Any]:
    """The approval function, called with an HTTP API (v2) event as API Gateway sends it
    (``kind``: ``a`` a post's approval link, ``b`` a boost's)."""
    from functions.approval.app import lambda_handler
    from portevoix_local.stack import LambdaContext

    body = urlencode(form or {})
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": f"/{kind}/{link_id}",
        "rawQueryString": "",
        "headers": {
            "accept-language": lang,
            "content-type": "application/x-www-form-urlencoded",
            "host": "approve.example",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "approve.example",
            "domainPrefix": "approve",
            "http": {
                "method": method,
                "path": f"/{kind}/{link_id}",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "pytest",
            },
            "requestId": "r",
            "routeKey": "$default",
            "stage": "$default",
            "time": "28/Nov/2026:10:00:00 +0000",
            "timeEpoch": 0,
        },
        "body": body if method == "POST" else None,
        "isBase64Encoded": False,
    }
    resp = lambda_handler(event, LambdaContext("portevoix-approval"))
    resp["text"] = html.unescape(resp["body"])  # what the reader sees
    return resp


def form_token(page: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def emails_to(address: str) -> list[tuple[str, str]]:
    return [(m["Subject"], parts(m)[0]) for m in sent_messages() if m["To"] == address]


def test_approved_post_is_published_once_and_the_team_told(flow: dict[str, Any]) -> None:
    flow["configure"]()
    post = submit(flow)
    wait_for(post["execution_arn"], waiting_on="RequestApproval")
    link = approval_link("alex@brand.example")
    page = http("GET", link, lang="en")
    assert page["statusCode"] == 200 and "Porte-voix v2 est là #portevoix" in page["text"]
    assert posts.get(post["post_id"])["status"] == "awaiting_approval"  # looking changes nothing
    done = http(
        "POST", link, {"form_token": form_token(page["body"]), "decision": "approve"}, lang="en"
    )
    assert "decision recorded (approved)" in done["text"]
    assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
    statuses = alice_statuses(flow["api"])
    assert len(statuses) == 1 and "Porte-voix v2 est là #portevoix" in statuses[0]["content"]
    final = posts.get(post["post_id"])
    assert final["status"] == "published" and final["decided_by"] == "alex@brand.example"
    subjects = [s for s, _ in emails_to("camille@brand.example")]
    assert any(s.startswith("[Porte-voix] Publiée : Lancement v2") for s in subjects)
    live = next(text for s, text in emails_to("camille@brand.example") if "Publiée" in s)
    assert statuses[0]["url"] in live


def test_rejection_is_emailed_back_with_the_comment(flow: dict[str, Any]) -> None:
    flow["configure"]()
    post = submit(flow)
    wait_for(post["execution_arn"], waiting_on="RequestApproval")
    link = approval_link("alex@brand.example")
    token = form_token(http("GET", link)["body"])
    assert (
        http("POST", link, {"form_token": token, "decision": "reject"})["statusCode"] == 400
    )  # comment required
    http(
        "POST",
        link,
        {"form_token": token, "decision": "reject", "comment": "Trop d'emoji <b>svp</b>"},
    )
    assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
    assert alice_statuses(flow["api"]) == []
    assert posts.get(post["post_id"])["status"] == "rejected"
    subject, text = emails_to("camille@brand.example")[-1]
    assert "Publication refusée" in subject and "Trop d'emoji <b>svp</b>" in text


def test_links_forged_replayed_or_unknown_change_nothing(flow: dict[str, Any]) -> None:
    flow["configure"]()
    post = submit(flow)
    wait_for(post["execution_arn"], waiting_on="RequestApproval")
    link = approval_link("alex@brand.example")
    unknown = http("GET", "x" * 32)
    assert unknown["statusCode"] == 404 and "n'est pas valide" in unknown["text"]
    forged = http("POST", link, {"form_token": "guessed", "decision": "approve"})
    assert (
        forged["statusCode"] == 403 and posts.get(post["post_id"])["status"] == "awaiting_approval"
    )
    token = form_token(http("GET", link)["body"])
    http("POST", link, {"form_token": token, "decision": "approve"})
    replay = http("POST", link, {"form_token": token, "decision": "reject", "comment": "trop tard"})
    assert "Déjà décidé par alex@brand.example" in replay["text"]
    assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
    assert posts.get(post["post_id"])["status"] == "published"


def test_nobody_approves_in_time(flow: dict[str, Any]) -> None:
    flow["configure"](timeout=1)
    post = submit(flow)
    assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
    assert posts.get(post["post_id"])["status"] == "expired"
    link = approval_link("alex@brand.example")
    late = http("GET", link)
    assert late["statusCode"] == 410 and "n'attend plus de validation" in late["text"]
    assert "Validation expirée" in emails_to("camille@brand.example")[-1][0]
    assert alice_statuses(flow["api"]) == []


def test_charter_errors_block_and_tell_the_author(flow: dict[str, Any]) -> None:
    flow["configure"](
        charter={"default": {"banned_words": ["gratuit"], "required": ["#portevoix"]}}
    )
    post = submit(flow, text="Tout est gratuit aujourd'hui")
    assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
    assert posts.get(post["post_id"])["status"] == "blocked"
    subject, text = emails_to("camille@brand.example")[-1]
    assert (
        "bloquée par la charte" in subject
        and "mots interdits : gratuit" in text
        and "#portevoix" in text
    )
    assert emails_to("alex@brand.example") == []  # no approval asked


def test_partial_failure_says_which_network_and_why(flow: dict[str, Any]) -> None:
    flow["configure"](accounts=["masto", "x"])
    post = submit(flow, accounts=("masto", "x"))
    wait_for(post["execution_arn"], waiting_on="RequestApproval")
    link = approval_link("alex@brand.example")
    http("POST", link, {"form_token": form_token(http("GET", link)["body"]), "decision": "approve"})
    assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
    assert len(alice_statuses(flow["api"])) == 1 and flow["x"].tweets == []
    final = posts.get(post["post_id"])
    assert final["status"] == "partially_published"
    subject, text = emails_to("camille@brand.example")[-1]
    assert "Publiée en partie" in subject and "reconnect this account" in text
    assert "AuthError" not in text  # the reason, not the exception's class name


def test_an_unreachable_network_is_not_sent_not_unknown(flow: dict[str, Any]) -> None:
    import socket

    with socket.socket() as closed:  # a port nothing listens on: the request never leaves
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    flow["configure"](accounts=["masto"], instance=f"http://127.0.0.1:{port}")
    post = submit(flow, accounts=("masto",))
    wait_for(post["execution_arn"], waiting_on="RequestApproval")
    link = approval_link("alex@brand.example")
    http("POST", link, {"form_token": form_token(http("GET", link)["body"]), "decision": "approve"})
    wait_for(post["execution_arn"])
    state = posts.status(post["post_id"])
    assert state["status"] == "failed"
    assert state["networks"]["masto"]["status"] == "not_sent"
    assert "cannot reach" in state["networks"]["masto"]["error"]
    _, text = emails_to("camille@brand.example")[-1]
    assert "cannot reach" in text and "NotSent" not in text


def test_lost_answer_then_retry_posts_exactly_once(flow: dict[str, Any]) -> None:
    proxy = LossyProxy(flow["api"])
    try:
        proxy.drop("POST", r"^/api/v1/statuses$", times=3)  # every attempt's answer is lost
        flow["configure"](instance=proxy.url)
        post = submit(flow)
        approve(flow, post)
        assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
        assert len(alice_statuses(flow["api"])) == 1
        assert posts.get(post["post_id"])["status"] == "published"
        entry = posts.ledger(post["post_id"])["masto"]
        assert (
            entry["status"] == "published" and entry["ref"] == alice_statuses(flow["api"])[0]["id"]
        )
        # A duplicate execution reaching the publish step posts nothing more.
        from functions.publish.app import lambda_handler
        from portevoix_local.stack import LambdaContext

        again = lambda_handler(
            {
                "task": "publish_one",
                "post_id": post["post_id"],
                "account": "masto",
                "attempt": "duplicate-run",
            },
            LambdaContext("portevoix-publish"),
        )
        assert again == {
            "account": "masto",
            "status": "published",
            "url": entry["url"],
            "retry_after": 0,
        }
    finally:
        proxy.close()
    assert len(alice_statuses(flow["api"])) == 1


def test_scheduled_across_daylight_saving_waits_for_the_local_time(flow: dict[str, Any]) -> None:
    flow["configure"]()
    # Paris moves to summer time at 02:00 on 28 March 2027: 09:30 local is 07:30 UTC that day.
    post = submit(flow, at="2027-03-28T09:30:00")
    assert post["scheduled_at"] == "2027-03-28T07:30:00Z"
    winter = submit(flow, at="2027-03-27T09:30:00")
    assert winter["scheduled_at"] == "2027-03-27T08:30:00Z"
    link = approval_link("alex@brand.example", post)
    http("POST", link, {"form_token": form_token(http("GET", link)["body"]), "decision": "approve"})
    assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
    target = datetime(2027, 3, 28, 7, 30, tzinfo=UTC).timestamp()
    assert any(abs(w - target) < 5 for w in WAITED), WAITED


def test_approvers_are_reminded_once_after_a_day(flow: dict[str, Any]) -> None:
    from portevoix.core import runtime
    from portevoix.publishing import workflow

    flow["configure"]()
    post = submit(flow)
    approval_link("alex@brand.example", post)
    config = runtime.config()
    assert workflow.remind(config, datetime.now(UTC)) == []  # too early
    later = datetime.now(UTC) + timedelta(hours=25)
    assert workflow.remind(config, later) == [post["post_id"]]
    assert workflow.remind(config, later + timedelta(hours=1)) == []  # once
    subject, text = emails_to("alex@brand.example")[-1]
    assert "Reminder, to approve" in subject and approval_link("alex@brand.example", post) in text


def test_spacing_counts_what_was_really_published(flow: dict[str, Any]) -> None:
    flow["configure"](charter={"default": {"min_spacing_minutes": 120}})
    first = submit(flow)
    link = approval_link("alex@brand.example", first)
    http("POST", link, {"form_token": form_token(http("GET", link)["body"]), "decision": "approve"})
    assert wait_for(first["execution_arn"])["status"] == "SUCCEEDED"
    second = submit(flow, text="Encore une #portevoix")
    approval_link("alex@brand.example", second)
    findings = posts.get(second["post_id"])["findings"]
    assert [f["rule"] for f in findings] == ["spacing"] and findings[0]["level"] == "warning"


def test_rate_limited_network_waits_as_asked_then_publishes(flow: dict[str, Any]) -> None:
    flow["configure"](accounts=["masto", "x"])
    monkey_env = os.environ.copy()
    os.environ["X_TOKEN"] = FakeX.TOKEN
    secrets.forget()
    try:
        flow["x"].rate_limited = True
        post = submit(flow, accounts=("masto", "x"))
        link = approval_link("alex@brand.example", post)
        http(
            "POST",
            link,
            {"form_token": form_token(http("GET", link)["body"]), "decision": "approve"},
        )
        deadline = time.time() + 20
        while not any(w > time.time() + 600 for w in WAITED) and time.time() < deadline:
            time.sleep(0.05)  # the X branch is waiting the ~15 min X asked for
        assert any(w > time.time() + 600 for w in WAITED), "the branch did not wait as X asked"
        flow["x"].rate_limited = False
        assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
    finally:
        os.environ.clear()
        os.environ.update(monkey_env)
    assert posts.get(post["post_id"])["status"] == "published"
    assert len(flow["x"].tweets) == 1 and len(alice_statuses(flow["api"])) == 1


def test_media_by_url_reaches_networks_that_need_bytes(
    flow: dict[str, Any], feed_server: Any
) -> None:
    from portevoix.core import runtime
    from tests.integration.test_mastodon import png

    feed_server.set("/visuel.png", png(), "image/png")
    flow["configure"]()
    config = runtime.config()
    draft = posts.parse_draft(
        {
            "author": "camille@brand.example",
            "variants": {
                "masto": {
                    "text": "Avec visuel",
                    "media": [{"url": feed_server.url("/visuel.png"), "alt": "Le visuel"}],
                }
            },
        },
        config,
    )
    post = posts.create(config, draft)
    post["execution_arn"] = posts.start(post, flow["arn"])
    link = approval_link("alex@brand.example", post)
    http("POST", link, {"form_token": form_token(http("GET", link)["body"]), "decision": "approve"})
    assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
    (status,) = alice_statuses(flow["api"])
    assert status["media_attachments"][0]["description"] == "Le visuel"


# -- held by a freeze, then released ------------------------------------------------------


def approve(flow: dict[str, Any], post: dict[str, Any]) -> None:
    link = approval_link("alex@brand.example", post)
    http("POST", link, {"form_token": form_token(http("GET", link)["body"]), "decision": "approve"})


def held(post: dict[str, Any]) -> dict[str, Any]:
    """The post once the freeze holds it (its workflow waiting for a release)."""
    deadline = time.time() + 20
    while time.time() < deadline:
        current = posts.get(post["post_id"])
        if current["status"] == "held" and current.get("hold_token"):
            return current
        time.sleep(0.05)
    raise AssertionError(f"post still {current['status']}")


def test_a_post_due_during_a_freeze_is_held_then_published_once_when_it_lifts(
    flow: dict[str, Any],
) -> None:
    from portevoix.core import runtime
    from portevoix.inbox import crisis

    flow["configure"]()
    crisis.freeze(True, by="camille@brand.example")
    post = submit(flow)
    approve(flow, post)
    held(post)
    time.sleep(0.5)
    assert alice_statuses(flow["api"]) == []  # due, and nothing went out
    sfn = aws_client("stepfunctions")
    assert sfn.describe_execution(executionArn=post["execution_arn"])["status"] == "RUNNING"
    subject, text = emails_to("camille@brand.example")[-1]
    assert "Publication retenue" in subject and "pas abandonnée" in text
    assert f"/posts/{post['post_id']}" in text  # its page, to decide

    lifted = crisis.freeze(False, by="alex@brand.example", config=runtime.config())
    assert lifted["released"] == [post["post_id"]] and lifted["waiting"] == []
    assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
    assert len(alice_statuses(flow["api"])) == 1
    final = posts.get(post["post_id"])
    assert final["status"] == "published" and final["released_by"] == "alex@brand.example"
    # Lifting again, or the schedule's safety net, publishes nothing more.
    assert crisis.freeze(False, config=runtime.config())["released"] == []
    assert crisis.release_held(runtime.config())["released"] == []
    with pytest.raises(posts.PostError, match="not held"):
        posts.release(post["post_id"], by="alex@brand.example")
    assert len(alice_statuses(flow["api"])) == 1


def test_a_post_held_too_long_asks_before_it_goes_out(flow: dict[str, Any]) -> None:
    from portevoix.core import runtime
    from portevoix.inbox import crisis

    flow["configure"](crisis={"publish_held_within_minutes": 0})
    crisis.freeze(True)
    late, dropped = submit(flow), submit(flow, text="Promo du jour #portevoix")
    for post in (late, dropped):
        approve(flow, post)
        held(post)
    time.sleep(0.1)
    lifted = crisis.freeze(False, config=runtime.config())
    assert lifted["released"] == [] and sorted(lifted["waiting"]) == sorted(
        [late["post_id"], dropped["post_id"]]
    )
    time.sleep(0.5)
    assert alice_statuses(flow["api"]) == []  # nothing goes out without someone deciding
    asked = [s for s, _ in emails_to("alex@brand.example") if "Gel levé" in s or "Freeze" in s]
    assert asked == ["[Porte-voix] Freeze lifted: 2 held posts wait for your decision"]
    crisis.release_held(runtime.config())  # the schedule's safety net asks only once
    assert len([s for s, _ in emails_to("alex@brand.example") if "Freeze lifted" in s]) == 1

    posts.cancel(dropped["post_id"])  # (moto leaves a stopped task-token wait RUNNING)
    with pytest.raises(posts.PostError, match="cancelled, not held"):
        posts.release(dropped["post_id"], by="camille@brand.example")
    posts.release(late["post_id"], by="camille@brand.example")
    assert wait_for(late["execution_arn"])["status"] == "SUCCEEDED"
    statuses = alice_statuses(flow["api"])
    assert len(statuses) == 1 and "Porte-voix v2" in statuses[0]["content"]
    assert posts.get(dropped["post_id"])["status"] == "cancelled"


def test_a_held_post_rescheduled_goes_through_approval_again(flow: dict[str, Any]) -> None:
    from portevoix.core import runtime
    from portevoix.inbox import crisis

    flow["configure"]()
    crisis.freeze(True)
    post = submit(flow)
    approve(flow, post)
    held(post)
    moved = posts.reschedule(
        runtime.config(), post["post_id"], datetime.now(UTC) + timedelta(days=2)
    )
    assert moved["status"] in ("checking", "awaiting_approval") and not moved.get("hold_token")
    assert moved["execution_arn"] != post["execution_arn"]  # a new run, the held one stopped
    wait_for(moved["execution_arn"], waiting_on="RequestApproval")  # its approval asked again
    assert alice_statuses(flow["api"]) == []


def aws_client(name: str) -> Any:
    from portevoix.core import aws

    return aws.client(name)


def test_the_holding_statement_is_approved_once_and_published_everywhere_while_frozen(
    flow: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each account gets it in its language with what its charter requires; the freeze and
    the charter's hours do not hold it; one approval for both networks."""
    from portevoix.core import runtime
    from portevoix.inbox import crisis, episodes, statement

    monkeypatch.setenv("X_TOKEN", FakeX.TOKEN)
    secrets.forget()
    flow["configure"](
        accounts=["masto", "x"],
        languages={"x": "en"},
        charter={
            "default": {"hours": "03:00-03:01", "levels": {"hours": "error"}},
            "networks": {"x": {"required": ["#PorteVoix"]}},
        },
        crisis={"holding_statement": {"fr": "Nous regardons, {{ brand }} revient vers vous."}},
    )
    config = runtime.config()
    crisis.freeze(True, by="camille@brand.example")
    episode = episodes.current()
    assert statement.drafts(config) == {
        "fr": "Nous regardons, Porte-voix revient vers vous.",
        "en": "",
    }
    with pytest.raises(posts.PostError, match="vide en : en"):
        statement.propose(config, episode, statement.drafts(config), "camille@brand.example")
    post = statement.propose(
        config,
        episode,
        {"fr": "Nous regardons, on revient vers vous.", "en": "We are on it, more soon."},
        "camille@brand.example",
    )
    with pytest.raises(posts.PostError, match="encore en cours"):  # one at a time
        statement.propose(config, episodes.current(), {"fr": "a", "en": "b"}, "alex@brand.example")
    assert statement.approved_texts(episodes.current()) is None  # not before approval
    approve(flow, post)
    assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
    assert posts.get(post["post_id"])["status"] == "published"
    toots, tweets = alice_statuses(flow["api"]), flow["x"].tweets
    assert len(toots) == 1 and "Nous regardons, on revient vers vous." in toots[0]["content"]
    assert [t["text"] for t in tweets] == ["We are on it, more soon.\n\n#PorteVoix"]
    assert len([s for s, _ in emails_to("alex@brand.example") if "To approve" in s]) == 1
    assert statement.approved_texts(episodes.current())["en"] == "We are on it, more soon."
    log = episodes.actions(episode["episode_id"])
    assert [a["action"] for a in log] == ["freeze", "statement", "statement_out"]
    assert log[-1]["by"] == "alex@brand.example" and log[-1]["count"] == 2


def test_a_post_s_short_link_counts_people_not_previewers_and_reaches_the_report(
    flow: dict[str, Any],
) -> None:
    from portevoix.core import runtime
    from portevoix.publishing import tracking
    from portevoix.reporting import report
    from portevoix.reporting.week import Week
    from tests.integration.test_studio import Browser

    flow["configure"](tracking={"short_links": True, "domains": ["cyclia.example"]})
    config = runtime.config()
    draft = posts.parse_draft(
        {
            "author": "camille@brand.example",
            "title": "Précommandes Urban 3",
            "variants": {
                "masto": {"text": "C'est ouvert #portevoix", "link": "https://cyclia.example/u3"}
            },
        },
        config,
    )
    post = posts.create(config, draft)
    post["execution_arn"] = posts.start(post, flow["arn"])
    approve(flow, post)
    assert wait_for(post["execution_arn"])["status"] == "SUCCEEDED"
    (status,) = alice_statuses(flow["api"])
    code = re.search(r"https://approve\.example/l/([a-z2-7]{10})", status["content"]).group(1)
    assert "cyclia.example/u3" not in status["content"]  # the short link went out instead

    visitor = Browser(config)
    person = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36"}
    answer = visitor.go("GET", f"/l/{code}", headers=person)
    assert answer.status == 302 and not answer.cookies
    assert answer.headers["Location"] == (
        "https://cyclia.example/u3?utm_source=mastodon&utm_medium=social"
        "&utm_campaign=precommandes-urban-3"
    )
    visitor.go("GET", f"/l/{code}", headers=person)
    unfurl = visitor.go(
        "GET", f"/l/{code}", headers={"user-agent": "Mastodon/4.3 (+https://m.example)"}
    )
    assert unfurl.status == 302  # a previewer is sent on, not counted
    assert visitor.go("GET", "/l/aaaaaaaaaa", headers=person).status == 404
    assert tracking.clicks(post["post_id"]) == {"masto": 2}
    built = report.build(config, Week.containing(datetime.now(UTC), config.tz))
    assert built.current.visits == {"masto": 2}
