"""What a deployment costs a month: a workload from the configuration, priced line by line.

``USAGE`` holds what one unit of work costs in AWS terms (capacity units,
Lambda milliseconds, log bytes, transitions, emails); ``bench/cost.py``
measures the same keys through the real handlers and fails when they
drift. ``ASSUMED`` holds what cannot be measured offline (the time a real
feed takes to answer). Prices live in ``pricing``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portevoix.core.telemetry import count as metric_count
from portevoix.networks import network_class
from portevoix.networks.base import Network
from portevoix_local import pricing

DAYS = 30.42  # a month
HOURS = DAYS * 24
WEEKS = DAYS / 7

# Measured by bench/cost.py (see bench/baseline-cost.json); keep the keys in step.
USAGE: dict[str, float] = {
    "poll.rru_per_feed": 0.5,  # the feed states, read once a run
    "poll.rru_per_new_item": 0.5,
    "poll.wru_per_new_item": 1.5,  # the item, its mention, feed states, counters, its batch record
    "poll.lambda_ms_per_fetch": 30,  # a feed polled (local server: the network adds ASSUMED)
    "poll.lambda_ms_per_new_item": 2.5,  # noisy here: 0.4 to 1.9 ms
    "poll.log_bytes_per_run": 1000,
    "reply.rru_per_mention": 1.0,  # negative ones read the crisis baseline
    "reply.wru_per_mention": 1.5,
    "reply.lambda_ms_per_mention": 60,
    "reply.log_bytes_per_mention": 600,
    "digest.rru_per_item": 0.3,
    "report.rru_per_run": 350,  # counters (a Query a day) and crisis alerts of two weeks: 183
    "report.rru_per_mention": 0.2,
    "report.lambda_ms_per_run": 1500,  # 590 to 1,420 ms in moto here (first render included)
    "report.lambda_ms_per_mention": 3.0,
    "engagement.rru_per_post": 0.05,
    "engagement.wru_per_post": 1.0,
    "audience.wru_per_account_day": 1.0,  # one small item per account and day
    "audience.rru_per_account_report": 5.0,  # twelve weeks of days in one Query
    "post.transitions_per_network": 7.5,  # measured on a 2-network post: 15
    "post.rru_per_network": 6.0,
    "post.wru_per_network": 7.5,
    "post.lambda_invocations_per_network": 3,
    "post.emails": 2,  # the approval request and the result
    # a contest's entry: stored once; the week's 672 collections read them all (0.5 KB each,
    # eventually consistent: 0.5 RRU per 4 KB)
    "contest.wru_per_entry": 1.0,
    "contest.rru_per_entry_run": 0.0625,
    # a newsletter recipient: the subscriber read, its marker claimed then marked sent
    "newsletter.rru_per_email": 1.0,
    "newsletter.wru_per_email": 2.0,
    "newsletter.lambda_ms_per_email": 12,  # build + SES call, the pacing's waits apart
}

ASSUMED: dict[str, float] = {
    "fetch_seconds_per_feed": 0.4,  # a real feed's answer, waited for in a pool of threads
    "platform_log_bytes": 750,  # START, END and REPORT lines of each invocation (JSON format)
    "post.lambda_ms_per_task": 300,
    "post.api_requests": 3,  # the approver opens the page, decides (POST), maybe reopens
    "mention_kb": 1.5,
    "item_kb": 1.2,
    "report_csv_kb": 12,
    "memory_gb": 0.5,  # the template's MemorySize
}


BEDROCK_TOKENS = (450, 90)  # per message: the instructions and the message in, a verdict out


def _bedrock(w: Workload, mentions: float) -> list[Line]:
    """The model's second opinion, per message filed (none when it is off)."""
    if not w.bedrock_model:
        return []
    from portevoix_local import pricing

    model = w.bedrock_model.split(":", 1)[0].removeprefix("eu.").removeprefix("us.")
    price_in, price_out = next(
        (p for prefix, p in pricing.BEDROCK_1K.items() if model.startswith(prefix)),
        pricing.BEDROCK_1K["anthropic.claude-3-5-haiku"],  # unknown: priced high, not low
    )
    per_message = (BEDROCK_TOKENS[0] * price_in + BEDROCK_TOKENS[1] * price_out) / 1000
    line = Line("Bedrock", f"second opinion ({w.bedrock_model})", mentions, "messages", "")
    line.unit_price = per_message
    return [line]


def _stored_size(config: Any) -> int:
    """The configuration's size as the SSM parameter holds it (compact YAML, no defaults)."""
    import yaml

    data = config.model_dump(mode="json", exclude_defaults=True)
    data["accounts"] = [
        a.model_dump(mode="json", exclude_defaults=True) for a in config.all_accounts
    ]
    return len(yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8"))


@dataclass
class Workload:
    """A month of one brand, from its configuration (override any guess)."""

    feeds: int
    runs_per_month: float
    fetches_per_month: float
    concurrency: int
    items_per_day: float
    mentions_per_day: float
    posts_per_week: float
    networks_per_post: int
    recipients: int
    languages: int
    inbox_emails_per_day: int
    secrets_manager: int
    accounts: int = 0  # enabled accounts: one audience reading each a day
    config_bytes: int = 0  # the configuration as stored (compact YAML): its SSM tier
    bedrock_model: str = ""  # inbox.bedrock's model when it is on
    log_retention_days: int = 14
    contest_entries: float = 0.0  # a month
    subscribers: float = 0.0
    issues_per_month: float = 0.0
    newsletter_rate: float = 10.0  # emails a second: the sender's (paced) duration
    guesses: list[str] = field(default_factory=list)

    @classmethod
    def from_config(
        cls,
        config: Any,
        *,
        items_per_day: float | None = None,
        mentions_per_day: float | None = None,
        posts_per_week: float | None = None,
        contest_entries: float | None = None,
        subscribers: float | None = None,
    ) -> Workload:
        guesses = []
        if contest_entries is None:
            contest_entries = 500.0
            guesses.append("500 contest entries a month (one week-long contest)")
        letter = config.newsletter
        if subscribers is None:
            subscribers = 1000.0 if letter.enabled else 0.0
            if letter.enabled:
                guesses.append("1,000 newsletter subscribers")
        feeds = len(config.feeds)
        runs = HOURS * 4  # the veille schedule: every 15 minutes
        fetches = sum(
            HOURS * 60 / max(15, f.interval_minutes or config.fetch.interval_minutes)
            for f in config.feeds
        )
        publishers = [
            a
            for a in config.accounts
            if a.network != "webhook" and network_class(a.network).publish is not Network.publish
        ]
        if items_per_day is None:
            items_per_day = 10.0 * feeds
            guesses.append(f"{items_per_day:g} new items a day (10 per feed)")
        if mentions_per_day is None:
            readers = sum(1 for a in config.accounts if a.read)
            mentions_per_day = 2.5 * feeds + 20 * readers
            guesses.append(
                f"{mentions_per_day:g} mentions a day (2.5 per feed, 20 per account read)"
            )
        if posts_per_week is None:
            targets = [
                config.charter.for_network(a.network).weekly_target
                for a in publishers
                if config.charter.for_network(a.network).weekly_target is not None
            ]
            posts_per_week = float(max(targets)) if targets else (5.0 if publishers else 0.0)
            guesses.append(
                f"{posts_per_week:g} posts a week (the charter's weekly target)"
                if targets
                else f"{posts_per_week:g} posts a week"
            )
        secrets_manager = len(
            {
                getattr(a, "secret", "")
                for a in config.accounts
                if str(getattr(a, "secret", "")).startswith("secretsmanager:")
            }
        )
        return cls(
            feeds=feeds,
            runs_per_month=runs,
            fetches_per_month=fetches,
            concurrency=config.fetch.concurrency,
            items_per_day=items_per_day,
            mentions_per_day=mentions_per_day,
            posts_per_week=posts_per_week,
            networks_per_post=max(1, len(publishers)),
            recipients=len(config.team),
            languages=max(1, len(config.recipients())),
            inbox_emails_per_day=len(config.inbox.hours),
            secrets_manager=secrets_manager,
            accounts=len(config.accounts),
            config_bytes=_stored_size(config),
            bedrock_model=config.inbox.bedrock.model_id if config.inbox.bedrock.enabled else "",
            contest_entries=contest_entries,
            subscribers=subscribers,
            issues_per_month=(WEEKS if letter.frequency == "weekly" else 1.0) if subscribers else 0,
            newsletter_rate=letter.rate_per_second,
            guesses=guesses,
        )


@dataclass
class Line:
    service: str
    what: str
    quantity: float
    unit: str
    price_key: str
    cost: float = 0.0  # before the always-free allowance
    billed: float = 0.0  # after it
    unit_price: float | None = None  # when no key of pricing.PRICES names it (a model)


@dataclass
class Estimate:
    workload: Workload
    lines: list[Line]

    @property
    def total(self) -> float:
        return sum(line.billed for line in self.lines)

    @property
    def total_without_free_tier(self) -> float:
        return sum(line.cost for line in self.lines)

    def by_service(self) -> dict[str, tuple[float, float]]:
        out: dict[str, tuple[float, float]] = {}
        for line in self.lines:
            cost, billed = out.get(line.service, (0.0, 0.0))
            out[line.service] = (cost + line.cost, billed + line.billed)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": pricing.REGION,
            "prices_as_of": pricing.AS_OF,
            "total_usd": round(self.total, 2),
            "total_without_free_tier_usd": round(self.total_without_free_tier, 2),
            "assumptions": self.workload.guesses,
            "lines": [
                {
                    "service": line.service,
                    "what": line.what,
                    "quantity": round(line.quantity, 1),
                    "unit": line.unit,
                    "usd": round(line.billed, 4),
                    "usd_without_free_tier": round(line.cost, 4),
                }
                for line in self.lines
            ],
        }


def estimate(w: Workload) -> Estimate:
    """The month's bill, line by line."""
    u, a = USAGE, ASSUMED
    items = w.items_per_day * DAYS
    mentions = w.mentions_per_day * DAYS
    posts = w.posts_per_week * WEEKS
    runs = w.runs_per_month
    digests = DAYS
    reports = WEEKS
    posts_in_window = w.posts_per_week * 2  # engagement read back over 14 days

    # Lambda invocations and duration
    per_fetch_ms = max(
        u["poll.lambda_ms_per_fetch"], 1000 * a["fetch_seconds_per_feed"] / max(1, w.concurrency)
    )
    veille_ms = w.fetches_per_month * per_fetch_ms + items * u["poll.lambda_ms_per_new_item"]
    reply_invocations = min(mentions, runs)  # the stream batches a poll's mentions together
    reply_ms = mentions * u["reply.lambda_ms_per_mention"]
    inbox_runs = 4 * HOURS  # every 15 minutes: escalations, and the grouped email on the hour
    scheduled = runs + digests + inbox_runs + 3 * DAYS + reports  # veille, digest, daily jobs
    report_runs = digests + inbox_runs + 3 * DAYS + reports
    report_ms = (
        report_runs * u["report.lambda_ms_per_run"]
        + reports * 14 * w.mentions_per_day * u["report.lambda_ms_per_mention"]
    )
    tasks = posts * u["post.lambda_invocations_per_network"] * w.networks_per_post
    letters = w.subscribers * w.issues_per_month  # newsletter emails
    batches = letters / 50  # a queue message, a sender invocation
    invocations = scheduled + reply_invocations + tasks + posts * a["post.api_requests"] + batches
    lambda_ms = (
        veille_ms
        + reply_ms
        + report_ms
        + tasks * a["post.lambda_ms_per_task"]
        + letters * max(u["newsletter.lambda_ms_per_email"], 1000 / w.newsletter_rate)
    )
    gb_seconds = a["memory_gb"] * lambda_ms / 1000

    # DynamoDB
    n = w.networks_per_post
    wru = (
        items * u["poll.wru_per_new_item"]
        + mentions * u["reply.wru_per_mention"]
        + posts * n * u["post.wru_per_network"]
        + DAYS * posts_in_window * n * u["engagement.wru_per_post"]
        + DAYS * w.accounts * u["audience.wru_per_account_day"]
        + w.contest_entries * u["contest.wru_per_entry"]
        + letters * u["newsletter.wru_per_email"]
        + w.subscribers * 0.05 * 3  # sign-ups and confirmations (5 % of the list a month)
    )
    rru = (
        runs * w.feeds * u["poll.rru_per_feed"]
        + items * u["poll.rru_per_new_item"]
        + mentions * u["reply.rru_per_mention"]
        + digests * w.items_per_day * u["digest.rru_per_item"]
        + reports
        * (u["report.rru_per_run"] + 14 * w.mentions_per_day * u["report.rru_per_mention"])
        + posts * n * u["post.rru_per_network"]
        + DAYS * posts_in_window * n * u["engagement.rru_per_post"]
        + reports * w.accounts * u["audience.rru_per_account_report"]
        # a week-long contest read every 15 minutes; its entries arrive over the week
        + 4 * 24 * 7 * (w.contest_entries / 2) * u["contest.rru_per_entry_run"]
        + letters * u["newsletter.rru_per_email"]
    )
    table_gb = (
        (w.items_per_day * 90 * a["item_kb"] + w.mentions_per_day * 365 * a["mention_kb"])
        / 1024
        / 1024
    )
    storage_gb = 2 * table_gb  # the GSI projects every attribute

    # Email
    emails = (
        digests * w.languages
        + reports * w.languages
        + DAYS * w.inbox_emails_per_day * w.languages
        + posts * u["post.emails"]
        + mentions * 0.05  # urgent alerts, grouped per stream batch
        + letters
        + w.subscribers * 0.05  # confirmation emails
    )
    attachments_gb = reports * w.languages * a["report_csv_kb"] / 1024 / 1024

    # Logs: one summary line a run, EMF, and the platform's lines
    log_bytes = (
        runs * (u["poll.log_bytes_per_run"] + a["platform_log_bytes"])
        + reply_invocations * a["platform_log_bytes"]
        + mentions * u["reply.log_bytes_per_mention"]
        + (invocations - runs - reply_invocations) * (a["platform_log_bytes"] + 600)
    )
    logs_gb = log_bytes / 1024**3
    logs_stored = logs_gb * w.log_retention_days / DAYS

    lines = [
        Line("Lambda", "invocations", invocations, "requests", "lambda_request"),
        Line("Lambda", "compute (arm64, 512 MB)", gb_seconds, "GB-s", "lambda_gb_second_arm64"),
        Line("DynamoDB", "writes (on-demand)", wru, "write units", "dynamodb_wru"),
        Line("DynamoDB", "reads (on-demand)", rru, "read units", "dynamodb_rru"),
        Line("DynamoDB", "storage (table + index)", storage_gb, "GB-month", "dynamodb_gb_month"),
        Line("DynamoDB", "point-in-time recovery", table_gb, "GB-month", "dynamodb_pitr_gb_month"),
        Line(
            "Step Functions",
            "state transitions (publish workflow)",
            posts * n * u["post.transitions_per_network"],
            "transitions",
            "sfn_transition",
        ),
        Line(
            "EventBridge Scheduler",
            "scheduled invocations",
            scheduled,
            "invocations",
            "scheduler_invocation",
        ),
        *_bedrock(w, mentions),
        Line("SES", "emails sent", emails, "emails", "ses_email"),
        Line("SES", "attachments (report CSV)", attachments_gb, "GB", "ses_attachment_gb"),
        Line(
            "API Gateway",
            "approval and action pages",
            posts * a["post.api_requests"] + mentions * 0.02,
            "requests",
            "http_api_request",
        ),
        Line("CloudWatch", "logs ingested", logs_gb, "GB", "logs_ingested_gb"),
        Line("CloudWatch", "logs stored", logs_stored, "GB-month", "logs_stored_gb_month"),
        Line(
            "CloudWatch",
            "custom metrics (EMF, one dimension)",
            metric_count(),
            "metrics",
            "cloudwatch_metric_month",
        ),
        Line("SQS", "failed-run queue", 3 * DAYS * 30, "requests", "sqs_request"),
        Line(
            "SQS",
            "newsletter batches (send, receive, delete; the sender's polling)",
            batches * 3 + (HOURS * 60 * 3 if w.subscribers else 0),
            "requests",
            "sqs_request",
        ),
    ]
    if w.config_bytes > 4096:  # a Standard parameter (4 KB) is free
        lines.append(
            Line(
                "SSM",
                "configuration (Advanced parameter, over 4 KB)",
                1,
                "parameter",
                "ssm_advanced_parameter_month",
            )
        )
    if w.secrets_manager:
        lines.append(
            Line(
                "Secrets Manager",
                "network tokens",
                w.secrets_manager,
                "secrets",
                "secretsmanager_secret_month",
            )
        )
    _price(lines)
    return Estimate(w, lines)


def _price(lines: list[Line]) -> None:
    """Cost of each line, then the always-free allowances, shared by the lines of one price."""
    remaining = dict(pricing.ALWAYS_FREE)
    remaining["logs_stored_gb_month"] = 0.0
    for line in lines:
        price = line.unit_price if line.unit_price is not None else pricing.PRICES[line.price_key]
        line.cost = line.quantity * price
        key = line.price_key
        if key == "logs_stored_gb_month":  # the 5 GB of logs cover ingestion and storage together
            key = "logs_ingested_gb"
        free = remaining.get(key, 0.0)
        covered = min(free, line.quantity)
        remaining[key] = free - covered
        line.billed = (line.quantity - covered) * price


def format_usd(value: float) -> str:
    if value and value < 0.01:
        return "<$0.01"
    return f"${value:,.2f}"


def render(est: Estimate) -> str:
    """The estimate as a person reads it in a terminal."""
    w = est.workload
    out = [
        f"Monthly AWS cost estimate ({pricing.REGION} list prices of {pricing.AS_OF})",
        f"Workload: {w.feeds} feed(s) polled {w.fetches_per_month:,.0f} times a month, "
        f"{w.items_per_day:g} items and {w.mentions_per_day:g} mentions a day, "
        f"{w.posts_per_week:g} posts a week on {w.networks_per_post} network(s), "
        f"{w.recipients} team member(s).",
    ]
    if w.guesses:
        out.append("Guessed (override with --items-per-day, --mentions-per-day, --posts-per-week):")
        out += [f"  - {g}" for g in w.guesses]
    out.append("")
    width = max(len(f"{line.service}: {line.what}") for line in est.lines)
    out.append(f"{'line':{width}}  {'quantity':>16}  {'list price':>10}  {'billed':>9}")
    for line in est.lines:
        label = f"{line.service}: {line.what}"
        qty = f"{_qty(line.quantity)} {line.unit}"
        out.append(
            f"{label:{width}}  {qty:>16}  {format_usd(line.cost):>10}  {format_usd(line.billed):>9}"
        )
    out.append("")
    for service, (cost, billed) in est.by_service().items():
        out.append(
            f"  {service:22} {format_usd(billed):>9}  (without the free tier {format_usd(cost)})"
        )
    out.append("")
    out.append(
        f"Total: {format_usd(est.total)} a month with the always-free allowances, "
        f"{format_usd(est.total_without_free_tier)} without them."
    )
    out.append("Not counted: data transfer (small: feeds come in, posts and emails are a few KB).")
    return "\n".join(out)


def _qty(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.3g}" if value else "0"
