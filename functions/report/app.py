"""Report: the morning digest and the daily account check (crons in the brand's time zone)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from portevoix.logs import install as redact_secrets

# Secrets are masked in every line this logger writes, extra fields included.
logger = redact_secrets(Logger(service="report"))


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from portevoix import runtime

    job = event.get("job", "digest")
    config = runtime.config()
    when = runtime.event_time(event)
    if job == "digest":
        from portevoix import digest

        sent = digest.send(config, when, once_per_day=True)
        result: dict[str, Any] = {"job": job, "sent": len(sent)}
    elif job == "accounts":  # the daily run: account health, then approval reminders
        from portevoix import accounts, publishing

        statuses = accounts.check(config, when)
        sent = accounts.alert(config, statuses, when)
        result = {
            "job": job,
            "sent": len(sent),
            "accounts": {s.account: s.status for s in statuses},
            "reminded": publishing.remind(config, when),
        }
    elif job == "inbox":  # hourly: the grouped email, at the team's hours only
        from portevoix import inbox

        local_hour = when.astimezone(config.tz).hour
        sent = []
        notified = inbox.send_batch(config, when) if local_hour in config.inbox.hours else []
        result = {"job": job, "sent": 1 if notified else 0, "mentions": len(notified)}
    else:
        raise ValueError(f"unknown job {job!r}: this function runs 'digest', 'accounts' or 'inbox'")
    result["recipients"] = sum(len(s["to"]) for s in sent)
    logger.info("digest finished", extra={"digest": result})
    return result
