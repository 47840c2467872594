"""Report: the morning digest, the weekly report, engagement reads and the daily account check."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics

from portevoix.core import telemetry
from portevoix.core.logs import install as redact_secrets

# Secrets are masked in every line this logger writes, extra fields included.
logger = redact_secrets(Logger(service="report"))
metrics = Metrics(namespace=telemetry.NAMESPACE, service="report")


def _collect(config: Any, when: Any) -> dict[str, Any]:
    """Engagement of recent posts; a network that fails is listed, never fatal."""
    from portevoix.reporting import engagement

    collected = engagement.collect(config, when).to_dict()
    telemetry.record(metrics, "report", EngagementRead=collected["read"])
    return collected


# Each job imports only what it runs: a cold start pays for one job, not five.
Sent = list[dict[str, Any]]


def _digest(config: Any, when: Any, event: dict[str, Any]) -> tuple[dict[str, Any], Sent]:
    from portevoix.reporting import digest

    sent = digest.send(config, when, once_per_day=True)
    return {"sent": len(sent)}, sent


def _report(config: Any, when: Any, event: dict[str, Any]) -> tuple[dict[str, Any], Sent]:
    """Weekly: fresh engagement first, then the last complete week."""
    from portevoix.reporting import report

    collected = _collect(config, when)
    sent: Sent = []
    if config.report.enabled:
        week = report.Week.parse(event["week"], config.tz) if event.get("week") else None
        sent = report.send(config, week, when, once=week is None)
    return {"sent": len(sent), "engagement": collected}, sent


def _metrics(config: Any, when: Any, event: dict[str, Any]) -> tuple[dict[str, Any], Sent]:
    """Daily: engagement of the posts of the last days, audiences, polls, boosts."""
    from portevoix.publishing import polls
    from portevoix.reporting import audience

    read = audience.collect(config, when)
    boosted = {}
    if config.boosts.ad_accounts:
        from portevoix.publishing import boosts

        boosted = boosts.collect(config, when)
    return {
        "engagement": _collect(config, when),
        "audience": {"read": len(read["read"]), "failed": read["failed"]},
        "polls": polls.collect(config, when),
        "boosts": boosted,
    }, []


def _accounts(config: Any, when: Any, event: dict[str, Any]) -> tuple[dict[str, Any], Sent]:
    """The daily run: account health, then approval reminders."""
    from portevoix.accounts import health
    from portevoix.publishing import workflow

    statuses = health.check(config, when)
    sent = health.alert(config, statuses, when)
    return {
        "sent": len(sent),
        "accounts": {s.account: s.status for s in statuses},
        "reminded": workflow.remind(config, when),
    }, sent


def _inbox(config: Any, when: Any, event: dict[str, Any]) -> tuple[dict[str, Any], Sent]:
    """Every 15 minutes: escalations; the grouped email at the team's hours."""
    from portevoix.contests import contest
    from portevoix.inbox import assignment, crisis, episodes, filing

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
    entries = contest.collect(config, when)  # one Query when no contest runs
    letters: dict[str, Any] = {}
    if config.newsletter.enabled:  # an interrupted enqueueing resumed, sent issues closed
        from portevoix.newsletter import issues

        letters = issues.sweep(config, when)
    return {
        "sent": (1 if notified else 0) + len(escalated),
        "mentions": len(notified),
        "escalations": len(escalated),
        "released": len(held["released"]),
        "episode_closed": bool(closed),
        "boosts": launched,
        "contest_entries": entries["new"],
        "newsletter": letters,
    }, []


JOBS = {
    "digest": _digest,
    "report": _report,
    "metrics": _metrics,
    "accounts": _accounts,
    "inbox": _inbox,
}


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from portevoix.core import runtime

    job = event.get("job", "digest")
    run = JOBS.get(job)
    if run is None:
        raise ValueError(f"unknown job {job!r}: this function runs {', '.join(JOBS)}")
    config = runtime.config()
    when = runtime.event_time(event)
    outcome, sent = run(config, when, event)
    result: dict[str, Any] = {"job": job, **outcome}
    result["recipients"] = sum(len(s["to"]) for s in sent)
    telemetry.record(metrics, "report", EmailsSent=result.get("sent", 0))
    logger.info("job finished", extra={"report": result})
    return result
