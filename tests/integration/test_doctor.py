"""`portevoix doctor --stack NAME` against moto holding a deployed stack's resources."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from tests.helpers import SENDER

STACK = "portevoix-prod"
QUEUE = "portevoix-prod-failed"
TARGET = {
    "Arn": "arn:aws:lambda:eu-west-3:123456789012:function:f",
    "RoleArn": "arn:aws:iam::123456789012:role/r",
}


def schedule(aws: Any, job: str, state: str, create: bool = False) -> None:
    """One of the stack's schedules, as the template makes them (``<stack>-<job>``)."""
    call = (
        aws.client("scheduler").create_schedule
        if create
        else aws.client("scheduler").update_schedule
    )
    call(
        Name=f"{STACK}-{job}",
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=TARGET,
        State=state,
    )


@pytest.fixture
def deployed(aws: Any, api: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The stack's outputs, its configuration, sender, schedules and queue, all healthy."""
    from portevoix.core import secrets

    for key in ("STATE_MACHINE_ARN", "CONFIG_PARAMETER", "TABLE_NAME"):
        monkeypatch.setenv(key, "before")  # restored after the test
    monkeypatch.setenv("MASTO_TOKEN", "alice_token")
    secrets.forget()
    config = {
        "brand": {"name": "Cyclia"},
        "sender": SENDER,
        "team": [{"email": "camille@cyclia.example"}],
        "accounts": [
            {"network": "mastodon", "id": "masto", "instance": api, "secret": "env:MASTO_TOKEN"}
        ],
        "fetch": {"allow_private_networks": True},
    }
    aws.client("ssm").put_parameter(
        Name="/portevoix/config", Value=yaml.safe_dump(config), Type="String"
    )
    queue = aws.client("sqs").create_queue(QueueName=QUEUE)["QueueUrl"]
    outputs = {
        "TableName": "portevoix-prod-Table-1",
        "PublishStateMachineArn": "arn:aws:states:eu-west-3:123456789012:stateMachine:p",
        "ConfigParameterName": "/portevoix/config",
        "ApprovalApiUrl": "https://abc.execute-api.eu-west-3.amazonaws.com",
        "FailedInvocationsQueueUrl": queue,
    }
    from portevoix_local.stack import create_table

    create_table(outputs["TableName"])
    aws.client("cloudformation").create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(
            {
                "Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}},
                "Outputs": {k: {"Value": v} for k, v in outputs.items()},
            }
        ),
    )
    aws.client("ses").verify_email_identity(EmailAddress=SENDER)
    for job in ("digest", "veille", "inbox", "report"):
        schedule(aws, job, "ENABLED", create=True)
    return {"queue": queue, "api": api}


def doctor(**kw: Any) -> list[Any]:
    from portevoix_local import doctor as doc

    return doc.run(STACK, fetch=kw.get("fetch", lambda url: 200))


def test_a_healthy_stack_passes_every_check(deployed: dict[str, Any]) -> None:
    checks = doctor()
    failed = [c.line() for c in checks if not c.ok and not c.warning]
    assert failed == []
    names = [c.name for c in checks]
    for expected in ("stack", "config", "sender", "sandbox", "schedules", "studio", "account"):
        assert expected in names
    sandbox = next(c for c in checks if c.name == "sandbox")
    assert sandbox.warning and "Request production access" in sandbox.todo  # moto: a sandbox
    # The parameter was put by hand: the doctor validated it, and the functions' cold
    # starts will read it compiled from the stack's table.
    from portevoix.core import store

    assert len(store.query("CONFIG#COMPILED", "0", "~")) == 1


def test_an_unverified_sender_a_disabled_schedule_and_a_bad_token_fail_and_nothing_else(
    deployed: dict[str, Any], aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portevoix.core import secrets

    aws.client("ses").delete_identity(Identity=SENDER)
    schedule(aws, "digest", "DISABLED")
    monkeypatch.setenv("MASTO_TOKEN", "stolen")
    secrets.forget()
    checks = doctor()
    failed = {c.name: c for c in checks if not c.ok and not c.warning}
    assert sorted(failed) == ["account", "schedules", "sender"]
    assert "verify-email-identity" in failed["sender"].todo
    assert f"{STACK}-digest" in failed["schedules"].detail and "ENABLED" in failed["schedules"].todo
    assert "Reconnect masto" in failed["account"].todo


def test_failed_runs_and_a_silent_studio_are_named(deployed: dict[str, Any], aws: Any) -> None:
    body = {"requestPayload": {"job": "digest"}, "responsePayload": {"errorMessage": "boom"}}
    aws.client("sqs").send_message(QueueUrl=deployed["queue"], MessageBody=json.dumps(body))
    checks = {c.name: c for c in doctor(fetch=lambda url: 502)}
    assert not checks["failed runs"].ok and "digest: boom" in checks["failed runs"].detail
    assert not checks["studio"].ok and "answered 502" in checks["studio"].detail


def test_the_command_prints_one_line_a_check_and_exits_1_on_failure(
    deployed: dict[str, Any], aws: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portevoix_local import cli
    from portevoix_local import doctor as doc

    monkeypatch.setattr(doc, "_studio", lambda url, fetch: doc.Check("studio", True, url))
    assert cli.main(["doctor", "--stack", STACK]) == 0
    out = capsys.readouterr().out
    assert out.count("\nok  ") + out.startswith("ok  ") >= 6
    aws.client("ses").delete_identity(Identity=SENDER)
    assert cli.main(["doctor", "--stack", STACK]) == 1
    assert "FAIL  sender" in capsys.readouterr().out
