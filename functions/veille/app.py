"""Veille: poll the feeds that are due (EventBridge Scheduler, every 15 minutes)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics

from portevoix.core import telemetry
from portevoix.core.logs import install as redact_secrets

# Secrets are masked in every line this logger writes, extra fields included.
logger = redact_secrets(Logger(service="veille"))
# EMF; the only dimension is the service.
metrics = Metrics(namespace=telemetry.NAMESPACE, service="veille")
# The networks' reading (one request an account, 20 s at most, in parallel) and the writes.
LISTEN_AND_STORE_SECONDS = 45


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from portevoix.core import runtime
    from portevoix.listening import poller

    config = runtime.config()
    remaining = context.get_remaining_time_in_millis() / 1000 if context else 300
    # Fetching stops in time for the slowest fetch already started (its total timeout), the
    # storing and the networks' reading to end before Lambda's limit: a run cut there would
    # leave its work to the next one (nothing lost), but never in the middle of a write.
    reserve = config.fetch.total_timeout_seconds + LISTEN_AND_STORE_SECONDS
    report = poller.poll(
        config,
        runtime.event_time(event),
        scheduled=event.get("job") != "veille-now",
        budget_seconds=max(10.0, remaining - reserve),
    )
    result = report.to_dict()
    telemetry.record(
        metrics,
        "veille",
        ItemsIngested=result["new_items"],
        MentionsIngested=result["mentions"],
        FeedFailures=len(result["failed"]),
    )
    # One summary line per run; per-feed detail as fields, never raw bodies.
    logger.info("poll finished", extra={"poll": result})
    return result
