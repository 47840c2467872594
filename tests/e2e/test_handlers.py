"""The Lambda handlers as AWS calls them: scheduler events, config from SSM."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from functions.report.app import lambda_handler as report_handler
from functions.veille.app import lambda_handler as veille_handler
from portevoix.core.errors import ConfigError
from portevoix_local.schedules import job_event as schedule_event
from portevoix_local.stack import LambdaContext
from tests.helpers import SENDER, rss

CONFIG = {
    "brand": {"name": "Porte-voix"},
    "sender": SENDER,
    "team": [{"email": "cm@brand.example"}],
    "fetch": {"allow_private_networks": True},
}


@pytest.fixture
def ssm_config(aws: Any, monkeypatch: pytest.MonkeyPatch, feed_server: Any) -> Any:
    feed_server.set("/f.rss", rss([("Porte-voix en direct", "https://ex.com/live")]))
    data = {**CONFIG, "feeds": [{"id": "f", "url": feed_server.url("/f.rss")}]}
    monkeypatch.setenv("CONFIG_PARAMETER", "/portevoix/config")
    aws.client("ssm").put_parameter(
        Name="/portevoix/config", Value=yaml.safe_dump(data), Type="String", Tier="Advanced"
    )
    return aws


def test_scheduled_poll_reads_config_from_ssm_and_logs_one_line(
    ssm_config: Any, caplog: Any
) -> None:
    caplog.set_level("INFO", logger="veille")
    event = schedule_event("veille", datetime.now(UTC))
    result = veille_handler(event, LambdaContext("portevoix-veille"))
    assert (result["fetched"], result["new_items"], result["mentions"]) == (1, 1, 1)
    records = [r for r in caplog.records if r.name == "veille"]
    assert [r.getMessage() for r in records] == ["poll finished"]
    assert records[0].poll["new_items"] == 1
    assert json.dumps(records[0].poll)  # the summary is plain JSON for CloudWatch


def test_scheduled_digest_runs_once_per_day(ssm_config: Any) -> None:
    veille_handler(schedule_event("veille"), LambdaContext("v"))
    when = datetime.now(UTC) + timedelta(minutes=1)
    first = report_handler(schedule_event("digest", when), LambdaContext("r"))
    retry = report_handler(schedule_event("digest", when), LambdaContext("r"))
    assert (first["sent"], retry["sent"]) == (1, 0)


def test_invalid_config_in_ssm_is_named(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFIG_PARAMETER", "/portevoix/config")
    aws.client("ssm").put_parameter(
        Name="/portevoix/config", Value=yaml.safe_dump({**CONFIG, "feedz": []}), Type="String"
    )
    with pytest.raises(ConfigError, match=r"^SSM parameter /portevoix/config: feedz: unknown key"):
        veille_handler(schedule_event("veille"), LambdaContext("v"))


def test_unknown_job_is_refused(ssm_config: Any) -> None:
    with pytest.raises(ValueError, match="unknown job"):
        report_handler({"job": "weekly"}, LambdaContext("r"))


def test_cli_finds_a_deployed_stack_through_its_outputs(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from portevoix_local.serve import connect_stack

    for key in ("STATE_MACHINE_ARN", "CONFIG_PARAMETER", "TABLE_NAME"):
        monkeypatch.setenv(key, "before")  # restored after the test

    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "TableName": {"Value": "portevoix-prod-Table-1"},
            "PublishStateMachineArn": {
                "Value": "arn:aws:states:eu-west-3:123456789012:stateMachine:portevoix-prod-publish"
            },
            "ConfigParameterName": {"Value": "/portevoix/config"},
            "ApprovalApiUrl": {"Value": "https://abc.execute-api.eu-west-3.amazonaws.com/"},
        },
    }
    aws.client("cloudformation").create_stack(
        StackName="portevoix-prod", TemplateBody=json.dumps(template)
    )
    info = connect_stack("portevoix-prod")
    assert info["url"] == "https://abc.execute-api.eu-west-3.amazonaws.com"
    assert os.environ["TABLE_NAME"] == "portevoix-prod-Table-1"
    assert os.environ["STATE_MACHINE_ARN"].endswith(":stateMachine:portevoix-prod-publish")
    aws.client("cloudformation").create_stack(
        StackName="other", TemplateBody=json.dumps({"Resources": template["Resources"]})
    )
    with pytest.raises(RuntimeError, match="is it a Porte-voix stack"):
        connect_stack("other")


def test_weekly_report_runs_once_and_emits_one_dimension_metrics(
    ssm_config: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    veille_handler(schedule_event("veille"), LambdaContext("v"))
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    (doc,) = [d for d in emf if d.get("service") == "veille"]
    assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Portevoix"
    assert (doc["ItemsIngested"], doc["MentionsIngested"], doc["FeedFailures"]) == (
        [1.0],
        [1.0],
        [0.0],
    )
    monday = datetime.now(UTC) + timedelta(days=7)
    first = report_handler(schedule_event("report", monday), LambdaContext("r"))
    retry = report_handler(schedule_event("report", monday), LambdaContext("r"))
    assert (first["sent"], retry["sent"]) == (1, 0)
    assert first["engagement"] == {
        "accounts": 0,
        "posts": 0,
        "read": 0,
        "unavailable": [],
        "failed": [],
    }
    again = report_handler({"job": "report", "week": "2020-W01"}, LambdaContext("r"))
    assert again["sent"] == 1  # asked for by name: not the schedule's once-a-week marker
    with pytest.raises(Exception, match="YYYY-Www"):
        report_handler({"job": "report", "week": "last"}, LambdaContext("r"))
