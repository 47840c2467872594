"""Report: the morning digest (cron in the brand's time zone)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

logger = Logger(service="report")


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from portevoix import digest, runtime

    job = event.get("job", "digest")
    if job != "digest":
        raise ValueError(f"unknown job {job!r}: this function runs 'digest'")
    config = runtime.config()
    sent = digest.send(config, runtime.event_time(event), once_per_day=True)
    result = {"job": job, "sent": len(sent), "recipients": sum(len(s["to"]) for s in sent)}
    logger.info("digest finished", extra={"digest": result})
    return result
