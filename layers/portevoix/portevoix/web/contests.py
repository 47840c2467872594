"""Contests in the studio (declare, follow, draw, announce) and each contest's public page.

``/contests`` and ``/contests/<id>`` are the team's; ``/c/<id>`` is public: the
rules, the commitment from the start, and after the draw the seed, the
eligible pseudonyms, the winners and ``draw.json``; an entrant types their
handle to find their pseudonym (nothing is stored).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core.i18n import format_date, format_number, t
from portevoix.core.timeutil import parse_iso
from portevoix.web.http import Response, redirect
from portevoix.web.routes import Ctx, route

ID = r"(?P<contest_id>[\w-]{1,40})"
SHOWN = 500  # entries listed on the page (the CSV in the bucket has them all)


def _when(ctx: Ctx, value: str | None) -> str:
    moment = parse_iso(value)
    return format_date(moment.astimezone(ctx.config.tz), ctx.lang) if moment else "—"


def _choices(ctx: Ctx) -> list[dict[str, str]]:
    """Posts of the last month and the next two a contest can run on."""
    from portevoix.web.calendar import posts_between

    now = datetime.now(UTC)
    found = posts_between(now - timedelta(days=30), now + timedelta(days=60))
    return [
        {
            "id": p["post_id"],
            "label": f"{p.get('title') or p.get('summary') or p['post_id']} · "
            f"{_when(ctx, p.get('scheduled_at') or p.get('GSI2SK', '')[:20])}",
        }
        for p in sorted(found, key=lambda p: p.get("GSI2SK", ""), reverse=True)
        if p.get("status") not in ("cancelled", "rejected", "expired")
    ][:100]


@route("GET", r"/contests")
def contests_page(ctx: Ctx) -> Response:
    return _list(ctx, {}, [], 200)


def _list(ctx: Ctx, values: dict[str, Any], errors: list[str], status: int) -> Response:
    from portevoix.contests import contest

    rows = [
        {
            "id": c["contest_id"],
            "title": c["title"],
            "status": c["status"],
            "starts": _when(ctx, c["starts"]),
            "ends": _when(ctx, c["ends"]),
            "eligible": int(c.get("eligible") or 0),
        }
        for c in sorted(contest.listed(), key=lambda c: c["starts"], reverse=True)
    ]
    now = datetime.now(ctx.config.tz).replace(second=0, microsecond=0, tzinfo=None)
    defaults = {
        "starts": (now + timedelta(hours=1)).isoformat(timespec="minutes"),
        "ends": (now + timedelta(days=7, hours=1)).isoformat(timespec="minutes"),
        "winners": "1",
        "substitutes": "1",
        "tag_friends": "0",
    }
    return ctx.page(
        "contests.html",
        status,
        rows=rows,
        choices=_choices(ctx),
        values={**defaults, **values},
        errors=errors,
        tz=ctx.config.timezone,
    )


def _spec(form: dict[str, str], posts: list[str]) -> dict[str, Any]:
    def number(name: str, default: int | None) -> int | None:
        text = (form.get(name) or "").strip()
        return int(text) if text.isdigit() else default

    extra = [p.strip() for p in (form.get("refs") or "").splitlines() if p.strip()]
    spec: dict[str, Any] = {
        "title": form.get("title", ""),
        "posts": posts + extra,
        "starts": form.get("starts", ""),
        "ends": form.get("ends", ""),
        "entry": {
            "hashtag": (form.get("hashtag") or "").strip() or None,
            "tag_friends": number("tag_friends", 0),
            "repost": form.get("repost") == "on",
        },
        "exclude": [h for h in (form.get("exclude") or "").replace(",", "\n").splitlines()],
        "min_account_age_days": number("min_age", None),
        "winners": number("winners", 1),
        "substitutes": number("substitutes", 0),
        "rules_url": (form.get("rules_url") or "").strip(),
        "winner_message": (form.get("winner_message") or "").strip() or None,
    }
    return spec


@route("POST", r"/contests")
def contest_create(ctx: Ctx) -> Response:
    from portevoix.contests import contest
    from portevoix.core.errors import ConfigError

    assert ctx.session is not None
    form = ctx.request.form()
    posts = ctx.request.form_all("posts")
    try:
        spec = contest.parse(_spec(form, posts), ctx.config, source="contest")
        created = contest.create(ctx.config, spec, by=ctx.session.email)
    except ConfigError as exc:
        kept = {k: v for k, v in form.items() if k != "csrf"}
        return _list(ctx, {**kept, "posts": posts}, exc.problems, 422)
    return redirect(f"/contests/{created['contest_id']}?done=created")


def _contest_or_none(contest_id: str) -> dict[str, Any] | None:
    from portevoix.contests import contest

    return contest.get(contest_id)


@route("GET", rf"/contests/{ID}")
def contest_page(ctx: Ctx, contest_id: str) -> Response:
    from portevoix.contests import contest, rules

    c = _contest_or_none(contest_id)
    if c is None:
        return ctx.message(404, "studio.not_found")
    counted = rules.evaluate(c, contest.entries(contest_id), ctx.config)
    rows = [
        {**j.entry, "pseudonym": j.pseudonym, "status": "eligible", "reason": ""}
        for j in counted.eligible
    ] + [
        {
            **j.entry,
            "pseudonym": j.pseudonym,
            "status": "excluded",
            "reason": rules.describe(j.reason, ctx.lang),
        }
        for j in counted.excluded
    ]
    rows.sort(key=lambda r: r.get("published") or "")
    now = datetime.now(UTC)
    done = ctx.request.query.get("done")
    last = (c.get("draws") or [None])[-1]
    return ctx.page(
        "contest.html",
        c=c,
        spec=c["spec"],
        starts=_when(ctx, c["starts"]),
        ends=_when(ctx, c["ends"]),
        committed=_when(ctx, c["committed_at"]),
        read_at=_when(ctx, c.get("read_at")),
        eligible=len(counted.eligible),
        excluded=len(counted.excluded),
        rows=rows[:SHOWN],
        more=max(0, len(rows) - SHOWN),
        can_draw=c["status"] == "closed" and not last,
        drawn=last,
        draws=c.get("draws") or [],
        running=parse_iso(c["starts"]) <= now <= parse_iso(c["ends"]) + contest.late(c),
        public=contest.public_url(contest_id),
        notice=t(ctx.lang, f"contest.done_{done}") if done in DONE else None,
        error=ctx.request.query.get("error"),
        number=lambda n: format_number(n, ctx.lang),
    )


DONE = ("created", "collected", "drawn", "redrawn", "announced", "messaged")


@route("POST", rf"/contests/{ID}/(?P<action>collect|draw|redraw|announce|message)")
def contest_action(ctx: Ctx, contest_id: str, action: str) -> Response:
    from urllib.parse import urlencode

    from portevoix.contests import contest
    from portevoix.core.errors import ContestError, PortevoixError

    assert ctx.session is not None
    if _contest_or_none(contest_id) is None:
        return ctx.message(404, "studio.not_found")
    here = f"/contests/{contest_id}"
    form = ctx.request.form()
    try:
        if action == "collect":
            contest.collect(ctx.config)
            done = "collected"
        elif action in ("draw", "redraw"):
            contest.run_draw(
                ctx.config,
                contest_id,
                by=ctx.session.email,
                redraw=action == "redraw",
                reason=form.get("reason", ""),
            )
            done = "drawn" if action == "draw" else "redrawn"
        elif action == "announce":
            post = contest.announce(ctx.config, contest_id, by=ctx.session.email)
            return redirect(f"/posts/{post['post_id']}")
        else:
            contest.message_winners(ctx.config, contest_id, by=ctx.session.email)
            done = "messaged"
    except (ContestError, PortevoixError) as exc:
        return redirect(f"{here}?{urlencode({'error': str(exc)[:300]})}")
    return redirect(f"{here}?done={done}")


# -- the public page ---------------------------------------------------------------------------


@route("GET", rf"/c/{ID}", member=False)
def contest_public(ctx: Ctx, contest_id: str) -> Response:
    from portevoix.contests import contest, draw

    c = _contest_or_none(contest_id)
    if c is None:
        return ctx.message(404, "studio.not_found")
    public = contest.published(c)
    mine = None
    handle = (ctx.request.query.get("handle") or "").strip()[:200]
    network = ctx.request.query.get("network") or ""
    if handle and network in NETWORKS:
        pseudonym = draw.pseudonym(c["salt"], network, handle)
        state = "unknown"
        if public:
            if pseudonym in public["winners"]:
                state = "winner"
            elif pseudonym in public["substitutes"]:
                state = "substitute"
            elif pseudonym in public["eligible"]:
                state = "eligible"
            elif any(x["pseudonym"] == pseudonym for x in public["excluded"]):
                state = "excluded"
            else:
                state = "absent"
        mine = {"pseudonym": pseudonym, "state": state}
    return ctx.page(
        "contest_public.html",
        c=c,
        spec=c["spec"],
        starts=_when(ctx, c["starts"]),
        ends=_when(ctx, c["ends"]),
        committed=_when(ctx, c["committed_at"]),
        public=public,
        mine=mine,
        handle=handle,
        network=network,
        networks=NETWORKS,
        eligible=int(c.get("eligible") or 0),
    )


NETWORKS = ("mastodon", "bluesky", "facebook", "instagram", "linkedin", "x")


@route("GET", rf"/c/{ID}/draw\.json", member=False)
def contest_draw_json(ctx: Ctx, contest_id: str) -> Response:
    from portevoix.contests import contest

    c = _contest_or_none(contest_id)
    public = contest.published(c) if c else None
    if public is None:
        return Response(404, json.dumps({"error": "no draw yet"}), "application/json")
    return Response(
        200,
        json.dumps(public, ensure_ascii=False, indent=1),
        "application/json; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{contest_id}-draw.json"'},
    )
