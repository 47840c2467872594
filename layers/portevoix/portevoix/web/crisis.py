"""The crisis room: one page per episode.

When it started, the hourly curve of negative messages against the baseline,
the messages grouped by theme, who handles what, the held posts (each
released on its own), the freeze switch, and the log of every action.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import store
from portevoix.core.i18n import format_date, format_duration, format_number, t
from portevoix.core.timeutil import parse_iso
from portevoix.web.http import Response, redirect
from portevoix.web.routes import Ctx, route

BEFORE = timedelta(hours=12)  # the curve starts this long before the episode
CURVE_HOURS = 7 * 24  # at most this many bars
MESSAGES_LIMIT = 500


def _on_episode(action: Any) -> Any:
    """A POST on an episode: a signed-in member, and the episode (else 404)."""
    import functools

    @functools.wraps(action)
    def wrapper(ctx: Ctx, episode_id: str, **values: Any) -> Response:
        assert ctx.session is not None
        episode = _episode_or_none(episode_id)
        if episode is None:
            return ctx.message(404, "studio.not_found")
        return action(ctx, episode, **values)

    return wrapper


def _episode_or_none(episode_id: str) -> dict[str, Any] | None:
    from portevoix.inbox import episodes

    return episodes.get(episode_id) if episode_id.replace("-", "").isalnum() else None


def messages(episode: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """The episode's negative messages (never the brand's own), oldest first."""
    from portevoix.inbox import aftermath

    return negatives(aftermath.windows(episode, now)["during"])


def negatives(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from portevoix.inbox import aftermath

    return [m for m in found if aftermath.negative(m)][:MESSAGES_LIMIT]


def curve(episode: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Hourly negative counts around the episode, scaled for an inline SVG."""
    started = parse_iso(episode["started_at"]) or now
    end = min(now, (parse_iso(episode.get("closed_at")) or now) + timedelta(hours=6))
    last = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    first = max(
        (started - BEFORE).replace(minute=0, second=0, microsecond=0),
        last - timedelta(hours=CURVE_HOURS - 1),
    )
    hours = int((last - first).total_seconds() // 3600) + 1
    found = store.read_counts(first, last + timedelta(hours=1))
    counts = [found.get(first + timedelta(hours=i), {}).get("negative", 0) for i in range(hours)]
    mean = float(episode.get("baseline_mean") or 0)
    threshold = float(episode.get("threshold") or 0)
    top = max([*counts, threshold, 1])
    return {
        "first": first,
        "counts": counts,
        "mean": mean,
        "threshold": threshold,
        "top": top,
        "peak": max(counts, default=0),
        "start_index": max(0, int((started - first).total_seconds() // 3600)),
    }


@route("GET", r"/crisis")
def crisis_index(ctx: Ctx) -> Response:
    from portevoix.inbox import crisis, episodes

    open_one = episodes.current()
    if open_one:
        return redirect(f"/crisis/{open_one['episode_id']}")
    tz = ctx.config.tz
    rows = [
        {
            "id": e["episode_id"],
            "started": format_date(parse_iso(e["started_at"]).astimezone(tz), ctx.lang),
            "status": e.get("status"),
            "peak": e.get("peak"),
        }
        for e in episodes.recent()
    ]
    return ctx.page("crisis_index.html", episodes=rows, frozen=crisis.frozen() is not None)


@route("GET", r"/crisis/(?P<episode_id>[\w-]{1,40})\.csv")
def crisis_csv(ctx: Ctx, episode_id: str) -> Response:
    """The episode's report as CSV (a download)."""
    from portevoix.inbox import aftermath

    episode = _episode_or_none(episode_id)
    if episode is None:
        return ctx.message(404, "studio.not_found")
    name = aftermath.csv_name(ctx.config, episode)
    return Response(
        200,
        aftermath.to_csv(aftermath.build(episode)),
        "text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@route("GET", r"/crisis/(?P<episode_id>[\w-]{1,40})")
def crisis_page(
    ctx: Ctx, episode_id: str, notice: str | None = None, status: int = 200
) -> Response:
    from portevoix.inbox import crisis, episodes, themes

    episode = _episode_or_none(episode_id)
    if episode is None:
        return ctx.message(404, "studio.not_found")
    notice = notice or _done_notice(ctx)
    from portevoix.inbox import aftermath

    now = datetime.now(UTC)
    tz = ctx.config.tz
    seen = aftermath.windows(episode, now)
    found = negatives(seen["during"])
    grouped = themes.group(found, ctx.config.brand.name)

    def row(m: dict[str, Any]) -> dict[str, Any]:
        received = parse_iso(m.get("received_at"))
        return {
            "id": store.id_of(m["PK"]),
            "author": m.get("author_handle") or m.get("author") or "?",
            "source": m.get("source") or "",
            "excerpt": (m.get("text") or m.get("title") or "")[:200],
            "status": m.get("status") or "new",
            "assigned_to": m.get("assigned_to"),
            "when": format_date(received.astimezone(tz), ctx.lang) if received else "",
        }

    handlers: dict[str, Counter[str]] = {}
    for m in found:
        handlers.setdefault(m.get("assigned_to") or "", Counter())[m.get("status") or "new"] += 1
    started = parse_iso(episode["started_at"]) or now
    ended = parse_iso(episode.get("closed_at"))
    held = [
        {
            "id": p["post_id"],
            "title": p.get("title") or next(iter(p["variants"].values()))["text"][:80],
            "when": format_date(parse_iso(p["scheduled_at"]).astimezone(tz), ctx.lang),
            "accounts": p.get("accounts") or [],
        }
        for p in crisis.held_posts()
    ]
    drawn = curve(episode, now)
    busy_hours = [
        (format_date((drawn["first"] + timedelta(hours=i)).astimezone(tz), ctx.lang), c)
        for i, c in enumerate(drawn["counts"])
        if c
    ]
    log = [
        {
            "when": format_date(parse_iso(a["at"]).astimezone(tz), ctx.lang),
            "by": a.get("by") or "?",
            "what": t(
                ctx.lang,
                f"crisis.log.{a.get('action')}",
                **{k: a.get(k) if a.get(k) is not None else "" for k in _LOG_VALUES}
                | {"title": a.get("title") or a.get("post") or ""},
            ),
        }
        for a in reversed(episodes.actions(episode_id))
    ]
    from portevoix.inbox import statement

    said = store.get(*store.post_key(episode.get("statement_post") or "-"))
    texts = episode.get("statement_texts") or statement.drafts(ctx.config)
    waiting = [
        m
        for m in found
        if m.get("status") in ("new", "needs_reply")
        and m.get("assigned_to") in (None, ctx.session.email if ctx.session else None)
    ]
    built = aftermath.build(episode, now, seen)
    report = aftermath.lines(ctx.config, built, ctx.lang)
    return ctx.page(
        "crisis.html",
        status,
        report=report,
        peak=built["peak"],
        statement={
            "langs": statement.languages(ctx.config),
            "texts": texts,
            "targets": [
                f"{key} ({v['language']})"
                for key, v in statement.variants(ctx.config, texts).items()
            ],
            "post": said,
            "pending": bool(said) and said.get("status") not in posts_final(),
            "approved": statement.approved_texts(episode) is not None,
            "waiting": len(waiting),
        },
        episode=episode,
        open=episode.get("status") == "open",
        started=format_date(started.astimezone(tz), ctx.lang),
        duration=format_duration(((ended or now) - started).total_seconds(), ctx.lang),
        ended=format_date(ended.astimezone(tz), ctx.lang) if ended else None,
        curve=drawn,
        mean=format_number(drawn["mean"], ctx.lang, 1),
        threshold=format_number(drawn["threshold"], ctx.lang, 0),
        busy_hours=busy_hours,
        curve_from=format_date(drawn["first"].astimezone(tz), ctx.lang),
        curve_to=format_date(now.astimezone(tz), ctx.lang),
        total=len(found),
        themes=[
            {"word": th["word"], "words": th["words"], "rows": [row(m) for m in th["messages"]]}
            for th in grouped["themes"]
        ],
        rest=[row(m) for m in grouped["rest"]],
        links=grouped["links"],
        networks=grouped["networks"],
        handlers=sorted(
            (
                {"who": who, "counts": dict(c), "total": sum(c.values())}
                for who, c in handlers.items()
            ),
            key=lambda h: (h["who"] == "", -h["total"]),
        ),
        held=held,
        frozen=crisis.frozen() is not None,
        log=log,
        notice=notice,
    )


_LOG_VALUES = ("count", "post", "title", "released", "waiting")


def posts_final() -> tuple[str, ...]:
    from portevoix.publishing.posts import FINAL

    return FINAL


@route("POST", r"/crisis/(?P<episode_id>[\w-]{1,40})/statement")
@_on_episode
def crisis_statement(ctx: Ctx, episode: dict[str, Any]) -> Response:
    """Send the holding statement (as edited) for approval, one post for every account."""
    from portevoix.core.errors import PostError
    from portevoix.inbox import statement

    episode_id = episode["episode_id"]
    form = ctx.request.form()
    texts = {lang: form.get(f"text_{lang}", "") for lang in statement.languages(ctx.config)}
    try:
        statement.propose(ctx.config, episode, texts, by=ctx.session.email)
    except PostError as exc:
        return crisis_page(ctx, episode_id, str(exc), 422)
    return redirect(f"/crisis/{episode_id}?done=statement")


@route("POST", r"/crisis/(?P<episode_id>[\w-]{1,40})/reply-all")
@_on_episode
def crisis_reply_all(ctx: Ctx, episode: dict[str, Any]) -> Response:
    """Answer every waiting message of the episode with the approved statement, each once."""
    from portevoix.core.errors import PostError
    from portevoix.inbox import statement

    episode_id = episode["episode_id"]
    found = messages(episode, datetime.now(UTC))
    try:
        done = statement.reply_all(ctx.config, episode, found, by=ctx.session.email)
    except PostError as exc:
        return crisis_page(ctx, episode_id, str(exc), 409)
    if done["failed"]:  # say which, here: a redirect would lose them
        notice = (
            t(ctx.lang, "crisis.done.replied", count=len(done["sent"]))
            + " "
            + t(ctx.lang, "crisis.page.reply_failed", failures="; ".join(done["failed"]))
        )
        return crisis_page(ctx, episode_id, notice)
    return redirect(f"/crisis/{episode_id}?done=replied&count={len(done['sent'])}")


@route("POST", r"/crisis/freeze")
def crisis_freeze(ctx: Ctx) -> Response:
    """Freeze with no episode open: the freeze opens one."""
    from portevoix.inbox import crisis, episodes

    assert ctx.session is not None
    crisis.freeze(True, by=ctx.session.email, config=ctx.config)
    episode = episodes.current()
    return redirect(f"/crisis/{episode['episode_id']}" if episode else "/crisis")


@route("POST", r"/crisis/(?P<episode_id>[\w-]{1,40})/(?P<action>freeze|lift|close)")
@_on_episode
def crisis_action(ctx: Ctx, episode: dict[str, Any], action: str) -> Response:
    """Act, then show the page again by GET (a reload never acts twice)."""
    from portevoix.core.errors import PostError
    from portevoix.inbox import crisis, episodes

    episode_id = episode["episode_id"]
    here = f"/crisis/{episode_id}"
    if action == "close":
        try:
            episodes.close(ctx.config, episode_id, by=ctx.session.email)
        except PostError as exc:
            return crisis_page(ctx, episode_id, str(exc), 409)
        return redirect(f"{here}?done=close")
    done = crisis.freeze(action == "freeze", by=ctx.session.email, config=ctx.config)
    if done["frozen"]:
        return redirect(f"{here}?done=freeze")
    return redirect(
        f"{here}?done=lift&released={len(done['released'])}&waiting={len(done['waiting'])}"
    )


@route("POST", r"/crisis/(?P<episode_id>[\w-]{1,40})/release/(?P<post_id>[\w-]{1,64})")
@_on_episode
def crisis_release(ctx: Ctx, episode: dict[str, Any], post_id: str) -> Response:
    from portevoix.core.errors import PostError
    from portevoix.publishing import posts

    episode_id = episode["episode_id"]
    try:
        posts.release(post_id, by=ctx.session.email)
    except PostError as exc:
        return crisis_page(ctx, episode_id, str(exc), 409)
    return redirect(f"/crisis/{episode_id}?done=release&post={post_id}")


def _done_notice(ctx: Ctx) -> str | None:
    """The notice of the action just done (the redirect's query)."""
    q = ctx.request.query
    done = q.get("done")
    if done in ("freeze", "close", "statement"):
        return t(ctx.lang, f"crisis.done.{done}")
    if done == "replied":
        count = int(q["count"]) if str(q.get("count", "")).isdigit() else 0
        return t(ctx.lang, "crisis.done.replied", count=count)
    if done == "lift":
        numbers = {
            k: int(q[k]) if str(q.get(k, "")).isdigit() else 0 for k in ("released", "waiting")
        }
        return t(ctx.lang, "freeze.lifted", released=numbers["released"], count=numbers["waiting"])
    if done == "release" and q.get("post"):
        post = store.get(*store.post_key(q["post"])) if len(q["post"]) <= 64 else None
        if post:
            return t(ctx.lang, "crisis.released", title=post.get("title") or post["post_id"])
    return None
