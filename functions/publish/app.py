"""Publish: the tasks of the publish state machine (one function, one task per call)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics

from portevoix.core import telemetry
from portevoix.core.logs import install as redact_secrets

logger = redact_secrets(Logger(service="publish"))
metrics = Metrics(namespace=telemetry.NAMESPACE, service="publish")
TASKS = (
    "check",
    "notify_blocked",
    "request_approval",
    "notify_rejected",
    "expired",
    "check_freeze",
    "hold",
    "hold_expired",
    "publish_one",
    "record",
)


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from portevoix.core import runtime
    from portevoix.publishing import workflow

    task = event.get("task")
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}: one of {', '.join(TASKS)}")
    config = runtime.config()
    args = {k: v for k, v in event.items() if k != "task"}
    result = workflow.run_task(config, task, args)
    if task == "record":  # once per post: what went out, what failed
        telemetry.record(
            metrics,
            "publish",
            PostsPublished=result["published"],
            PublishFailures=result["failed"],
        )
    logger.info(
        "task finished", extra={"task": task, "post_id": event.get("post_id"), "result": result}
    )
    return result
