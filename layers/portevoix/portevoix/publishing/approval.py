"""Approval links: an opaque id in the URL, everything else in the table.

A GET shows the post and changes nothing (mail scanners prefetch links); the
decision is a POST carrying the page's form token. The first decision wins:
it is claimed on the post with a conditional write, then handed to Step
Functions with the task token that never leaves the table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from portevoix.core import aws, links, store
from portevoix.core.i18n import format_date, t
from portevoix.core.mail import page as page_html
from portevoix.core.timeutil import iso, parse_iso
from portevoix.publishing import posts


@dataclass
class Outcome:
    kind: str  # decided | already | expired | invalid | forged | closed
    post: dict[str, Any] | None = None
    link: dict[str, Any] | None = None
    status: int = 200


def create_link(post_id: str, email: str, expires: datetime) -> str:
    return links.create("approval", expires, post_id=post_id, email=email)


def load(link_id: str, now: datetime | None = None) -> Outcome:
    """What the link's page should show (no side effect)."""
    now = now or datetime.now(UTC)
    link = links.get(link_id)
    if link is None or link.get("kind", "approval") != "approval":
        return Outcome("invalid", status=404)
    post = store.get(*store.post_key(link["post_id"]))
    if post is None:
        return Outcome("invalid", status=404)
    if post.get("decided_at"):
        return Outcome("already", post, link, status=409 if link.get("used_at") is None else 200)
    if post.get("status") != "awaiting_approval":
        return Outcome("closed", post, link, status=410)
    if (parse_iso(link.get("expires")) or now) <= now:
        return Outcome("expired", post, link, status=410)
    return Outcome("open", post, link)


def decide(
    link_id: str, form_token: str, approve: bool, comment: str = "", now: datetime | None = None
) -> Outcome:
    """Record the decision once and resume the workflow."""
    now = now or datetime.now(UTC)
    current = load(link_id, now)
    if current.kind != "open":
        return current
    link, post = current.link, current.post
    if not links.token_ok(link, form_token):
        return Outcome("forged", post, link, status=403)
    comment = (comment or "").strip()[:2000]
    claimed = posts.set_status(
        post["post_id"],
        "approved" if approve else "rejecting",
        expect=("awaiting_approval",),
        decided_by=link["email"],
        decided_at=iso(now),
        decision_comment=comment or None,
    )
    if not claimed:
        return Outcome("already", posts.get(post["post_id"]), link, status=409)
    output = json.dumps({"approved": approve, "by": link["email"], "comment": comment})
    try:
        _resume(post, output)
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        if code in GONE and not _still_running(post):
            # The workflow stopped waiting (the request expired meanwhile): nothing goes out.
            posts.set_status(post["post_id"], "expired")
            return Outcome("expired", posts.get(post["post_id"]), link, status=410)
        if code not in GONE and not aws.transient(exc):
            raise
        # Step Functions did not take the decision (throttled, or the request being retried
        # under a new token): the post waits again, the link still works, the approver is
        # asked to click once more.
        posts.set_status(
            post["post_id"],
            "awaiting_approval",
            expect=("approved", "rejecting"),
            decided_by=None,
            decided_at=None,
            decision_comment=None,
        )
        return Outcome("retry", posts.get(post["post_id"]), link, status=503)
    links.mark_used(link_id, now)
    return Outcome("decided", posts.get(post["post_id"]), link)


GONE = ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist")


def _resume(post: dict[str, Any], output: str) -> None:
    """SendTaskSuccess with the post's token, or the newer one a retried request stored."""
    sfn = aws.client("stepfunctions")
    try:
        sfn.send_task_success(taskToken=post["task_token"], output=output)
    except sfn.exceptions.ClientError as exc:
        latest = (posts.get(post["post_id"]) or {}).get("task_token")
        if exc.response.get("Error", {}).get("Code") not in GONE or latest == post["task_token"]:
            raise
        sfn.send_task_success(taskToken=latest, output=output)


def _still_running(post: dict[str, Any]) -> bool:
    """Whether the post's workflow still runs (a token refused while it retries a task)."""
    arn = post.get("execution_arn")
    if not arn:
        return False
    status = aws.client("stepfunctions").describe_execution(executionArn=arn)["status"]
    return status == "RUNNING"


def pick_language(accept_language: str | None, default: str) -> str:
    """The first language of an Accept-Language header that has a catalog."""
    from portevoix.core.i18n import languages

    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in languages():
            return code
    return default


def page(
    config: Any, link_id: str, method: str, form: dict[str, str], lang: str
) -> tuple[int, str]:
    """The approval page for a GET, or the result of a POSTed decision: (HTTP status, HTML)."""

    message = None
    if method == "POST":
        decision = form.get("decision")
        comment = form.get("comment", "")
        if decision not in ("approve", "reject"):
            outcome, message = load(link_id), t(lang, "page.forged")
            outcome.status = 400
        elif decision == "reject" and not comment.strip():
            outcome, message = load(link_id), t(lang, "page.need_comment")
            outcome.status = 400
        else:
            outcome = decide(link_id, form.get("form_token", ""), decision == "approve", comment)
    else:
        outcome = load(link_id)
    post = outcome.post
    if outcome.kind == "decided":
        message = t(
            lang,
            "page.decided",
            decision=t(lang, "page.approved" if post["status"] == "approved" else "page.rejected"),
        )
    elif outcome.kind == "already":
        when = parse_iso(post.get("decided_at"))
        message = t(
            lang,
            "page.already",
            by=post.get("decided_by", "?"),
            when=format_date(when.astimezone(config.tz), lang) if when else "?",
        )
    elif outcome.kind in ("expired", "invalid", "forged", "retry"):
        message = t(lang, f"page.{outcome.kind}")
    elif outcome.kind == "closed":
        message = t(lang, "page.closed", status=post.get("status"))
    findings: dict[str, list[dict[str, Any]]] = {}
    for f in (post or {}).get("findings", []):
        findings.setdefault(f["network"], []).append(f)
    # The variants are keyed by account; charter findings by network: show both under the account.
    if post:
        by_account = {a.key: a.network for a in config.accounts}
        findings = {acc: findings.get(by_account.get(acc, acc), []) for acc in post["variants"]}
    when = parse_iso(post["scheduled_at"]).astimezone(config.tz) if post else None
    html = page_html(
        "approval_page.html",
        lang=lang,
        brand=config.brand.name,
        message=message,
        post=post if outcome.kind not in ("invalid",) else None,
        when=format_date(when, lang) if when else "",
        findings=findings,
        form_token=outcome.link["form_token"] if outcome.kind in ("open", "retry") else None,
    )
    return outcome.status, html


def decide_as(post_id: str, email: str | None, approve: bool, comment: str = "") -> Outcome:
    """The page's decision, for scripts and the CLI (``email`` defaults to the first approver)."""
    post = posts.get(post_id)
    by_email = post.get("links") or {}
    if not by_email:
        return Outcome("closed", post, None, status=409)
    link_id = by_email.get(email) if email else next(iter(by_email.values()))
    if link_id is None:
        raise posts.PostError(
            f"{email} is not an approver of post {post_id} (approvers: {', '.join(by_email)})"
        )
    link = links.get(link_id) or {}
    return decide(link_id, link.get("form_token", ""), approve, comment)
