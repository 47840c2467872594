"""The publish workflow's tasks, called by the state machine through the publish function.

Each task reads the post from the table, does one thing, and returns a small
JSON result; failures raise named exceptions that the ASL retries or catches.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import links, notices, settings, store
from portevoix.core.errors import MailError, RateLimited
from portevoix.core.i18n import format_date, languages
from portevoix.core.timeutil import iso, parse_iso
from portevoix.publishing import approval, charter, posts, tracking

APPROVAL_TTL_DAYS = 7


def _notify(
    config: Any,
    to: list[str],
    key: str,
    post: dict[str, Any],
    lines: list[dict[str, Any]],
    *,
    run: str | None,
    **values: Any,
) -> list[dict[str, Any]]:
    """Email a notice about ``post``; once per ``run`` (the workflow's execution) and
    recipient list: a task retried after a fault does not send what already went out.
    A message SES refuses for good (MessageRejected) does not stop the post: it is kept on
    the post (``notice_errors``, shown on its page) and returned."""
    button = values.pop("button", None)
    once = f"{post['post_id']}#{run}#{','.join(to)}" if run else None
    by_lang = {}
    if "when" in values:  # a date is written in the reader's language
        when = values.pop("when")
        by_lang = {
            lang: {"when": format_date(when.astimezone(config.tz), lang)} for lang in languages()
        }
    notices.send(
        config,
        to,
        key,
        lines,
        button=button,
        values={"title": _title(post), **values},
        values_by_lang=by_lang,
        once=once,
        refused=(refused := []),
    )
    if refused:
        kept = list(posts.get(post["post_id"]).get("notice_errors") or [])[-9:]
        now = iso(datetime.now(UTC))
        kept += [
            {"what": key, "to": ", ".join(r["to"]), "error": r["error"], "at": now} for r in refused
        ]
        store.update(*store.post_key(post["post_id"]), {"notice_errors": kept})
    return refused


def run_task(config: Any, task: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run one task for the state machine; an AWS fault is raised as ``AwsTransient``, the
    name its Retry matches (a throttled table or SES must not end the post's workflow)."""
    from portevoix.core import aws
    from portevoix.core.errors import AwsTransient

    try:
        return globals()[task](config, **args)
    except AwsTransient:
        raise
    except Exception as exc:
        if aws.transient(exc):
            raise AwsTransient(f"{task}: {exc}") from exc
        raise


def _title(post: dict[str, Any]) -> str:
    if post.get("title"):
        return post["title"]
    first = next(iter(post["variants"].values()))["text"]
    return first if len(first) <= 60 else first[:57].rsplit(" ", 1)[0] + "…"


def check(config: Any, post_id: str, run: str | None = None) -> dict[str, Any]:

    post = posts.get(post_id)
    when = parse_iso(post["scheduled_at"])
    findings = []
    for account_key in post["accounts"]:
        account = config.account(account_key)
        if account is None:
            findings.append(
                charter.Finding(
                    account_key,
                    "account",
                    "error",
                    "ce compte n'est plus configuré",
                    "this account is no longer configured",
                )
            )
            continue
        # checked as it will go out: its links tagged (and shortened)
        variant = tracking.apply(config, post, account_key, posts.variant_of(post, account_key))
        if post.get("holding"):  # a crisis statement: the charter's text rules, no timing
            findings += charter.check(config, account.network, variant)
            continue
        recent = _recent_publications(account_key, when)
        week = charter.week_start(when, config.tz)
        findings += charter.check(
            config,
            account.network,
            variant,
            when=when,
            recent=recent,
            week_count=sum(1 for r in recent if r >= week),
        )
    errors = [f for f in findings if f.level == "error"]
    status = "blocked" if errors else "awaiting_approval"
    posts.set_status(post_id, status, findings=[f.to_dict() for f in findings])
    return {
        "ok": not errors,
        "networks": post["accounts"],
        "scheduled_at": post["scheduled_at"],
        "post_id": post_id,
    }


def _recent_publications(account_key: str, around: datetime) -> list[datetime]:
    items = store.query_gsi1(
        store.published_index(account_key),
        iso(around - timedelta(days=7)),
        iso(around + timedelta(days=1)),
    )
    return [d for d in (parse_iso(i.get("published_at")) for i in items) if d]


def notify_blocked(config: Any, post_id: str, run: str | None = None) -> dict[str, Any]:
    post = posts.get(post_id)
    lines = [
        {"label": f["network"], "text": {"fr": f["fr"], "en": f["en"]}, "level": f["level"]}
        for f in post.get("findings", [])
        if f["level"] == "error"
    ]
    _notify(config, [post["author"]], "post.blocked", post, lines, run=run)
    return {"notified": post["author"]}


def request_approval(
    config: Any,
    post_id: str,
    task_token: str,
    now: datetime | None = None,
    run: str | None = None,
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    post = posts.get(post_id)
    approvers = config.approvers or [m.email for m in config.team]
    # The links are stored before any email goes out: whoever holds one finds it on the post.
    # A retried task (a new token) keeps this run's links and emails only whom it missed.
    retried = run and post.get("links_run") == run and post.get("links")
    sent_links = dict(post["links"]) if retried else {}
    expires = parse_iso(post.get("approval_expires_at")) if retried else None
    expires = expires or now + timedelta(days=APPROVAL_TTL_DAYS)
    for email in approvers:
        if email not in sent_links:
            sent_links[email] = approval.create_link(post_id, email, expires)
    fields = {
        "task_token": task_token,
        "approval_expires_at": iso(expires),
        "links": sent_links,
        "links_run": run,
    }
    if not posts.set_status(post_id, "awaiting_approval", expect=("awaiting_approval",), **fields):
        # Decided while this task was being retried: the approval page resumes the workflow
        # with the token kept here (it reads the newest one); nobody is asked again.
        store.update(*store.post_key(post_id), fields)
        return {"requested": [], "decided": post.get("status")}
    refused = []
    for email in approvers:
        refused += _notify(
            config,
            [email],
            "post.approval",
            post,
            [{"label": k, "text": v["text"]} for k, v in post["variants"].items()],
            button=links.url("approval", sent_links[email]),
            when=parse_iso(post["scheduled_at"]),
            run=run,
        )
    if refused and len(refused) == len(approvers):  # nobody can approve it: fail, visibly
        raise MailError(f"post {post_id}: SES refused every approval email ({refused[0]['error']})")
    return {"requested": approvers}


def notify_rejected(config: Any, post_id: str, run: str | None = None) -> dict[str, Any]:
    post = posts.get(post_id)
    posts.set_status(post_id, "rejected")
    lines = [{"label": "—", "text": post.get("decision_comment") or "—"}]
    _notify(
        config,
        [post["author"]],
        "post.rejected",
        post,
        lines,
        run=run,
        by=post.get("decided_by", "?"),
    )
    return {"notified": post["author"]}


def expired(config: Any, post_id: str, run: str | None = None) -> dict[str, Any]:
    post = posts.get(post_id)
    posts.set_status(post_id, "expired", expect=("awaiting_approval",))
    _notify(config, [post["author"]], "post.expired", post, [], run=run)
    return {"status": "expired"}


def check_freeze(config: Any, post_id: str) -> dict[str, Any]:
    """Whether the post must wait for the freeze (never the crisis's holding statement)."""
    state = store.get(*store.freeze_key()) or {}
    if state.get("frozen") and posts.get(post_id).get("holding"):
        return {"frozen": False}
    return {"frozen": bool(state.get("frozen"))}


def hold(
    config: Any,
    post_id: str,
    task_token: str,
    now: datetime | None = None,
    run: str | None = None,
) -> dict[str, Any]:
    """The post is due while publishing is frozen: it waits for the freeze to lift (or a release)."""
    now = now or datetime.now(UTC)
    post = posts.get(post_id)
    # A retried task brings a new token: the post keeps its first held_at, and one email.
    if not posts.set_status(
        post_id,
        "held",
        expect=("approved", "held"),
        hold_token=task_token,
        held_at=post.get("held_at") or iso(now),
    ):
        return {"status": post["status"]}  # cancelled meanwhile: its execution is being stopped
    if post["status"] == "approved":
        from portevoix.inbox import episodes

        episodes.log_current("system", "held", post=post_id, title=post.get("title") or None)
    _notify(
        config,
        [post["author"]],
        "post.held",
        post,
        [],
        button=f"{settings.links_base_url()}/posts/{post_id}",
        minutes=config.crisis.publish_held_within_minutes,
        run=run,
    )
    return {"status": "held"}


def hold_expired(config: Any, post_id: str, run: str | None = None) -> dict[str, Any]:
    post = posts.get(post_id)
    posts.set_status(post_id, "expired", expect=("held",), hold_token=None)
    _notify(config, [post["author"]], "post.hold_expired", post, [], run=run)
    return {"status": "expired"}


def publish_one(
    config: Any, post_id: str, account: str, attempt: str, networks: dict[str, Any] | None = None
) -> dict[str, Any]:
    posts.set_status(
        post_id, "publishing", expect=("approved", "publishing", "partially_published")
    )
    try:
        entry = posts.publish_account(config, post_id, account, attempt=attempt, networks=networks)
    except RateLimited as exc:
        # The state machine waits as long as the network asked, then tries again.
        wait = int(min(exc.retry_after, 86400)) + 1
        return {"account": account, "status": "rate_limited", "url": None, "retry_after": wait}
    return {"account": account, "status": "published", "url": entry.get("url"), "retry_after": 0}


def record(
    config: Any, post_id: str, results: list[dict[str, Any]], run: str | None = None
) -> dict[str, Any]:
    post = posts.get(post_id)
    ok = [r for r in results if r.get("status") == "published"]
    failed = [r for r in results if r.get("status") != "published"]
    status = "published" if not failed else ("partially_published" if ok else "failed")
    posts.set_status(post_id, status, results=results)
    lines = [{"label": r["account"], "text": r.get("url") or "—", "link": r.get("url")} for r in ok]
    lines += [
        {
            "label": r["account"],
            # The cause says what happened ("masto: cannot reach ..."); the error's class
            # name (NotSent, Rejected) means nothing to a reader.
            "text": _cause(r.get("cause")) or str(r.get("error") or "error"),
            "level": "error",
        }
        for r in failed
    ]
    recipients = sorted({post["author"], *(config.approvers or [])})
    _notify(config, recipients, f"post.{status}", post, lines, run=run)
    if post.get("episode_id"):  # the holding statement: its outcome goes in the episode's log
        from portevoix.inbox import episodes

        episodes.log(
            post["episode_id"],
            post.get("decided_by") or "system",
            "statement_out",
            post=post_id,
            count=len(ok),
            waiting=len(failed),
        )
    return {"status": status, "published": len(ok), "failed": len(failed)}


def _cause(cause: Any) -> str:
    """The errorMessage inside a Lambda error's Cause (a JSON string), kept short."""
    import json

    if isinstance(cause, str):
        try:
            cause = json.loads(cause).get("errorMessage", cause)
        except (ValueError, AttributeError):
            pass
    return str(cause or "")[:300]


REMIND_AFTER = timedelta(hours=24)


def remind(config: Any, now: datetime | None = None) -> list[str]:
    """Remind approvers once about posts still waiting a day after the request."""
    now = now or datetime.now(UTC)
    reminded = []
    for post in store.query_gsi1(store.posts_index("awaiting_approval")):
        asked = parse_iso(post.get("updated_at") or post.get("created_at"))
        if (
            post.get("reminded_at")
            or not post.get("links")
            or not asked
            or now - asked < REMIND_AFTER
        ):
            continue
        for email, link in post["links"].items():
            _notify(
                config,
                [email],
                "post.reminder",
                post,
                [{"label": k, "text": v["text"]} for k, v in post["variants"].items()],
                button=links.url("approval", link),
                when=parse_iso(post["scheduled_at"]),
                run=f"reminder-{post.get('links_run') or post.get('runs', 0)}",
            )
        store.update(post["PK"], "POST", {"reminded_at": iso(now)})
        reminded.append(post["post_id"])
    return reminded
