"""IAM as deployed: each function runs its scenarios under the role `sam deploy` would give it.

The template is translated by the SAM translator (what the SAM CLI runs), its
intrinsics resolved for one stack, each function's role and inline policies
created in moto's IAM; a scenario then runs the real handler with the
function's environment and credentials from `sts.assume_role`, moto checking
every call (`enable_iam_authentication`). moto checks actions, not resources
or conditions (it authorizes against "*"), so the statements' actions are
kept and their resources are checked apart: each names something of this
stack. Every AWS call a scenario makes is recorded: a call outside the role
fails the test, and what a role grants but its scenarios never call is listed.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest
import yaml

from tests.helpers import REGION, ROOT

ACCOUNT = "123456789012"
STACK_ID = (
    f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/pv/0a1b2c3d-1111-2222-3333-444455556666"
)
STACK_UUID = "0a1b2c3d-1111-2222-3333-444455556666"
SENDER = "veille@brand.example"
API_ID = "abc123"


def cfn_load(text: str) -> dict[str, Any]:
    """YAML with CloudFormation's short tags as the long forms the translator reads."""

    class Loader(yaml.SafeLoader):
        pass

    def tag(loader: Any, suffix: str, node: Any) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if suffix == "Ref":
            return {"Ref": value}
        if suffix == "GetAtt":
            return {"Fn::GetAtt": value.split(".", 1) if isinstance(value, str) else value}
        return {f"Fn::{suffix}": value}

    Loader.add_multi_constructor("!", tag)
    return yaml.load(text, Loader=Loader)  # noqa: S506 - SafeLoader subclass


@cache
def translated() -> dict[str, Any]:
    """infra/template.yaml as CloudFormation, as `sam deploy` sends it."""
    pytest.importorskip("samtranslator")
    from samtranslator.translator.transform import transform

    template = cfn_load((ROOT / "infra" / "template.yaml").read_text(encoding="utf-8"))
    for name, resource in template["Resources"].items():  # what `sam package` uploads
        props = resource.get("Properties", {})
        for key in ("CodeUri", "DefinitionUri", "ContentUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://artifacts/{name}"

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    return transform(template, {"SenderAddress": SENDER}, NoManagedPolicies())


class Stack:
    """One deployed stack's names, and CloudFormation's intrinsic functions over them."""

    def __init__(self, template: dict[str, Any], physical: dict[str, dict[str, str]]):
        self.template = template
        self.params = {
            k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()
        }
        self.params["SenderAddress"] = SENDER
        self.params.update(
            {
                "AWS::Region": REGION,
                "AWS::AccountId": ACCOUNT,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
                "AWS::StackId": STACK_ID,
                "AWS::StackName": "pv",
            }
        )
        self.physical = physical  # logical id -> {"Ref": ..., attribute: ...}

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template["Conditions"][name]))

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.resolve(x) for x in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((fn, arg),) = node.items()
            if fn == "Ref":
                if arg == "AWS::NoValue":
                    return NO_VALUE
                if arg in self.params:
                    return self.params[arg]
                return self.physical[arg]["Ref"]
            if fn == "Fn::GetAtt":
                logical, attribute = arg
                return self.physical[logical][attribute]
            if fn == "Fn::Sub":
                text, names = (arg, {}) if isinstance(arg, str) else arg
                values = {k: self.resolve(v) for k, v in names.items()}

                def one(token: str) -> str:
                    if token in values:
                        return str(values[token])
                    if "." in token:
                        logical, attribute = token.split(".", 1)
                        return self.physical[logical][attribute]
                    return str(self.resolve({"Ref": token}))

                import re

                return re.sub(r"\$\{([^}!]+)\}", lambda m: one(m.group(1)), text)
            if fn == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(index)]
            if fn == "Fn::Split":
                sep, text = arg
                return str(self.resolve(text)).split(sep)
            if fn == "Fn::Join":
                sep, items = arg
                return sep.join(str(x) for x in self.resolve(items))
            if fn == "Fn::If":
                name, yes, no = arg
                return self.resolve(yes if self.condition(name) else no)
            if fn == "Fn::Equals":
                a, b = (self.resolve(x) for x in arg)
                return str(a) == str(b)
            if fn == "Fn::Not":
                return not self.resolve(arg[0])
            if fn == "Fn::And":
                return all(self.resolve(x) for x in arg)
            if fn == "Fn::Or":
                return any(self.resolve(x) for x in arg)
            if fn == "Condition":
                return self.condition(arg)
        return {
            k: v for k, v in ((k, self.resolve(v)) for k, v in node.items()) if v is not NO_VALUE
        }


NO_VALUE = object()


def physical_names() -> dict[str, dict[str, str]]:
    arn = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:{{}}"
    bucket = f"pv-data-{STACK_UUID}"
    queue = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}"
    return {
        "Table": {
            "Ref": "pv-table",
            "Arn": arn.format("dynamodb", "table/pv-table"),
            "StreamArn": arn.format("dynamodb", "table/pv-table/stream/x"),
        },
        "DataBucket": {"Ref": bucket, "Arn": f"arn:aws:s3:::{bucket}"},
        "NewsletterQueue": {
            "Ref": f"{queue}/pv-newsletter",
            "Arn": arn.format("sqs", "pv-newsletter"),
        },
        "NewsletterDeadLetterQueue": {
            "Ref": f"{queue}/pv-newsletter-dlq",
            "Arn": arn.format("sqs", "pv-newsletter-dlq"),
        },
        "FailedInvocationsQueue": {
            "Ref": f"{queue}/pv-failed",
            "Arn": arn.format("sqs", "pv-failed"),
        },
        "NewsletterConfigurationSet": {"Ref": "pv-newsletter"},
        "NewsletterEventsTopic": {"Ref": arn.format("sns", "pv-newsletter-events")},
        "PublishStateMachine": {
            "Ref": arn.format("states", "stateMachine:pv-publish"),
            "Name": "pv-publish",
        },
        "ApprovalApi": {"Ref": API_ID},
        "PortevoixLayer": {"Ref": arn.format("lambda", "layer:pv:1")},
    }


@cache
def stack() -> Stack:
    return Stack(translated(), physical_names())


def roles() -> dict[str, dict[str, Any]]:
    """Function logical id -> its role's resolved inline statements and environment."""
    template = translated()
    out = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        props = resource["Properties"]
        role = props["Role"]["Fn::GetAtt"][0]
        policies = stack().resolve(template["Resources"][role]["Properties"].get("Policies", []))
        statements = [s for p in policies for s in p["PolicyDocument"]["Statement"]]
        env = stack().resolve(props.get("Environment", {}).get("Variables", {}))
        out[name] = {"role": role, "statements": statements, "env": env}
    return out


def actions(statements: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for s in statements:
        if s.get("Effect") == "Allow":
            a = s["Action"]
            found |= set(a if isinstance(a, list) else [a])
    return found


# -- moto: the roles, the stack's resources, a scenario under a role --------------------------


@pytest.fixture
def deployed(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    from moto import mock_aws

    from portevoix.core import aws, runtime
    from portevoix_local.stack import create_table

    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("TABLE_NAME", "pv-table")
    aws.reset()
    runtime.reset()
    with mock_aws():
        iam = aws.client("iam")
        names = physical_names()
        create_table(names["Table"]["Ref"])
        aws.client("s3").create_bucket(
            Bucket=names["DataBucket"]["Ref"],
            CreateBucketConfiguration={"LocationConstraint": REGION},
        )
        sqs = aws.client("sqs")
        for q in ("pv-newsletter", "pv-newsletter-dlq", "pv-failed"):
            sqs.create_queue(QueueName=q)
        aws.client("ses").verify_email_identity(EmailAddress=SENDER)
        aws.client("ses").create_configuration_set(ConfigurationSet={"Name": "pv-newsletter"})
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        arns = {}
        for function, spec in roles().items():
            arns[function] = iam.create_role(
                RoleName=spec["role"], AssumeRolePolicyDocument=json.dumps(trust)
            )["Role"]["Arn"]
            iam.put_role_policy(
                RoleName=spec["role"],
                PolicyName="inline",
                PolicyDocument=json.dumps(for_moto(spec["statements"])),
            )
        yield {"aws": aws, "arns": arns, "names": names}
    aws.reset()
    runtime.reset()


def for_moto(statements: list[dict[str, Any]], drop: str | None = None) -> dict[str, Any]:
    """The statements as moto can check them: actions kept, resources "*", no conditions."""
    kept = []
    for s in copy.deepcopy(statements):
        a = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        a = [x for x in a if x != drop]
        if not a:
            continue
        kept.append({"Effect": s["Effect"], "Action": a, "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": kept}


class Calls:
    """The IAM actions of the AWS calls made through the package's clients."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, model: Any, **_: Any) -> None:
        prefix = model.service_model.signing_name
        self.seen.add(f"{prefix}:{model.name}")


@contextmanager
def as_function(
    deployed: dict[str, Any], function: str, config_text: str, **env: str
) -> Iterator[Calls]:
    """Run the block as ``function``: its environment, its role's credentials, IAM enforced."""
    from moto.core import enable_iam_authentication

    from portevoix.core import aws, runtime

    spec = roles()[function]
    deployed["aws"].client("ssm").put_parameter(
        Name=stack().params["ConfigParameterName"],
        Value=config_text,
        Type="String",
        Tier="Advanced",
        Overwrite=True,
    )
    creds = (
        deployed["aws"]
        .client("sts")
        .assume_role(RoleArn=deployed["arns"][function], RoleSessionName=function)["Credentials"]
    )
    saved = dict(os.environ)
    os.environ.update(
        {k: str(v) for k, v in spec["env"].items()},
        AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
        AWS_SESSION_TOKEN=creds["SessionToken"],
        **env,
    )
    os.environ.pop("PORTEVOIX_OUTBOX", None)
    calls = Calls()
    original = aws.client

    def recorded(service: str, *args: Any, **kwargs: Any) -> Any:
        client = original(service, *args, **kwargs)
        client.meta.events.register("before-call.*.*", calls, unique_id="iam-test")
        return client

    import boto3

    boto3.DEFAULT_SESSION = None  # its credentials are read once: the role's from here
    aws.reset()
    runtime.reset()
    aws.client = recorded
    try:
        with enable_iam_authentication():
            yield calls
    finally:
        aws.client = original
        os.environ.clear()
        os.environ.update(saved)
        boto3.DEFAULT_SESSION = None
        aws.reset()
        runtime.reset()


CONFIG = f"""
brand: {{name: Cyclia}}
sender: {SENDER}
team: [{{email: camille@brand.example, language: fr}}, {{email: alex@brand.example}}]
approvers: [alex@brand.example]
feeds: []
newsletter: {{enabled: true, rate_per_second: 200}}
"""


def http(path: str, method: str = "GET", form: dict[str, str] | None = None) -> dict[str, Any]:
    from urllib.parse import urlencode

    return {
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/x-www-form-urlencoded", "host": "api"},
        "requestContext": {
            "domainName": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
            "http": {"method": method, "path": path, "sourceIp": "198.51.100.7"},
        },
        "body": urlencode(form or {}) if form else None,
        "isBase64Encoded": False,
    }


def context(name: str) -> Any:
    from portevoix_local.stack import LambdaContext

    return LambdaContext(name)


# What a role grants for paths these scenarios do not take, and why: a grant that is neither
# called here nor listed fails the test (drop it from the template, or say why it is needed).
SECRETS = {
    "secretsmanager:GetSecretValue": "tokens referenced as secretsmanager: (ssm: here)",
    "secretsmanager:PutSecretValue": "a rotated token written back (X, LinkedIn renewals)",
    "ssm:PutParameter": "a rotated token written back (X, LinkedIn renewals)",
}
FAILURE_DESTINATION = {"sqs:SendMessage": "SAM's failure destination (asynchronous invocations)"}
NOT_IN_THIS_SCENARIO: dict[str, dict[str, str]] = {
    "NewsletterFunction": {
        "dynamodb:DeleteItem": "a claim released when SES throttles (the next test takes it)",
        "dynamodb:BatchGetItem": "the period's posts, when the brand published some",
        **FAILURE_DESTINATION,
    },
    "VeilleFunction": {**SECRETS, **FAILURE_DESTINATION},
    "ReplyFunction": {
        **SECRETS,
        **FAILURE_DESTINATION,
        "dynamodb:BatchGetItem": "a negative surge: the crisis baseline's hourly counters",
        "s3:GetObject": "an inbound email stored by SES",
        "s3:PutObject": "a comment archived before it is hidden",
        # The table's stream is read by Lambda's event source mapping, with this role.
        "dynamodb:DescribeStream": "the stream's event source mapping",
        "dynamodb:GetRecords": "the stream's event source mapping",
        "dynamodb:GetShardIterator": "the stream's event source mapping",
        "dynamodb:ListStreams": "the stream's event source mapping",
    },
    "PublishFunction": {
        **SECRETS,
        "dynamodb:BatchGetItem": "the charter's spacing reads the account's recent posts",
        "s3:GetObject": "an image uploaded from the studio, attached to the post",
    },
    "ReportFunction": {
        **SECRETS,
        **FAILURE_DESTINATION,
        "dynamodb:BatchGetItem": "engagement, polls and boosts of published posts",
        "dynamodb:BatchWriteItem": "the accounts' daily audience readings",
        "dynamodb:DeleteItem": "a once-marker released when an email fails",
        "dynamodb:UpdateItem": "engagement, poll results, boosts' figures, contests' counts",
        "ses:GetSendQuota": "a newsletter issue whose queueing is resumed",
        "sqs:GetQueueAttributes": "a newsletter issue closed once its queue is empty",
        "states:SendTaskSuccess": "a post held by a freeze, released when it lifts",
    },
    "ApprovalFunction": {
        **SECRETS,
        "dynamodb:BatchGetItem": "the calendar and the post pages",
        "dynamodb:DeleteItem": "single-use states (connections), ended sessions",
        "dynamodb:Query": "the studio's lists (calendar, inbox, contests)",
        "s3:PutObject": "studio images (presigned) and contest draws' archive",
        "s3:GetObject": "studio images checked by their bytes",
        "s3:DeleteObject": "an upload that lied about its type",
        "ses:GetSendQuota": "a newsletter issue approved from its page",
        "sqs:SendMessage": "a newsletter issue approved from its page",
        "ssm:GetParameterHistory": "Settings: the configuration's versions",
        "states:StartExecution": "a post created in the composer",
        "states:StopExecution": "a post cancelled",
        "states:DescribeExecution": "an approval token refused: does the workflow still run?",
        "states:SendTaskSuccess": "an approval decided from its page",
    },
}


def explained(unused: set[str], function: str) -> None:
    """What the role grants beyond what its scenario called: each has its documented reason."""
    missing = unused - set(NOT_IN_THIS_SCENARIO.get(function, {}))
    assert not missing, f"{function} is granted {sorted(missing)} and never calls them"


def sending(addresses: list[str]) -> dict[str, Any]:
    """Confirmed subscribers and this month's issue being sent: the queue message for them."""
    from portevoix.core import store
    from portevoix.newsletter import issues, subscribers

    for i, address in enumerate(addresses):
        store.put(subscribers.record(address, "confirmed", language="fr", token=f"tok{i}"))
    issue_id = datetime.now(UTC).strftime("%Y-%m")
    store.put(
        store.with_key(
            issues.key(issue_id),
            issue_id=issue_id,
            status="sending",
            editorial={"fr": "Bonjour"},
            GSI1PK=issues.INDEX,
            GSI1SK=issue_id,
        )
    )
    return {"issue": issue_id, "to": [subscribers.digest(a) for a in addresses]}


# -- the tests ----------------------------------------------------------------------------------


def test_each_policy_names_only_this_stacks_resources() -> None:
    mine = (
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/pv-table",
        f"arn:aws:s3:::pv-data-{STACK_UUID}",
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/portevoix/",
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:portevoix/",
        f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/",
        f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/pv-newsletter",
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:pv-",
        f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:pv-publish",
        f"arn:aws:states:{REGION}:{ACCOUNT}:execution:pv-publish:",
        f"arn:aws:bedrock:{REGION}::foundation-model/",
        "*",  # only for the actions IAM cannot scope (test_template.UNSCOPED, Comprehend)
    )
    for function, spec in roles().items():
        for statement in spec["statements"]:
            resources = statement.get("Resource")
            for resource in resources if isinstance(resources, list) else [resources]:
                assert str(resource).startswith(mine), (function, statement)


def test_the_newsletter_function_runs_under_its_own_role(deployed: dict[str, Any]) -> None:
    """A batch sent (SES with the configuration set), an SES event suppressing an address."""
    from functions.newsletter.app import lambda_handler

    body = sending([f"fan{i}@example.org" for i in range(3)])  # outside the role
    with as_function(deployed, "NewsletterFunction", CONFIG) as calls:
        sent = lambda_handler(
            {"Records": [{"messageId": "m1", "body": json.dumps(body), "eventSource": "aws:sqs"}]},
            context("pv-newsletter"),
        )
        bounced = lambda_handler(
            {
                "Records": [
                    {
                        "EventSource": "aws:sns",
                        "Sns": {
                            "Message": json.dumps(
                                {
                                    "eventType": "Complaint",
                                    "complaint": {
                                        "complainedRecipients": [
                                            {"emailAddress": "fan0@example.org"}
                                        ]
                                    },
                                }
                            )
                        },
                    }
                ]
            },
            context("pv-newsletter"),
        )
    assert sent == {"batchItemFailures": []} and bounced == {"suppressed": 1}
    assert {"ses:SendRawEmail", "ses:GetSendQuota", "dynamodb:PutItem"} <= calls.seen
    granted = actions(roles()["NewsletterFunction"]["statements"])
    assert calls.seen <= granted
    explained(granted - calls.seen, "NewsletterFunction")


def test_the_report_function_runs_its_jobs_under_its_own_role(deployed: dict[str, Any]) -> None:
    from functions.report.app import lambda_handler

    when = datetime.now(UTC).replace(microsecond=0)
    with as_function(deployed, "ReportFunction", CONFIG) as calls:
        for job in ("digest", "inbox", "metrics", "accounts"):
            result = lambda_handler({"job": job, "time": when.isoformat()}, context("pv-report"))
            assert result["job"] == job
    granted = actions(roles()["ReportFunction"]["statements"])
    assert calls.seen <= granted, calls.seen - granted
    explained(granted - calls.seen, "ReportFunction")


def test_the_web_function_serves_the_public_pages_under_its_own_role(
    deployed: dict[str, Any],
) -> None:
    from functions.approval.app import lambda_handler

    with as_function(deployed, "ApprovalFunction", CONFIG) as calls:
        pages = [
            lambda_handler(http("/signin"), context("pv-approval")),
            lambda_handler(
                http("/signin", "POST", {"email": "camille@brand.example", "pre": "x"}),
                context("pv-approval"),
            ),
            lambda_handler(http("/n"), context("pv-approval")),
            lambda_handler(
                http("/n", "POST", {"email": "lea@example.org", "language": "fr"}),
                context("pv-approval"),
            ),
        ]
    assert all(p["statusCode"] < 500 for p in pages), [p["statusCode"] for p in pages]
    granted = actions(roles()["ApprovalFunction"]["statements"])
    assert calls.seen <= granted, calls.seen - granted
    explained(granted - calls.seen, "ApprovalFunction")
    assert "ses:SendRawEmail" in calls.seen  # the confirmation email went out


def test_removing_one_action_from_a_policy_is_caught(deployed: dict[str, Any]) -> None:
    """The enforcement is real: without ses:SendRawEmail the batch fails, nothing is claimed."""
    from functions.newsletter.app import lambda_handler
    from portevoix.core import store
    from portevoix.newsletter import subscribers

    spec = roles()["NewsletterFunction"]
    deployed["aws"].client("iam").put_role_policy(
        RoleName=spec["role"],
        PolicyName="inline",
        PolicyDocument=json.dumps(for_moto(spec["statements"], drop="ses:SendRawEmail")),
    )
    body = sending(["seul@example.org"])
    issue_id, address = body["issue"], "seul@example.org"
    with as_function(deployed, "NewsletterFunction", CONFIG):
        answer = lambda_handler(
            {"Records": [{"messageId": "m1", "body": json.dumps(body), "eventSource": "aws:sqs"}]},
            context("pv-newsletter"),
        )
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    marker = store.get(f"NEWSLETTER#{issue_id}", f"TO#{subscribers.digest(address)}")
    assert marker is None  # released: the retry (with the permission back) sends it once


def test_the_veille_and_the_reply_function_run_under_their_own_roles(
    deployed: dict[str, Any], feed_server: Any
) -> None:
    """A poll stores items and a brand mention; the stream hands it to the reply function,
    which files it and emails the urgent ones: each under its own role."""
    from functions.reply.app import lambda_handler as reply
    from functions.veille.app import lambda_handler as veille
    from portevoix_local.stack import StreamPump
    from tests.helpers import rss

    feed_server.set(
        "/a.rss",
        rss(
            [
                ("Cyclia rappelle ses vélos : danger, freins défectueux", "https://n.example/1"),
                ("La météo de demain", "https://n.example/2"),
            ]
        ),
    )
    config = CONFIG.replace(
        "feeds: []",
        f"feeds: [{{url: '{feed_server.url('/a.rss')}'}}]\nfetch: {{allow_private_networks: true}}",
    )
    pump = StreamPump(table="pv-table")
    with as_function(deployed, "VeilleFunction", config) as polled:
        result = veille({"job": "veille"}, context("pv-veille"))
    assert result["new_items"] == 2 and result["mentions"] >= 1
    with as_function(deployed, "ReplyFunction", config) as filed:
        answers = pump.pump(reply)
    assert answers and all(a == {"batchItemFailures": []} for a in answers)
    for function, calls in (("VeilleFunction", polled), ("ReplyFunction", filed)):
        granted = actions(roles()[function]["statements"])
        assert calls.seen <= granted, (function, calls.seen - granted)
        explained(granted - calls.seen, function)


def test_the_publish_function_runs_a_post_under_its_own_role(
    deployed: dict[str, Any], api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked, approval asked by email, published on Mastodon, recorded: as the workflow does."""
    from functions.publish.app import lambda_handler
    from portevoix.core import secrets
    from portevoix.core.config import parse_config
    from portevoix.publishing import posts

    monkeypatch.setenv("MASTO_TOKEN", "alice_token")
    secrets.forget()
    config = CONFIG + (
        f"accounts: [{{network: mastodon, id: masto, instance: '{api}', secret: 'env:MASTO_TOKEN'}}]\n"
        "fetch: {allow_private_networks: true}\n"
    )
    parsed = parse_config(config)
    draft = posts.parse_draft(
        {"author": "camille@brand.example", "variants": {"masto": {"text": "Bonjour"}}}, parsed
    )
    post = posts.create(parsed, draft)
    post_id = post["post_id"]

    def task(name: str, **args: Any) -> Any:
        return lambda_handler({"task": name, "post_id": post_id, **args}, context("pv-publish"))

    with as_function(deployed, "PublishFunction", config, MASTO_TOKEN="alice_token") as calls:
        assert task("check")["ok"] is True
        task("request_approval", task_token="token-1")
    posts.set_status(post_id, "approved")  # the approver's click (the web function's part)
    with as_function(deployed, "PublishFunction", config, MASTO_TOKEN="alice_token") as more:
        assert task("check_freeze") == {"frozen": False}
        one = task("publish_one", account="masto", attempt="1")
        task("record", results=[one])
    assert one["status"] == "published" and posts.get(post_id)["status"] == "published"
    granted = actions(roles()["PublishFunction"]["statements"])
    used = calls.seen | more.seen
    assert used <= granted, used - granted
    explained(granted - used, "PublishFunction")
