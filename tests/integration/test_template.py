"""The SAM template: valid, buildable, least-privilege, and what the code expects."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from portevoix_local.stack import load_template, table_definition
from tests.helpers import ROOT

TEMPLATE = ROOT / "infra" / "template.yaml"


def sam_cli() -> str:
    for candidate in (
        os.environ.get("SAM_CLI"),
        str(ROOT / ".venv-sam" / "bin" / "sam"),
        shutil.which("sam"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    if os.environ.get("PORTEVOIX_REQUIRE_SAM"):
        pytest.fail("the SAM CLI is required here (make sam installs it in .venv-sam)")
    pytest.skip("SAM CLI not installed: run `make sam` (or `make test`, which installs it)")


def sam_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(SAM_CLI_TELEMETRY="0", AWS_DEFAULT_REGION="eu-west-3")
    if shutil.which("pyenv"):  # sam build wants a python3.12 for the Lambda runtime
        versions = subprocess.run(
            ["pyenv", "versions", "--bare"], capture_output=True, text=True
        ).stdout.split()
        wanted = [v for v in versions if v.startswith(("3.11", "3.12", "3.13"))]
        if wanted:
            env["PYENV_VERSION"] = ":".join(wanted)
    return env


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"
    }


@pytest.mark.slow
def test_sam_validate_lint() -> None:
    result = subprocess.run(
        [sam_cli(), "validate", "--lint", "--template-file", str(TEMPLATE)],
        capture_output=True,
        text=True,
        env=sam_env(),
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


@pytest.mark.slow
def test_sam_build_produces_a_lean_compiled_layer(tmp_path: Path) -> None:
    build = tmp_path / "build"
    result = subprocess.run(
        [sam_cli(), "build", "--template-file", str(TEMPLATE), "--build-dir", str(build)],
        capture_output=True,
        text=True,
        env=sam_env(),
        cwd=ROOT,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    layer = build / "PortevoixLayer" / "python"
    # The layer ships the Lambda package exactly as in the source tree: every
    # module and template, and nothing of the local mode.
    source = ROOT / "layers" / "portevoix" / "portevoix"

    def files(top: Path) -> set[str]:
        return {
            str(f.relative_to(top))
            for f in top.rglob("*")
            if f.is_file() and "__pycache__" not in f.parts
        }

    shipped = files(layer / "portevoix")
    assert shipped == files(source)
    assert {"listening/poller.py", "core/http.py", "templates/digest.html"} <= shipped
    assert not (layer / "portevoix_local").exists()
    for name in shipped:
        if name.endswith(".py"):
            text = (layer / "portevoix" / name).read_text(encoding="utf-8")
            assert "import moto" not in text and "from moto" not in text, name
    assert (layer / "feedparser").is_dir() and (layer / "pydantic_core").is_dir()
    # Babel's CLDR data for the catalogs' languages only (about 1 MB of its 30).
    kept = {p.stem for p in (layer / "babel" / "locale-data").glob("*.dat")}
    assert {"root", "fr", "en", "fr_FR", "en_GB"} <= kept and "de" not in kept, sorted(kept)[:20]
    assert len(kept) < 250  # fr_*, en_* and root, of about 1,000
    # arm64 Linux wheels, whatever machine built it.
    assert any("aarch64" in p.name for p in (layer / "pydantic_core").glob("_pydantic_core*.so"))
    if "compiled .pyc" in result.stdout + result.stderr:
        assert list((layer / "portevoix" / "core" / "__pycache__").glob("*.cpython-312.pyc"))
    for fn in (
        "VeilleFunction",
        "ReportFunction",
        "PublishFunction",
        "ApprovalFunction",
        "ReplyFunction",
    ):
        assert (build / fn / "app.py").exists()


def test_the_local_table_is_the_template_table(template: dict[str, Any]) -> None:
    definition = table_definition(TEMPLATE)
    assert definition["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    assert definition["GlobalSecondaryIndexes"][0]["IndexName"] == "GSI1"
    props = template["Resources"]["Table"]["Properties"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["StreamSpecification"]["StreamViewType"] in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
    assert props["BillingMode"] == "PAY_PER_REQUEST"


def test_every_handler_exists(template: dict[str, Any]) -> None:
    for name, fn in functions(template).items():
        code = (TEMPLATE.parent / fn["Properties"]["CodeUri"]).resolve()
        module, func = fn["Properties"]["Handler"].split(".")
        assert (code / f"{module}.py").exists(), name
        package = ".".join(code.relative_to(ROOT).parts)
        assert callable(getattr(importlib.import_module(f"{package}.{module}"), func)), name


# Actions without a resource type in the Service Authorization Reference (they take "*").
UNSCOPED = {"ses:GetSendQuota"}


def test_policies_name_their_resources(template: dict[str, Any]) -> None:
    for name, fn in functions(template).items():
        for policy in fn["Properties"]["Policies"]:
            if "If" in policy:  # optional: only Comprehend's detect call may use "*"
                (statement,) = policy["If"][1]["Statement"]
                if policy["If"][0] == "BedrockAllowed":  # the one configured model, no wildcard
                    assert statement["Action"] == "bedrock:InvokeModel"
                    assert all("${BedrockModelId}" in str(r) for r in statement["Resource"])
                    continue
                assert (
                    statement["Action"] == "comprehend:DetectSentiment"
                    and policy["If"][0] == "ComprehendAllowed"
                )
                continue
            assert isinstance(policy, dict) and "Statement" in policy, (name, policy)

            if "LambdaInvokePolicy" in policy:
                continue
            for statement in policy["Statement"]:
                actions = (
                    statement["Action"]
                    if isinstance(statement["Action"], list)
                    else [statement["Action"]]
                )
                assert all("*" not in a for a in actions), (name, actions)
                resources = statement["Resource"]
                resources = resources if isinstance(resources, list) else [resources]
                if set(actions) <= UNSCOPED:  # IAM offers no resource for these: "*" only
                    continue
                assert all(r != "*" for r in resources), (name, statement)


def test_functions_have_log_retention_and_failure_destinations(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    for name, fn in functions(template).items():
        props = fn["Properties"]
        group = props["LoggingConfig"]["LogGroup"]["Ref"]
        assert resources[group]["Type"] == "AWS::Logs::LogGroup"
        assert "RetentionInDays" in resources[group]["Properties"], name
        schedules = [e for e in props.get("Events", {}).values() if e["Type"] == "ScheduleV2"]
        if schedules or any(e["Type"] in ("S3", "SNS") for e in props.get("Events", {}).values()):
            # invoked asynchronously: failures must land somewhere
            assert props["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Type"] == "SQS"
        for event in schedules:
            assert "DeadLetterConfig" in event["Properties"], name
            assert '"job"' in event["Properties"]["Input"]


def test_schedules(template: dict[str, Any]) -> None:
    fns = functions(template)
    veille = fns["VeilleFunction"]["Properties"]["Events"]["Every15Minutes"]["Properties"]
    assert veille["ScheduleExpression"] == "rate(15 minutes)"
    digest = fns["ReportFunction"]["Properties"]["Events"]["MorningDigest"]["Properties"]
    assert digest["ScheduleExpressionTimezone"] == {"Ref": "TimeZone"}
    assert "${DigestHour}" in digest["ScheduleExpression"]["Sub"]
    params = template["Parameters"]
    assert {"ConfigParameterName", "SenderAddress", "TimeZone", "DigestHour"} <= set(params)


def test_state_machine_is_the_local_one(template: dict[str, Any]) -> None:
    import json

    sm = template["Resources"]["PublishStateMachine"]["Properties"]
    assert (TEMPLATE.parent / sm["DefinitionUri"]).resolve() == (
        ROOT / "infra" / "statemachines" / "publish.asl.json"
    )
    text = (ROOT / "infra" / "statemachines" / "publish.asl.json").read_text()
    for key in sm["DefinitionSubstitutions"]:
        assert "${" + key + "}" in text
        text = text.replace("${" + key + "}", "1")
    definition = json.loads(text)
    request = definition["States"]["RequestApproval"]
    assert (
        request["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
        and "TimeoutSeconds" in request
    )
    assert definition["States"]["WaitForTime"]["TimestampPath"] == "$.check.scheduled_at"


def test_reply_reads_only_new_mentions_and_reports_partial_failures(
    template: dict[str, Any],
) -> None:
    import json

    event = template["Resources"]["ReplyFunction"]["Properties"]["Events"]["NewMentions"][
        "Properties"
    ]
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    pattern = json.loads(event["FilterCriteria"]["Filters"][0]["Pattern"])
    assert pattern == {
        "eventName": ["INSERT"],
        "dynamodb": {"NewImage": {"SK": {"S": ["MENTION"]}}},
    }
    assert event["DestinationConfig"]["OnFailure"]["Type"] == "SQS"
