"""The studio's inbox: what people said to the brand, filtered, taken, answered, settled.

A member takes a message ("Take it") and the others see it taken; replies
are written from the templates (edited before sending) and go through the
message's network once; hide archives first. Bulk actions apply to the
checked messages. Messages come from the inbox index by status (GSI1).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from portevoix.core import store
from portevoix.core.compiled import INBOX_INTENTS
from portevoix.core.i18n import format_date, t
from portevoix.core.timeutil import parse_iso
from portevoix.web.http import Response, redirect
from portevoix.web.routes import Ctx, route

STATUSES = ("needs_reply", "replied", "hidden", "ignored")
LIMIT = 200  # messages a page lists
URGENT = ("immediate", "high")
SETTLED_WINDOW = timedelta(days=30)  # replied, hidden, ignored: what the page and context read
INTENTS = (*INBOX_INTENTS, "other")


def _mentions(status: str) -> list[dict[str, Any]]:
    """Newest first. What waits for an answer is all there; settled ones, the last weeks."""
    from portevoix.core.timeutil import iso

    since = None if status == "needs_reply" else iso(datetime.now(UTC) - SETTLED_WINDOW)
    found = store.query_index("GSI1", store.inbox_index(status), since)
    found.sort(key=lambda m: m.get("received_at") or "", reverse=True)
    return found


def _id(mention: dict[str, Any]) -> str:
    return store.id_of(mention["PK"])


def _row(ctx: Ctx, m: dict[str, Any]) -> dict[str, Any]:
    from portevoix.inbox.replies import short_id

    received = parse_iso(m.get("received_at"))
    return {
        "id": _id(m),
        "short": short_id(_id(m)),
        "author": m.get("author") or m.get("author_handle") or m.get("feed_name") or "?",
        "handle": m.get("author_handle") or "",
        "source": m.get("source") or "",
        "excerpt": (m.get("text") or m.get("title") or "")[:280],
        "intent": m.get("intent") or "other",
        "urgency": m.get("urgency") or "normal",
        "urgent": m.get("urgency") in URGENT,
        "sentiment": m.get("sentiment") or "neutral",
        "status": m.get("status") or "new",
        "assigned_to": m.get("assigned_to"),
        "received": format_date(received.astimezone(ctx.config.tz), ctx.lang) if received else "",
        "link": m.get("link") or "",
    }


@route("GET", r"/inbox")
def inbox_page(ctx: Ctx, notice: str | None = None) -> Response:
    q = ctx.request.query
    status = q.get("status") if q.get("status") in STATUSES else "needs_reply"
    rows = [_row(ctx, m) for m in _mentions(status)]
    if q.get("intent") in INTENTS:
        rows = [r for r in rows if r["intent"] == q["intent"]]
    if q.get("network"):
        rows = [r for r in rows if r["source"] == q["network"]]
    if q.get("assignee") == "me":
        assert ctx.session is not None
        rows = [r for r in rows if r["assigned_to"] == ctx.session.email]
    elif q.get("assignee") == "none":
        rows = [r for r in rows if not r["assigned_to"]]
    if q.get("urgent") == "1":
        rows = [r for r in rows if r["urgent"]]
    networks = sorted({a.network for a in ctx.config.accounts} | {"rss", "email"})
    return ctx.page(
        "inbox.html",
        rows=rows[:LIMIT],
        more=max(0, len(rows) - LIMIT),
        current=status,
        statuses=STATUSES,
        intents=INTENTS,
        networks=networks,
        filters={k: q.get(k, "") for k in ("intent", "network", "assignee", "urgent")},
        notice=notice
        or (t(ctx.lang, f"inbox.done.{q['done']}") if q.get("done") in _DONE else None),
        here=ctx.request.path + ("?" + urlencode(q) if q else ""),
    )


_DONE = ("taken", "released", "replied", "handled", "ignored", "hidden", "bulk")


def _mention_or_none(mention_id: str) -> dict[str, Any] | None:
    if not mention_id or len(mention_id) > 300:
        return None
    return store.get(*store.mention_key(mention_id))


@route("GET", r"/inbox/m/(?P<mention_id>[^/]+)")
def message_page(
    ctx: Ctx, mention_id: str, notice: str | None = None, status: int = 200, draft: str = ""
) -> Response:
    from urllib.parse import unquote

    from portevoix.inbox import replies

    mention_id = unquote(mention_id)
    m = _mention_or_none(mention_id)
    if m is None:
        return ctx.message(404, "studio.not_found")
    suggestions = replies.suggestions(ctx.config, m)
    thread, earlier = _context(m)
    return ctx.page(
        "inbox_message.html",
        status,
        m=_row(ctx, m),
        text=m.get("text") or m.get("title") or "",
        suggestions=suggestions,
        draft=draft or next(iter(suggestions.values()), ""),
        thread=[_row(ctx, x) for x in thread],
        earlier=[_row(ctx, x) for x in earlier],
        in_reply_to=m.get("in_reply_to"),
        parent=_parent(ctx, m),
        reply_url=m.get("reply_url"),
        reply_text=m.get("reply_text"),
        error=m.get("reply_error") if m.get("status") == "needs_reply" else None,
        members=[member.email for member in ctx.config.team],
        notice=notice,
        can_reply=m.get("status") in ("new", "needs_reply"),
        reply_until=_until(ctx, m.get("reply_until")),
    )


def _parent(ctx: Ctx, m: dict[str, Any]) -> dict[str, Any] | None:
    """The post the message answers, read from its network (nothing if it cannot say)."""
    from portevoix.core.errors import PortevoixError
    from portevoix.core.text import clean_text

    account = ctx.config.account(m.get("account"))
    if not m.get("in_reply_to") or account is None:
        return None
    from portevoix.networks import build

    try:
        found = build(account, ctx.config).parent(str(m["in_reply_to"]))
    except (PortevoixError, KeyError, ValueError):
        return None
    if not found:
        return None
    url = str(found.get("url") or "")
    return {
        "text": clean_text(str(found.get("text") or ""), 500),
        "author": clean_text(str(found.get("author") or ""), 100),
        "url": url if url.startswith(("https://", "http://")) else "",
    }


def _until(ctx: Ctx, value: str | None) -> dict[str, Any] | None:
    """Meta's 24-hour window of a direct message: when it closes, and whether it has."""
    when = parse_iso(value)
    if when is None:
        return None
    return {
        "when": format_date(when.astimezone(ctx.config.tz), ctx.lang),
        "closed": when <= datetime.now(UTC),
    }


def _context(m: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The thread (same parent) and the author's earlier messages, from the recent inbox."""
    recent = [x for s in STATUSES for x in _mentions(s)[:LIMIT]]
    me = m["PK"]
    parent = m.get("in_reply_to")
    thread = [x for x in recent if parent and x.get("in_reply_to") == parent and x["PK"] != me]
    who = m.get("author_handle")
    earlier = [
        x
        for x in recent
        if who
        and x.get("author_handle") == who
        and x["PK"] != me
        and (x.get("received_at") or "") < (m.get("received_at") or "")
    ]
    thread.sort(key=lambda x: x.get("received_at") or "")
    earlier.sort(key=lambda x: x.get("received_at") or "", reverse=True)
    return thread[:20], earlier[:10]


@route(
    "POST",
    r"/inbox/m/(?P<mention_id>[^/]+)/(?P<action>take|release|assign|reply|handled|ignore|hide)",
)
def message_action(ctx: Ctx, mention_id: str, action: str) -> Response:
    from urllib.parse import unquote

    from portevoix.inbox import assignment
    from portevoix.inbox.replies import ReplyError

    mention_id = unquote(mention_id)
    assert ctx.session is not None
    form = ctx.request.form()
    if _mention_or_none(mention_id) is None:
        return ctx.message(404, "studio.not_found")
    try:
        done = assignment.act(ctx.config, mention_id, action, ctx.session.email, form)
    except ReplyError as exc:
        return message_page(ctx, mention_id, str(exc), 409, draft=form.get("text", ""))
    back = form.get("back") or ""
    if back.startswith("/inbox") and not back.startswith("//"):
        sep = "&" if "?" in back else "?"
        return redirect(f"{back}{sep}done={done}")
    return message_page(ctx, mention_id, t(ctx.lang, f"inbox.done.{done}"))


@route("POST", r"/inbox/bulk")
def bulk(ctx: Ctx) -> Response:
    from portevoix.inbox import assignment
    from portevoix.inbox.replies import ReplyError

    assert ctx.session is not None
    form = ctx.request.form()
    ids = [i for i in ctx.request.form_all("ids") if i][:LIMIT]
    action = form.get("action", "")
    if action not in ("take", "handled", "ignore", "release"):
        return ctx.message(400, "studio.forged")
    for mention_id in ids:
        try:
            assignment.act(ctx.config, mention_id, action, ctx.session.email, {})
        except ReplyError:
            continue  # taken by someone else meanwhile, or already settled: left as it is
    back = form.get("back") or "/inbox"
    if not back.startswith("/inbox") or back.startswith("//"):
        back = "/inbox"
    sep = "&" if "?" in back else "?"
    return redirect(f"{back}{sep}done=bulk")
