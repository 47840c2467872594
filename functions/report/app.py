"""Report: the morning digest, the weekly report, engagement reads and the daily account check."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics

from portevoix.core import telemetry
from portevoix.core.logs import install as redact_secrets

# Secrets are masked in every line this logger writes, extra fields included.
logger = redact_secrets(Logger(service="report"))
metrics = Metrics(namespace=telemetry.NAMESPACE, service="report")
JOBS = ("digest", "report", "metrics", "accounts", "inbox")


def _collect(config: Any, when: Any) -> dict[str, Any]:
    """Engagement of recent posts; a network that fails is listed, never fatal."""
    from portevoix.reporting import engagement

    collected = engagement.collect(config, when).to_dict()
    telemetry.record(metrics, "report", EngagementRead=collected["read"])
    return collected


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from portevoix.accounts import health
    from portevoix.core import runtime
    from portevoix.inbox import filing
    from portevoix.publishing import workflow
    from portevoix.reporting import digest, report

    job = event.get("job", "digest")
    if job not in JOBS:
        raise ValueError(f"unknown job {job!r}: this function runs {', '.join(JOBS)}")
    config = runtime.config()
    when = runtime.event_time(event)
    sent: list[dict[str, Any]] = []
    if job == "digest":
        sent = digest.send(config, when, once_per_day=True)
        result: dict[str, Any] = {"job": job, "sent": len(sent)}
    elif job == "report":  # weekly: fresh engagement first, then the last complete week
        collected = _collect(config, when)
        if config.report.enabled:
            week = report.Week.parse(event["week"], config.tz) if event.get("week") else None
            sent = report.send(config, week, when, once=week is None)
        result = {"job": job, "sent": len(sent), "engagement": collected}
    elif job == "metrics":  # daily: engagement of the posts of the last days, audiences
        from portevoix.publishing import boosts, polls
        from portevoix.reporting import audience

        read = audience.collect(config, when)
        result = {
            "job": job,
            "engagement": _collect(config, when),
            "audience": {"read": len(read["read"]), "failed": read["failed"]},
            "polls": polls.collect(config, when),
            "boosts": boosts.collect(config, when) if config.boosts.ad_accounts else {},
        }
    elif job == "accounts":  # the daily run: account health, then approval reminders
        statuses = health.check(config, when)
        sent = health.alert(config, statuses, when)
        result = {
            "job": job,
            "sent": len(sent),
            "accounts": {s.account: s.status for s in statuses},
            "reminded": workflow.remind(config, when),
        }
    else:  # inbox, every 15 minutes: escalations; the grouped email at the team's hours
        from portevoix.inbox import assignment, crisis, episodes

        local = when.astimezone(config.tz)
        on_the_hour = local.minute < 15 and local.hour in config.inbox.hours
        notified = filing.send_batch(config, when) if on_the_hour else []
        escalated = assignment.escalate(config, when)
        # a post held while the freeze was being lifted is released here (no-op when frozen)
        held = crisis.release_held(config, by="system")
        closed = episodes.close_if_quiet(config, when)
        launched = {}
        if config.boosts.ad_accounts:  # approved boosts whose launch was interrupted
            from portevoix.publishing import boosts

            launched = boosts.sweep(config, when)
        from portevoix.contests import contest

        entries = contest.collect(config, when)  # one Query when no contest runs
        letters: dict[str, Any] = {}
        if config.newsletter.enabled:  # an interrupted enqueueing resumed, sent issues closed
            from portevoix.newsletter import issues

            letters = issues.sweep(config, when)
        result = {
            "job": job,
            "sent": (1 if notified else 0) + len(escalated),
            "mentions": len(notified),
            "escalations": len(escalated),
            "released": len(held["released"]),
            "episode_closed": bool(closed),
            "boosts": launched,
            "contest_entries": entries["new"],
            "newsletter": letters,
        }
    result["recipients"] = sum(len(s["to"]) for s in sent)
    telemetry.record(metrics, "report", EmailsSent=result.get("sent", 0))
    logger.info("job finished", extra={"report": result})
    return result
