"""Posts: a draft with one variant per account, its approval, and the publication ledger.

The ledger item ``POST#<id>`` / ``PUB#<account>`` is claimed with a
conditional write before any network call. A retry or a second execution
that finds it published returns what was recorded; one that finds it
claimed but unresolved looks for the post on the account before trying
again, so a post never appears twice.
"""

from __future__ import annotations

import secrets as _random
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from portevoix.core import aws, store
from portevoix.core.errors import ConfigError, InProgress, PostError  # noqa: F401 - re-exported
from portevoix.core.http import AddressPolicy, Fetcher, Limits
from portevoix.core.timeutil import iso, parse_iso
from portevoix.networks import Media, NetworkError, NotSent, Poll, Variant, build, publish_once

if TYPE_CHECKING:
    from portevoix.publishing.draft import Draft

CLAIM_STALE = timedelta(minutes=6)  # longer than the publish function's timeout


def parse_draft(data: Any, config: Any, source: str = "post") -> Draft:
    """``data`` as a Draft for ``config``'s accounts; ConfigError naming each faulty field."""
    from portevoix.publishing.draft import parse_draft as parse

    return parse(data, config, source)


def scheduled_utc(draft: Draft, tz: ZoneInfo, now: datetime) -> datetime:
    """The publication instant: the draft's local time in the brand's zone (DST-aware)."""
    if draft.at is None:
        return now
    at = draft.at if draft.at.tzinfo else draft.at.replace(tzinfo=tz)
    return at.astimezone(UTC)


MAX_MEDIA_BYTES = 50 * 1024 * 1024


def variant_of(post: dict[str, Any], account: str, *, fetch_media: Any = None) -> Any:
    """The network variant; ``fetch_media(url) -> (bytes, mime)`` fills media for networks that need bytes."""
    spec = post["variants"][account]
    media = []
    for m in spec.get("media", []):
        item = Media(url=m["url"], alt=m.get("alt", ""), mime=m.get("mime", "image/jpeg"))
        if m["url"].startswith("s3://"):  # uploaded from the studio: read from the bucket
            from portevoix.publishing import media as uploads

            item.url = uploads.view_url(uploads.key_of(m["url"]) or "", seconds=3600)
            if fetch_media is not None:
                item.data, item.mime = uploads.read(m["url"])
        elif fetch_media is not None:
            item.data, item.mime = fetch_media(m["url"])
        media.append(item)
    poll = spec.get("poll")
    return Variant(
        text=spec["text"],
        link=spec.get("link"),
        language=spec.get("language"),
        media=media,
        options=dict(spec.get("options") or {}),
        poll=Poll(
            [str(o) for o in poll["options"]],
            int(poll.get("minutes") or 1440),
            poll.get("question") or None,
        )
        if poll
        else None,
    )


def media_fetcher(config: Any) -> Any:
    """Download media through the guarded fetcher (SSRF guard, size cap)."""
    fetcher = Fetcher(
        AddressPolicy.from_config(config.fetch), Limits(max_bytes=MAX_MEDIA_BYTES, total_timeout=60)
    )

    def fetch(url: str) -> tuple[bytes, str]:
        resp = fetcher.get(url)
        mime = resp.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
        return resp.body, mime

    return fetch


def create(config: Any, draft: Draft, now: datetime | None = None, **extra: Any) -> dict[str, Any]:
    """Store a new post (``extra``: fields of special posts, e.g. ``holding``)."""
    now = now or datetime.now(UTC)
    post_id = datetime.now(UTC).strftime("%Y%m%d") + "-" + _random.token_hex(4)
    when = scheduled_utc(draft, config.tz, now)
    record = {
        **store.with_key(store.post_key(post_id)),
        "GSI1PK": store.posts_index("checking"),
        "GSI1SK": f"{iso(when)}#{post_id}",
        **calendar_keys(when, post_id),
        "type": "post",
        "post_id": post_id,
        "author": draft.author,
        "title": draft.title or None,
        "campaign": draft.campaign or None,
        # the start of the first text: what the calendar and the ICS feed show untitled posts by
        "summary": " ".join(next(iter(draft.variants.values())).text.split())[:120],
        "scheduled_at": iso(when),
        "local_time": when.astimezone(config.tz).strftime("%Y-%m-%d %H:%M"),
        "timezone": config.timezone,
        "status": "checking",
        "created_at": iso(now),
        "variants": {k: v.model_dump(exclude_none=True) for k, v in draft.variants.items()},
        "accounts": sorted(draft.variants),
        **extra,
    }
    store.batch_put([record])
    changed()
    return record


def calendar_keys(when: datetime, post_id: str) -> dict[str, str]:
    """Where the calendar finds a post scheduled at ``when`` (GSI2, by UTC month)."""
    when = when.astimezone(UTC)
    return {
        "GSI2PK": store.calendar_index(when.strftime("%Y-%m")),
        "GSI2SK": f"{iso(when)}#{post_id}",
    }


FINAL = (
    "published",
    "partially_published",
    "failed",
    "rejected",
    "blocked",
    "expired",
    "cancelled",
)
STATUSES = ("checking", "awaiting_approval", "approved", "held", "rejecting", "publishing", *FINAL)


def matching(prefix: str) -> list[str]:
    """Post ids equal to ``prefix``, or starting with it (the date included or not)."""
    if store.get(*store.post_key(prefix)):
        return [prefix]
    found = {
        p["post_id"]
        for status in STATUSES
        for p in store.query_gsi1(store.posts_index(status))
        if p.get("post_id")
    }
    return sorted(
        pid for pid in found if pid.startswith(prefix) or pid.split("-", 1)[-1].startswith(prefix)
    )


def get(post_id: str) -> dict[str, Any]:
    post = store.get(*store.post_key(post_id))
    if post is None:
        raise PostError(f"no post {post_id!r}")
    return post


def set_status(
    post_id: str, status: str, *, expect: tuple[str, ...] | None = None, **fields: Any
) -> bool:
    """Move a post to ``status`` (only from ``expect`` when given); False if it was elsewhere."""
    values = {
        "status": status,
        "GSI1PK": store.posts_index(status),
        "updated_at": iso(datetime.now(UTC)),
        **fields,
    }
    moved = store.update(
        *store.post_key(post_id), values, condition=("status", expect) if expect else None
    )
    if moved:
        changed()
    return moved


def changed() -> None:
    """Tell cached calendar reads that a post changed (its time, status or results)."""
    store.bump(store.calendar_version_key())


# --------------------------------------------------------------------------
# The ledger


def ledger(post_id: str) -> dict[str, dict[str, Any]]:
    """What was published where, by account."""
    keys = [store.publication_key(post_id, a) for a in get(post_id)["accounts"]]
    return {item["account"]: item for item in store.batch_get(keys)}


def publish_account(
    config: Any,
    post_id: str,
    account_key: str,
    *,
    attempt: str,
    networks: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Publish one variant exactly once; return the ledger entry."""

    now = datetime.now(UTC)
    pk, sk = store.publication_key(post_id, account_key)
    post = get(post_id)
    account = config.account(account_key)
    if account is None:
        raise PostError(f"account {account_key!r} is no longer in the configuration")
    claim = {
        "PK": pk,
        "SK": sk,
        "status": "claimed",
        "claimed_at": iso(now),
        "attempt": attempt,
        "account": account_key,
        "network": account.network,
    }
    entry = claim if store.put_if_absent(claim) else store.get(pk, sk)
    if entry.get("status") == "published":
        return entry  # a retry or a duplicate execution: nothing to do
    if entry is not claim and entry.get("status") == "claimed":
        claimed_at = parse_iso(entry.get("claimed_at")) or now
        if now - claimed_at < CLAIM_STALE and entry.get("attempt") != attempt:
            raise InProgress(f"{account_key}: another attempt is publishing this post")
    net = (networks or {}).get(account_key) or build(account, config)
    needs_bytes = bool(post["variants"][account_key].get("media")) and not net.limits.media_by_url
    from portevoix.publishing import tracking

    variant = tracking.apply(
        config,
        post,
        account_key,
        variant_of(post, account_key, fetch_media=media_fetcher(config) if needs_bytes else None),
    )
    key = f"{post_id}:{account_key}"
    try:
        found = None
        if entry is not claim:  # an earlier attempt may have gone out: look first
            since = parse_iso(entry.get("claimed_at")) or now
            found = net.find_published(key, variant, since)
            store.update(pk, sk, {"status": "claimed", "attempt": attempt, "claimed_at": iso(now)})

        result = found or publish_once(net, variant, key)
    except NetworkError as exc:
        # Never sent (the network was unreachable), lost answer (looked up before any
        # resend), or refused: three different things for the person reading the status.
        if isinstance(exc, NotSent):
            status = "not_sent"
        else:
            status = "unknown" if getattr(exc, "retryable", False) else "failed"
        store.update(pk, sk, {"status": status, "error": str(exc)[:500]})
        raise
    published_at = iso(datetime.now(UTC))
    done = {
        "status": "published",
        "ref": result.ref,
        "url": result.url,
        "published_at": published_at,
        "found_by_lookup": result.found_by_lookup,
        # the account's publications by time, for the charter's spacing and cadence
        "GSI1PK": store.published_index(account_key),
        "GSI1SK": published_at,
    }
    if variant.poll:  # its results are read once a day until it closes
        done["poll_ends_at"] = iso(datetime.now(UTC) + timedelta(minutes=variant.poll.minutes))
    store.update(pk, sk, done)
    return {**entry, **done}


def start(post: dict[str, Any], state_machine_arn: str | None = None) -> str:
    """Start the publish workflow for a post; return the execution ARN."""
    import json
    import os

    arn = state_machine_arn or os.environ.get("STATE_MACHINE_ARN")
    if not arn:
        raise PostError("STATE_MACHINE_ARN is not set: no workflow to start")
    runs = int(post.get("runs", 0)) + 1
    execution = aws.client("stepfunctions").start_execution(
        stateMachineArn=arn,
        name=f"{post['post_id']}-{runs}",
        input=json.dumps({"post_id": post["post_id"]}),
    )["executionArn"]
    store.update(post["PK"], "POST", {"execution_arn": execution, "runs": runs})
    return execution


def cancel(post_id: str, by: str = "system", why: str = "cancel") -> dict[str, Any]:
    """Stop the post's workflow; what was already published stays published."""
    post = get(post_id)
    if post["status"] in FINAL:
        raise PostError(f"post {post_id} is already {post['status']}")
    if post.get("execution_arn"):
        from botocore.exceptions import ClientError

        try:
            aws.client("stepfunctions").stop_execution(
                executionArn=post["execution_arn"], error="Cancelled", cause="cancelled by a user"
            )
        except ClientError as exc:  # already finished: the status says what happened
            if exc.response.get("Error", {}).get("Code") != "ExecutionDoesNotExist":
                raise
    set_status(post_id, "cancelled")
    if post["status"] == "held":
        _log_crisis(by, why, post)
    return get(post_id)


def release(post_id: str, by: str, now: datetime | None = None) -> dict[str, Any]:
    """Let a post held by the freeze go out now (once: a second release finds it moved on)."""
    import json

    from botocore.exceptions import ClientError

    now = now or datetime.now(UTC)
    post = get(post_id)
    token = post.get("hold_token")
    if post["status"] != "held" or not token:
        raise PostError(f"post {post_id} is {post['status']}, not held")
    if not set_status(
        post_id, "approved", expect=("held",), released_by=by, released_at=iso(now), hold_token=None
    ):
        raise PostError(f"post {post_id} was released by someone else a moment ago")
    try:
        aws.client("stepfunctions").send_task_success(
            taskToken=token, output=json.dumps({"released_by": by, "released_at": iso(now)})
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
            set_status(post_id, "expired")
            raise PostError(
                f"post {post_id}: its workflow has ended ({code}); reschedule it"
            ) from exc
        set_status(post_id, "held", hold_token=token)  # try again later: nothing was lost
        raise
    _log_crisis(by, "release", post)
    return get(post_id)


def _log_crisis(by: str, action: str, post: dict[str, Any]) -> None:
    """What happened to a held post goes in the open crisis episode's log."""
    from portevoix.inbox import episodes

    episodes.log_current(by, action, post=post["post_id"], title=post.get("title") or None)


def reschedule(config: Any, post_id: str, at: datetime, by: str = "system") -> dict[str, Any]:
    """Stop the current workflow and start a new one for the new time (checked and approved again)."""
    post = cancel(post_id, by, why="reschedule")
    when = at if at.tzinfo else at.replace(tzinfo=config.tz)
    store.update(
        post["PK"],
        "POST",
        {
            **calendar_keys(when, post_id),
            "GSI1SK": f"{iso(when)}#{post_id}",
            "scheduled_at": iso(when),
            "local_time": when.astimezone(config.tz).strftime("%Y-%m-%d %H:%M"),
            "status": "checking",
            "GSI1PK": store.posts_index("checking"),
            "decided_by": None,
            "decided_at": None,
            "decision_comment": None,
            "task_token": None,
            "hold_token": None,
            "asked_at": None,
            "links": None,
        },
    )
    changed()
    post = get(post_id)
    start(post)
    return get(post_id)


def status(post_id: str) -> dict[str, Any]:
    post = get(post_id)
    entries = ledger(post_id)
    return {
        "post_id": post_id,
        "status": post["status"],
        "scheduled_at": post["scheduled_at"],
        "local_time": post.get("local_time"),
        "decided_by": post.get("decided_by"),
        "networks": {
            account: {
                k: entries.get(account, {}).get(k)
                for k in ("status", "url", "error", "published_at")
            }
            | {"status": entries.get(account, {}).get("status", "pending")}
            for account in post["accounts"]
        },
        "findings": post.get("findings", []),
    }
