"""Reply: new mentions (table stream) classified and filed, urgent ones told at once; inbound email (S3)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics

from portevoix.core import telemetry
from portevoix.core.logs import install as redact_secrets

logger = redact_secrets(Logger(service="reply"))
metrics = Metrics(namespace=telemetry.NAMESPACE, service="reply")
_urgent: list[dict[str, Any]] = []  # urgent mentions of the batch being processed
_filed: list[str] = []  # mentions filed in the batch being processed
_negative: list[str] = []  # negative mentions of the batch: one surge check for all


def record_handler(record: dict[str, Any]) -> None:
    """One stream record; an exception marks only this record as failed."""
    from portevoix.core import runtime, store
    from portevoix.inbox import filing

    raw = (record.get("dynamodb") or {}).get("NewImage")
    if record.get("eventName") != "INSERT" or not raw or raw.get("SK") != {"S": "MENTION"}:
        return  # updates and other entities are not new mentions
    filed = filing.handle_new(runtime.config(), store.from_ddb(raw), alert=False)
    _filed.append(filed["PK"])
    if filed.get("sentiment") == "negative" and not filed.get("own"):
        _negative.append(filed["PK"])
    if filing.is_urgent(filed):
        _urgent.append(filed)
    logger.info(
        "mention filed",
        extra={"mention": filed["PK"], "intent": filed["intent"], "urgency": filed["urgency"]},
    )


def _inbound(event: dict[str, Any]) -> dict[str, Any]:
    """An S3 event: emails SES stored under inbound/ become mentions."""
    from urllib.parse import unquote_plus

    from portevoix.inbox import inbound

    created = 0
    for record in event["Records"]:
        key = unquote_plus(record["s3"]["object"]["key"])
        if inbound.ingest(record["s3"]["bucket"]["name"], key):
            created += 1
    logger.info("inbound email", extra={"emails": len(event["Records"]), "mentions": created})
    return {"mentions": created}


def _each_record(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Each stream record on its own; the failed ones are reported back by sequence number.

    Lambda's ``ReportBatchItemFailures`` contract, written out: Powertools' batch
    utility imports asyncio and every event class, a quarter of boto3's import,
    at each cold start. A batch where every record failed raises, so that Lambda
    bisects it (``BisectBatchOnFunctionError``).
    """
    failures: list[dict[str, str]] = []
    first: Exception | None = None
    for record in records:
        try:
            record_handler(record)
        except Exception as exc:  # noqa: BLE001 - this record comes back alone
            sequence = str((record.get("dynamodb") or {}).get("SequenceNumber", ""))
            logger.exception("record failed", extra={"sequence": sequence})
            failures.append({"itemIdentifier": sequence})
            first = first or exc
    if records and len(failures) == len(records):
        raise RuntimeError(f"all {len(records)} records of the batch failed") from first
    return {"batchItemFailures": failures}


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from portevoix.core import runtime
    from portevoix.inbox import filing

    records = event.get("Records") or []
    if records and records[0].get("eventSource") == "aws:s3":
        return _inbound(event)

    _urgent.clear()
    _filed.clear()
    _negative.clear()
    result = _each_record(records)
    if _negative:  # the hour's negative count is up to date: one surge check per batch
        from portevoix.inbox import crisis

        crisis.check(runtime.config())
    if _urgent:
        # One email per kind for the whole batch; if it fails, the claims are
        # released and the hourly inbox email carries them: nothing is lost.
        try:
            filing.notify_urgent(runtime.config(), list(_urgent))
        except Exception:  # noqa: BLE001 - reported, and left to the grouped email
            logger.exception("urgent alert not sent; the next inbox email will carry it")
    telemetry.record(metrics, "reply", MentionsFiled=len(_filed), UrgentAlerts=len(_urgent))
    return result
