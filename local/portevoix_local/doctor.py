"""``portevoix doctor --stack NAME``: is a deployed stack ready to work, and if not, what to do.

One line per check, in the order a deployment needs them: the stack's
outputs, the configuration (loads and validates), the sender (verified in SES,
and the account out of the sandbox), the schedules (enabled), the studio's
URL (answers), each account's token (works), the failed-runs queue (empty, or
its latest failures). A check that fails says what to do; exit 1 if any did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SANDBOX_DAILY = 200  # SES's daily quota in the sandbox


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    todo: str = ""
    warning: bool = False  # shown, but does not fail the doctor

    def line(self) -> str:
        mark = "warn" if self.warning else ("ok  " if self.ok else "FAIL")
        return f"{mark}  {self.name:12} {self.detail}" + (
            f"\n      -> {self.todo}" if self.todo else ""
        )


def run(stack: str, *, fetch: Any = None) -> list[Check]:
    """Every check against ``stack`` (``fetch(url) -> status``: the URL check, for tests)."""
    from portevoix.core import aws, runtime
    from portevoix_local.serve import connect_stack

    checks: list[Check] = []
    try:
        info = connect_stack(stack)
    except RuntimeError as exc:
        return [Check("stack", False, str(exc), "deploy it: sam deploy --guided")]
    outputs = _outputs(stack)
    checks.append(Check("stack", True, f"{stack}: {len(outputs)} outputs"))
    try:
        config = runtime.config()
    except Exception as exc:  # noqa: BLE001 - any failure to load is what this check reports
        checks.append(
            Check(
                "config",
                False,
                str(exc)[:300],
                "fix it with `portevoix config check FILE`, then put it: "
                f"aws ssm put-parameter --name {outputs.get('ConfigParameterName')} --overwrite",
            )
        )
        return checks
    checks.append(Check("config", True, f"{config.brand.name}, {len(config.accounts)} account(s)"))
    checks += _sender(aws, config)
    checks.append(_schedules(aws, stack))
    checks.append(_studio(info["url"], fetch))
    checks += _accounts(config)
    checks.append(_failed_runs(aws, outputs.get("FailedInvocationsQueueUrl")))
    return checks


def _outputs(stack: str) -> dict[str, str]:
    from portevoix.core import aws

    found = aws.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}


def _sender(aws: Any, config: Any) -> list[Check]:
    ses = aws.client("ses")
    sender = config.sender
    domain = sender.split("@", 1)[1]
    found = ses.get_identity_verification_attributes(Identities=[sender, domain])
    states = {k: v.get("VerificationStatus") for k, v in found["VerificationAttributes"].items()}
    verified = states.get(sender) == "Success" or states.get(domain) == "Success"
    out = [
        Check(
            "sender",
            verified,
            f"{sender}: " + ("verified" if verified else (states.get(sender) or "not verified")),
            ""
            if verified
            else f"verify it: aws ses verify-email-identity --email-address {sender} "
            f"(or the domain {domain}, with its DKIM records), then click the link SES sends",
        )
    ]
    quota = ses.get_send_quota()
    if float(quota.get("Max24HourSend", 0)) <= SANDBOX_DAILY:
        out.append(
            Check(
                "sandbox",
                False,
                "SES is in its sandbox: only verified addresses receive, 200 emails a day",
                "ask for production access: SES console > Account dashboard > Request "
                "production access (a day or so)",
                warning=True,
            )
        )
    else:
        out.append(
            Check("sandbox", True, f"out of the sandbox: {quota['Max24HourSend']:.0f} a day")
        )
    return out


def _schedules(aws: Any, stack: str) -> Check:
    found = aws.client("scheduler").list_schedules(NamePrefix=f"{stack}-").get("Schedules", [])
    if not found:
        return Check("schedules", False, "none found", "redeploy: sam deploy")
    off = sorted(s["Name"] for s in found if s.get("State") != "ENABLED")
    if off:
        return Check(
            "schedules",
            False,
            f"{len(off)} of {len(found)} disabled: {', '.join(off)}",
            "enable each: aws scheduler update-schedule --name NAME --state ENABLED "
            "(with its other settings), or redeploy",
        )
    return Check("schedules", True, f"{len(found)} enabled")


def _studio(url: str, fetch: Any) -> Check:
    def get(target: str) -> int:
        import requests

        return requests.get(target, timeout=10, allow_redirects=False).status_code

    try:
        status = (fetch or get)(f"{url}/signin")
    except Exception as exc:  # noqa: BLE001 - unreachable, for whatever reason
        return Check("studio", False, f"{url}: {exc}", "check the HttpApi's stage and its function")
    if status != 200:
        return Check(
            "studio", False, f"{url}/signin answered {status}", "read the web function's logs"
        )
    return Check("studio", True, f"{url} answers")


def _accounts(config: Any) -> list[Check]:
    from portevoix.accounts import health

    out = []
    for status in health.check(config, datetime.now(UTC)):
        failed = status.status == "failed"
        out.append(
            Check(
                "account",
                not failed,
                f"{status.account}: {status.detail}",
                f"reconnect it in the studio (Accounts > Reconnect {status.account})"
                if failed or status.status == "expiring"
                else "",
                warning=status.status == "expiring",
            )
        )
    return out


def _failed_runs(aws: Any, queue: str | None) -> Check:
    if not queue:
        return Check("failed runs", False, "the stack has no FailedInvocationsQueueUrl output")
    sqs = aws.client("sqs")
    count = int(
        sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])[
            "Attributes"
        ]["ApproximateNumberOfMessages"]
    )
    if not count:
        return Check("failed runs", True, "none")
    peek = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=3, VisibilityTimeout=0)
    latest = []
    for m in peek.get("Messages", []):
        try:
            body = json.loads(m["Body"])
        except ValueError:
            body = {}
        what = (body.get("requestPayload") or {}).get("job") or "?"
        why = (body.get("responsePayload") or {}).get("errorMessage") or m["Body"][:120]
        latest.append(f"{what}: {why}")
    return Check(
        "failed runs",
        False,
        f"{count} waiting; latest: {'; '.join(latest)}",
        "read them (aws sqs receive-message), fix the cause, then purge the queue",
    )
