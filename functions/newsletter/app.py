"""Newsletter: sends the queued batches of an approved issue, paced, each recipient once;
suppresses the addresses SES reports as bounced for good or complaining.

Two event sources: the sending queue (SQS, one batch a message, one sender at a time)
and the SES configuration set's events (through SNS).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger

from portevoix.core.logs import install as redact_secrets

logger = redact_secrets(Logger(service="newsletter"))


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from portevoix.core import runtime
    from portevoix.newsletter import issues, subscribers

    records = event.get("Records") or []
    if records and records[0].get("EventSource") == "aws:sns":
        suppressed = []
        for record in records:
            try:
                message = json.loads(record["Sns"]["Message"])
            except (KeyError, ValueError):
                logger.warning("not an SES event", extra={"record": str(record)[:300]})
                continue
            suppressed += subscribers.ses_event(message)
        logger.info("SES events", extra={"suppressed": len(suppressed)})
        return {"suppressed": len(suppressed)}
    config = runtime.config()
    pace = issues.pacer(config)
    failures, totals = [], {"sent": 0, "skipped": 0, "gone": 0}
    for record in records:
        try:
            done = issues.deliver(config, json.loads(record["body"]), pace)
        except Exception:  # noqa: BLE001 - the batch comes back; its sent recipients are skipped
            logger.exception("batch failed", extra={"sqs_message_id": record.get("messageId")})
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        for k, v in done.items():
            totals[k] = totals.get(k, 0) + v
    logger.info("batches sent", extra={"newsletter": totals, "failed": len(failures)})
    return {"batchItemFailures": failures}
