"""A newsletter issue: the period's picks and posts with an editorial, approved, sent once.

``NEWSLETTER#<period>`` / ``ISSUE`` (``2026-12`` or ``2026-W49``) holds the
editorial per language, the status (``draft`` -> ``awaiting_approval`` ->
``approved`` -> ``sending`` -> ``sent``) and the counts; ``PICK#<item>`` the
digest items the team picked; ``TO#<subscriber>`` one marker per recipient,
claimed before SES is called: a recipient is never sent the issue twice, even
when a sender stops in the middle and another resumes.

Sending goes through SQS: the approval (or the 15-minute sweep, if it was
interrupted) enqueues the confirmed subscribers in batches; one sender at a
time (reserved concurrency 1) takes a batch and paces it under the
configured rate and the SES account's own.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from portevoix.core import links, store
from portevoix.core.errors import NewsletterError
from portevoix.core.timeutil import iso, parse_iso
from portevoix.newsletter import subscribers

BATCH = 50  # recipients a queue message
INDEX = "ISSUES"
APPROVAL_DAYS = 3
MAX_ROUNDS = 3  # times the recipients not reached are queued again before the issue closes


def key(issue_id: str) -> store.Key:
    return f"NEWSLETTER#{issue_id}", "ISSUE"


def period(config: Any, when: datetime) -> str:
    local = when.astimezone(config.tz).date()
    if config.newsletter.frequency == "weekly":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return local.strftime("%Y-%m")


def bounds(config: Any, issue_id: str) -> tuple[datetime, datetime]:
    """The period's start and end (UTC) in the brand's zone."""
    if "-W" in issue_id:
        year, week = issue_id.split("-W")
        first = date.fromisocalendar(int(year), int(week), 1)
        last = first + timedelta(days=7)
    else:
        year, month = (int(x) for x in issue_id.split("-"))
        first = date(year, month, 1)
        last = date(year + month // 12, month % 12 + 1, 1)

    def at(d: date) -> datetime:
        return datetime.combine(d, dtime(0), tzinfo=config.tz).astimezone(UTC)

    return at(first), at(last)


def valid_id(issue_id: str) -> bool:
    import re

    return bool(re.fullmatch(r"\d{4}-(W\d{2}|\d{2})", issue_id or ""))


def get(issue_id: str) -> dict[str, Any] | None:
    return store.get(*key(issue_id)) if valid_id(issue_id) else None


def current(config: Any, now: datetime | None = None) -> dict[str, Any]:
    """The issue of the period ``now`` falls in (created as a draft if needed)."""
    issue_id = period(config, now or datetime.now(UTC))
    found = get(issue_id)
    if found is None:
        store.put_if_absent(
            store.with_key(
                key(issue_id),
                issue_id=issue_id,
                status="draft",
                editorial={},
                GSI1PK=INDEX,
                GSI1SK=issue_id,
            )
        )
        found = get(issue_id) or {}
    return found


def pick(config: Any, item_id: str, by: str, now: datetime | None = None) -> dict[str, Any]:
    """Add a monitored item (from the digest) to the current issue."""
    now = now or datetime.now(UTC)
    item = store.get(*store.item_key(item_id))
    if item is None:
        raise NewsletterError(f"no item {item_id[:80]!r}: it may have expired (90 days)")
    issue = current(config, now)
    if issue["status"] != "draft":
        raise NewsletterError(
            f"the issue {issue['issue_id']} is {issue['status']}: too late to add"
        )
    link = item.get("link") if str(item.get("link", "")).startswith("https://") else None
    store.put(
        store.with_key(
            (f"NEWSLETTER#{issue['issue_id']}", f"PICK#{item_id}"),
            item_id=item_id,
            title=(item.get("title") or "")[:300],
            link=link,
            summary=(item.get("summary") or item.get("text") or "")[:600],
            source=item.get("feed_name") or item.get("source") or "",
            picked_by=by,
            picked_at=iso(now),
        )
    )
    return issue


def unpick(issue_id: str, item_id: str) -> None:
    store.delete(f"NEWSLETTER#{issue_id}", f"PICK#{item_id}")


def picks(issue_id: str) -> list[dict[str, Any]]:
    return store.query(f"NEWSLETTER#{issue_id}", "PICK#", "PICK#\uffff")


def published_posts(config: Any, issue_id: str) -> list[dict[str, Any]]:
    """The brand's posts published in the period, each once, with each network's link."""
    from portevoix.reporting.engagement import published

    start, end = bounds(config, issue_id)
    by_post: dict[str, dict[str, Any]] = {}
    for account in config.accounts:
        for entry in published(account.key, start, end):
            post_id = store.id_of(entry["PK"])
            row = by_post.setdefault(post_id, {"post_id": post_id, "links": [], "at": ""})
            if str(entry.get("url", "")).startswith("https://"):
                row["links"].append({"account": account.key, "url": entry["url"]})
            row["at"] = max(row["at"], entry.get("published_at") or "")
    if by_post:
        for post in store.batch_get([store.post_key(p) for p in by_post]):
            row = by_post[post["post_id"]]
            first = next(iter(post.get("variants", {}).values()), {})
            row.update(title=post.get("title") or "", text=first.get("text", "")[:600])
    return sorted(by_post.values(), key=lambda r: r["at"])


def save(issue_id: str, editorial: dict[str, str], by: str) -> bool:
    """The editorial paragraph per language (only while a draft)."""
    from portevoix.core.text import clean_written

    text = {lang: clean_written(v or "", 3000).strip() for lang, v in editorial.items()}
    return store.update(
        *key(issue_id), {"editorial": text, "edited_by": by}, condition=("status", ("draft",))
    )


def render(config: Any, issue: dict[str, Any], lang: str, unsubscribe: str = "#") -> Any:
    """The issue as an email in ``lang`` (``unsubscribe``: the reader's one-click address)."""
    from portevoix.core import mail
    from portevoix.core.i18n import format_date, t
    from portevoix.inbox.replies import sandbox

    title_source = config.newsletter.title.get(lang) or t(lang, "newsletter.default_title")
    title = sandbox().from_string(title_source).render(brand=config.brand.name)
    start, end = bounds(config, issue["issue_id"])
    posts = published_posts(config, issue["issue_id"])
    for post in posts:
        moment = parse_iso(post["at"])
        post["when"] = (
            format_date(moment.astimezone(config.tz), lang, with_time=False) if moment else ""
        )
    subject = t(lang, "newsletter.subject", title=title, period=label(issue["issue_id"], lang))
    return mail.render(
        "newsletter",
        subject=subject,
        lang=lang,
        brand=config.brand.name,
        title=title,
        period=label(issue["issue_id"], lang),
        editorial=(issue.get("editorial") or {}).get(lang)
        or (issue.get("editorial") or {}).get(config.language)
        or "",
        picks=picks(issue["issue_id"]),
        posts=posts,
        unsubscribe=unsubscribe,
        postal_address=config.newsletter.postal_address,
        start=start,
        end=end,
    )


def label(issue_id: str, lang: str) -> str:
    """The period as a reader says it: ``décembre 2026``, ``week 49 of 2026``."""
    from portevoix.core.i18n import t

    if "-W" in issue_id:
        year, week = issue_id.split("-W")
        return t(lang, "newsletter.week", week=int(week), year=year)
    from portevoix.core.i18n import month_year

    year, month = (int(x) for x in issue_id.split("-"))
    return month_year(date(year, month, 1), lang)


# -- approval ----------------------------------------------------------------------------------


def ask(config: Any, issue_id: str, by: str, now: datetime | None = None) -> list[str]:
    """Send the draft to the approvers (a link each); returns who was asked."""
    from portevoix.core import notices

    now = now or datetime.now(UTC)
    issue = get(issue_id)
    if issue is None:
        raise NewsletterError(f"no issue {issue_id}")
    if (
        not picks(issue_id)
        and not published_posts(config, issue_id)
        and not any((issue.get("editorial") or {}).values())
    ):
        raise NewsletterError("the issue is empty: pick items, publish posts or write an editorial")
    if not store.update(
        *key(issue_id),
        {"status": "awaiting_approval", "asked_by": by, "asked_at": iso(now)},
        condition=("status", ("draft",)),
    ):
        raise NewsletterError(f"the issue is {issue['status']}: it was already sent for approval")
    approvers = config.approvers or [m.email for m in config.team]
    expires = now + timedelta(days=APPROVAL_DAYS)
    sent = {
        email: links.create("newsletter", expires, now=now, issue_id=issue_id, email=email)
        for email in approvers
    }
    store.update(*key(issue_id), {"links": sent})
    for email, link in sent.items():
        notices.send(
            config,
            [email],
            "newsletter.approval",
            [],
            button=links.url("newsletter", link),
            values={"issue": issue_id, "by": by, "count": len(subscribers.confirmed())},
        )
    return list(sent)


def decide(
    config: Any,
    link_id: str,
    form_token: str,
    approve: bool,
    comment: str = "",
    now: datetime | None = None,
) -> tuple[str, dict[str, Any] | None]:
    """The first decision wins; an approval starts the sending. Returns (kind, issue)."""
    now = now or datetime.now(UTC)
    link = links.get(link_id)
    if link is None or link.get("kind") != "newsletter":
        return "invalid", None
    issue = get(link["issue_id"])
    if issue is None:
        return "invalid", None
    if issue.get("decided_at"):
        return "already", issue
    if issue["status"] != "awaiting_approval" or (link.get("expires") or "") < iso(now):
        return "expired", issue
    if not links.token_ok(link, form_token):
        return "forged", issue
    claimed = store.update(
        *key(issue["issue_id"]),
        {
            "status": "approved" if approve else "draft",
            "decided_by": link["email"] if approve else None,
            "decided_at": iso(now) if approve else None,
            "decision_comment": (comment or "").strip()[:2000] or None,
        },
        condition=("status", ("awaiting_approval",)),
    )
    if not claimed:
        return "already", get(issue["issue_id"])
    links.mark_used(link_id, now)
    if approve:
        try:
            fan_out(config, issue["issue_id"], now)
        except NewsletterError as exc:  # kept for the sweep, said on the page
            store.update(*key(issue["issue_id"]), {"error": str(exc)[:500]})
    return "decided", get(issue["issue_id"])


# -- sending -----------------------------------------------------------------------------------


def queue_url() -> str:
    import os

    url = os.environ.get("NEWSLETTER_QUEUE_URL")
    if not url:
        raise NewsletterError("NEWSLETTER_QUEUE_URL is not set: the sending queue is missing")
    return url


def ses_rate() -> float | None:
    """The SES account's sending rate (emails a second); None where there is no SES (local)."""
    from portevoix.core import aws, settings

    if settings.outbox():
        return None
    quota = aws.client("ses").get_send_quota()
    return float(quota.get("MaxSendRate") or 1)


def fan_out(
    config: Any, issue_id: str, now: datetime | None = None, audience: list[str] | None = None
) -> int:
    """Put the confirmed subscribers (or ``audience``) on the queue, in batches; how many."""
    from portevoix.core import aws, settings

    now = now or datetime.now(UTC)
    issue = get(issue_id)
    if issue is None or issue["status"] not in ("approved", "sending"):
        raise NewsletterError(f"the issue {issue_id} is not approved")
    if audience is None:
        audience = sorted(s["GSI1SK"] for s in subscribers.confirmed())
    if not settings.outbox():
        quota = aws.client("ses").get_send_quota()
        left = float(quota.get("Max24HourSend", 0)) - float(quota.get("SentLast24Hours", 0))
        if left < len(audience):
            raise NewsletterError(
                f"SES allows {int(left)} more emails in 24 hours and the issue goes to "
                f"{len(audience)}: raise the account's quota (or wait), then it is sent"
            )
    sqs = aws.client("sqs")
    url = queue_url()
    messages = [
        {
            "Id": str(i),
            "MessageBody": json.dumps({"issue": issue_id, "to": audience[j : j + BATCH]}),
        }
        for i, j in enumerate(range(0, len(audience), BATCH))
    ]
    for i in range(0, len(messages), 10):
        sqs.send_message_batch(QueueUrl=url, Entries=messages[i : i + 10])
    store.update(
        *key(issue_id),
        {
            "status": "sending",
            "recipients": max(len(audience), int(issue.get("recipients") or 0)),
            "enqueued_at": iso(now),
            "error": None,
        },
        condition=("status", ("approved", "sending")),
    )
    return len(audience)


class Pacer:
    """At most ``rate`` sends a second (monotonic clock; ``sleep`` replaceable for benches)."""

    def __init__(self, rate: float, sleep: Any = time.sleep):
        self.interval = 1.0 / rate
        self.sleep = sleep
        self.next = time.monotonic()

    def wait(self) -> None:
        now = time.monotonic()
        if now < self.next:
            self.sleep(self.next - now)
        self.next = max(now, self.next) + self.interval


def pacer(config: Any) -> Pacer:
    rate = config.newsletter.rate_per_second
    ses = ses_rate()
    return Pacer(min(rate, 0.9 * ses) if ses else rate)


def deliver(config: Any, body: dict[str, Any], pace: Pacer) -> dict[str, int]:
    """One batch of the queue: each recipient claimed, then sent, each once."""
    from portevoix.core import mail, settings
    from portevoix.core.errors import MailError

    issue_id = body["issue"]
    issue = get(issue_id)
    if issue is None or issue["status"] not in ("sending", "sent"):
        return {"skipped": len(body["to"])}
    done = {"sent": 0, "skipped": 0, "gone": 0}
    rendered: dict[str, Any] = {}
    for digest in body["to"]:
        sub = store.get(*subscribers.key(digest))
        if sub is None or sub["status"] != "confirmed":
            done["gone"] += 1  # unsubscribed or suppressed since: never written to
            continue
        marker = (f"NEWSLETTER#{issue_id}", f"TO#{digest}")
        if not store.put_if_absent(
            store.with_key(marker, status="claimed", at=iso(datetime.now(UTC)))
        ):
            done["skipped"] += 1  # sent (or being sent) already: never twice
            continue
        lang = sub.get("language") or config.language
        if lang not in rendered:
            rendered[lang] = render(config, issue, lang, unsubscribe="{{UNSUBSCRIBE}}")
        one = _personal(rendered[lang], subscribers.unsubscribe_url(sub["token"]))
        msg = mail.build(config.sender, [sub["email"]], one, sender_name=config.brand.name)
        del msg["Auto-Submitted"]
        # One line each (a long unsubscribe address is not folded: some clients mind).
        msg.policy = msg.policy.clone(max_line_length=998)
        msg["List-Unsubscribe"] = f"<{subscribers.unsubscribe_url(sub['token'])}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        msg["List-Id"] = f"{config.brand.name} <newsletter.{config.sender.rsplit('@', 1)[-1]}>"
        msg["Precedence"] = "bulk"
        pace.wait()
        try:
            result = mail.send(
                msg,
                sender=config.sender,
                to=[sub["email"]],
                kind="newsletter",
                configuration_set=settings.newsletter_configuration_set(),
            )
        except MailError as exc:
            code = getattr(exc.__cause__, "response", {}).get("Error", {}).get("Code", "")
            if code in ("MessageRejected", "InvalidParameterValue", "MailFromDomainNotVerified"):
                # This address is refused (not the account): the others go on.
                store.update(*marker, {"status": "refused", "error": str(exc)[:300]})
                done["refused"] = done.get("refused", 0) + 1
                continue
            store.delete(*marker)  # not sent (throttled, SES down): the queue's retry sends it
            raise
        store.update(*marker, {"status": "sent", "message_id": result.get("message_id")})
        done["sent"] += 1
    if done["sent"]:
        store.add_to(key(issue_id), "sent", done["sent"])
    return done


def _personal(rendered: Any, unsubscribe: str) -> Any:
    from dataclasses import replace

    return replace(
        rendered,
        html=rendered.html.replace("{{UNSUBSCRIBE}}", unsubscribe),
        text=rendered.text.replace("{{UNSUBSCRIBE}}", unsubscribe),
    )


def drain(config: Any, *, visibility: int = 30, stop_after: int | None = None) -> dict[str, int]:
    """Take the queue's batches until it is empty (the local mode's sender, and `newsletter
    send`); a batch that fails comes back after ``visibility`` seconds."""
    from portevoix.core import aws

    sqs = aws.client("sqs")
    url = queue_url()
    pace = pacer(config)
    total = {"sent": 0, "skipped": 0, "gone": 0, "batches": 0}
    while True:
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=visibility, WaitTimeSeconds=0
        ).get("Messages", [])
        if not got:
            break
        for message in got:
            done = deliver(config, json.loads(message["Body"]), pace)
            for k, v in done.items():
                total[k] = total.get(k, 0) + v
            total["batches"] += 1
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if stop_after is not None and total["batches"] >= stop_after:
            break
    finish(config)
    return total


def finish(config: Any, now: datetime | None = None) -> list[str]:
    """Mark ``sent`` each sending issue once the queue holds nothing (the local sender and the
    15-minute sweep call it); a recipient claimed but never confirmed sent is counted as
    ``uncertain`` (a sender stopped between the claim and SES's answer), never sent again."""
    from portevoix.core import aws

    now = now or datetime.now(UTC)
    sending = [i for i in store.query_gsi1(INDEX) if i.get("status") == "sending"]
    if not sending:
        return []
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=queue_url(),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    if int(attributes.get("ApproximateNumberOfMessages", 0)) or int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    ):
        return []
    closed = []
    for issue in sending:
        markers = store.query(f"NEWSLETTER#{issue['issue_id']}", "TO#", "TO#\uffff")
        reached = {m["SK"][3:] for m in markers}
        missing = sorted(s["GSI1SK"] for s in subscribers.confirmed() if s["GSI1SK"] not in reached)
        rounds = int(issue.get("rounds") or 0)
        if missing and rounds < MAX_ROUNDS:
            # Batches lost (a dead-letter queue, a local stack restarted): queued again; the
            # markers keep anyone already sent from a second copy.
            store.update(*key(issue["issue_id"]), {"rounds": rounds + 1})
            fan_out(config, issue["issue_id"], now, audience=missing)
            continue
        sent = sum(1 for m in markers if m.get("status") == "sent")
        uncertain = sum(1 for m in markers if m.get("status") == "claimed")
        if store.update(
            *key(issue["issue_id"]),
            {
                "status": "sent",
                "sent": sent,
                "uncertain": uncertain,
                "missed": len(missing),
                "sent_at": iso(now),
            },
            condition=("status", ("sending",)),
        ):
            closed.append(issue["issue_id"])
    return closed


def sweep(config: Any, now: datetime | None = None) -> dict[str, Any]:
    """The 15-minute run: an approval whose enqueueing stopped is enqueued again (a recipient
    already sent is skipped by their marker), and finished issues are marked sent."""
    resumed = []
    for issue in store.query_gsi1(INDEX):
        if issue.get("status") == "approved":
            try:
                fan_out(config, issue["issue_id"], now)
                resumed.append(issue["issue_id"])
            except NewsletterError as exc:
                store.update(*key(issue["issue_id"]), {"error": str(exc)[:500]})
    return {"resumed": resumed, "sent": finish(config, now)}
