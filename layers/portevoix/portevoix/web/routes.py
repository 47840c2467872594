"""The studio's one route table: sign-in, calendar, composer, post pages, ICS, link pages.

Every page is rendered on the server (Jinja2, autoescaped). A signed-in page
needs a session; a POST from a signed-in page also needs the session's CSRF
token. Approval and action links (``/a/``, ``/m/``) work without signing in.
"""

from __future__ import annotations

import json
import re
import secrets as _random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from portevoix.core import links, mail, store
from portevoix.core.i18n import format_date, format_duration, t
from portevoix.core.timeutil import iso, parse_iso
from portevoix.web import sessions
from portevoix.web.http import CSP, Request, Response, cookie, redirect

Handler = Callable[..., Response]
ROUTES: list[tuple[str, re.Pattern[str], Handler, bool]] = []  # method, path, handler, member


def route(method: str, pattern: str, *, member: bool = True) -> Callable[[Handler], Handler]:
    def add(func: Handler) -> Handler:
        ROUTES.append((method, re.compile(pattern), func, member))
        return func

    return add


class Ctx:
    """One request: the configuration, the session (if any), the language."""

    def __init__(self, config: Any, request: Request, session: sessions.Session | None):
        self.config = config
        self.request = request
        self.session = session
        self.cookies: list[str] = []
        member = next(
            (m for m in config.team if session and m.email.lower() == session.email), None
        )
        if member is not None:
            self.lang = member.language or config.language
        else:
            from portevoix.publishing.approval import pick_language

            self.lang = pick_language(request.headers.get("accept-language"), config.language)

    def page(
        self, template: str, status: int = 200, *, media: bool = False, **values: Any
    ) -> Response:
        """A studio page; ``media``: it shows or uploads images from the bucket."""
        csp = CSP
        bucket = ""
        if media:
            from portevoix.publishing import media as uploads

            bucket = uploads.origin()
        if bucket:
            csp = CSP.replace("img-src 'self'", f"img-src 'self' {bucket}").replace(
                "connect-src 'self'", f"connect-src 'self' {bucket}"
            )
        html = mail.page(
            f"studio/{template}",
            lang=self.lang,
            brand=self.config.brand.name,
            me=self.session.email if self.session else None,
            csrf=self.session.csrf if self.session else "",
            path=self.request.path,
            **values,
        )
        return Response(
            status, html, headers={"Content-Security-Policy": csp}, cookies=self.cookies
        )

    def message(self, status: int, key: str, **values: Any) -> Response:
        return self.page("message.html", status, text=t(self.lang, key, **values))


def handle(config: Any, request: Request) -> Response:
    """Answer one request (any path of the stack's HTTP API), gzipped when the client takes it."""
    answer = _route(config, request)
    body = answer.body
    if (
        isinstance(body, str)
        and len(body) > 1400
        and "gzip" in request.headers.get("accept-encoding", "")
    ):
        import gzip

        answer.body = gzip.compress(body.encode(), compresslevel=6, mtime=0)
        answer.headers = {**answer.headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
    return answer


def _route(config: Any, request: Request) -> Response:
    session = sessions.current(config, request.cookies.get(sessions.COOKIE))
    ctx = Ctx(config, request, session)
    for method, pattern, func, needs_member in ROUTES:
        match = pattern.fullmatch(request.path)
        if not match or method != request.method:
            continue
        if needs_member and session is None:
            if request.method != "GET":
                return ctx.message(403, "studio.forged")
            wanted = request.path + ("?" + urlencode(request.query) if request.query else "")
            return redirect("/signin?" + urlencode({"next": wanted}))
        if needs_member and request.method == "POST":
            submitted = request.form().get("csrf") or request.headers.get("x-csrf-token")
            if not sessions.csrf_ok(session, submitted):
                return ctx.message(403, "studio.forged")
        if session is not None:  # the sliding session: the cookie's lifetime follows
            ctx.cookies.append(_session_cookie(session))
        return func(ctx, **match.groupdict())
    known = any(p.fullmatch(request.path) for _, p, _, _ in ROUTES)
    return ctx.message(405 if known else 404, "studio.not_found")


def _session_cookie(session: sessions.Session) -> str:
    return cookie(
        sessions.COOKIE,
        sessions.cookie_value(session.session_id),
        int(sessions.SESSION_LIFETIME.total_seconds()),
    )


def _safe_next(value: str | None) -> str:
    """Only a path of this site (never //host or a scheme): no open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value[:500]
    return "/calendar"


# -- sign-in -----------------------------------------------------------------------


@route("GET", r"/", member=False)
def home(ctx: Ctx) -> Response:
    return redirect("/calendar" if ctx.session else "/signin")


@route("GET", r"/signin", member=False)
def signin_form(ctx: Ctx) -> Response:
    if ctx.session:
        return redirect(_safe_next(ctx.request.query.get("next")))
    token = _random.token_urlsafe(24)
    ctx.cookies.append(cookie(sessions.PRE_COOKIE, token, 3600))
    return ctx.page("signin.html", pre=token, next=_safe_next(ctx.request.query.get("next")))


@route("POST", r"/signin", member=False)
def signin_request(ctx: Ctx) -> Response:
    form = ctx.request.form()
    pre = ctx.request.cookies.get(sessions.PRE_COOKIE, "")
    if not pre or not links.token_ok({"form_token": pre}, form.get("pre")):
        return ctx.message(403, "studio.forged")
    outcome, link_id = sessions.request_link(ctx.config, form.get("email", ""), ctx.request.client)
    if outcome == "limited":
        return ctx.message(429, "studio.limited")
    if link_id:
        _send_signin(ctx, sessions.normalise_email(form.get("email", "")), link_id, form)
    return ctx.message(200, "studio.sent")


def _send_signin(ctx: Ctx, email: str, link_id: str, form: dict[str, str]) -> None:
    from portevoix.core import notices

    member = next(m for m in ctx.config.team if m.email.lower() == email)
    url = f"{ctx.request.base_url}/signin/{link_id}"
    nxt = _safe_next(form.get("next"))
    if nxt != "/calendar":
        url += "?" + urlencode({"next": nxt})
    notices.send(ctx.config, [member.email], "signin", [], button=url)


@route("GET", r"/signin/(?P<link_id>[^/]+)", member=False)
def signin_link(ctx: Ctx, link_id: str) -> Response:
    state, link = sessions.link_state(link_id)
    if state != "open" or link is None:
        return ctx.message(410 if state in ("used", "expired") else 404, f"studio.link_{state}")
    return ctx.page(
        "signin_confirm.html",
        email=link["email"],
        form_token=link["form_token"],
        next=_safe_next(ctx.request.query.get("next")),
    )


@route("POST", r"/signin/(?P<link_id>[^/]+)", member=False)
def signin_redeem(ctx: Ctx, link_id: str) -> Response:
    form = ctx.request.form()
    outcome, session = sessions.redeem(ctx.config, link_id, form.get("form_token", ""))
    if session is None:
        if outcome == "forged":
            return ctx.message(403, "studio.forged")
        code = 410 if outcome in ("used", "expired") else 404
        return ctx.message(code, f"studio.link_{outcome}")
    return redirect(
        _safe_next(form.get("next")),
        [_session_cookie(session), cookie(sessions.PRE_COOKIE, "", 0)],
    )


@route("POST", r"/signout")
def signout(ctx: Ctx) -> Response:
    assert ctx.session is not None
    sessions.end(ctx.session)
    ctx.session = None
    ctx.cookies = [cookie(sessions.COOKIE, "", 0)]
    return ctx.message(200, "studio.signed_out")


# -- calendar ------------------------------------------------------------------------


@route("GET", r"/calendar")
def calendar_page(ctx: Ctx) -> Response:
    from portevoix.web import calendar

    query = ctx.request.query
    try:
        anchor = date.fromisoformat(query.get("date", ""))
    except ValueError:
        anchor = datetime.now(ctx.config.tz).date()
    accounts = [a.key for a in ctx.config.accounts]
    account = query.get("account") if query.get("account") in accounts else None
    kind = "week" if query.get("view") == "week" else "month"
    view = calendar.build(ctx.config, kind, anchor, account)
    return ctx.page(
        "calendar.html",
        view=view,
        account=account or "",
        accounts=accounts,
        ics=_ics_url(ctx),
        format_day=lambda d: format_date(
            datetime.combine(d, datetime.min.time()), ctx.lang, with_time=False
        ),
    )


# -- composer ------------------------------------------------------------------------


@route("GET", r"/compose")
def compose_page(ctx: Ctx) -> Response:
    from portevoix.web import compose

    query = ctx.request.query
    try:
        day = date.fromisoformat(query.get("date", "")).isoformat()
    except ValueError:
        day = (datetime.now(ctx.config.tz) + timedelta(days=1)).date().isoformat()
    link = query.get("link", "")
    prefill = {  # from a digest item's "Write a post": its title and link
        "title": query.get("title", ""),
        "day": day,
        "at": "10:00",
        "text": query.get("title", ""),
        "link": link if link.startswith(("https://", "http://")) else "",
    }
    for acc in compose.publishable(ctx.config):
        prefill[f"use_{acc.key}"] = "on"
    form = compose.Form.parse(prefill, ctx.config)
    return _composer(ctx, form, {}, [], 200)


def _composer(
    ctx: Ctx, form: Any, verdicts: dict[str, Any], problems: list[str], status: int
) -> Response:
    from portevoix.web import compose

    return ctx.page(
        "compose.html",
        status,
        media=True,
        media_json=json.dumps(form.media),
        form=form,
        accounts=compose.publishable(ctx.config),
        verdicts=verdicts,
        problems=problems,
        tz=ctx.config.timezone,
        poll_minutes=compose.POLL_MINUTES,
    )


@route("POST", r"/compose")
def compose_submit(ctx: Ctx) -> Response:
    from portevoix.web import compose

    form = compose.Form.parse(ctx.request.form(), ctx.config)
    problems = compose.problems(ctx.config, form, ctx.lang)
    verdicts = compose.verdicts(ctx.config, form, ctx.lang)
    images, refused = compose.checked_media(form, ctx.lang)
    problems += refused
    if problems or any(v["blocked"] for v in verdicts.values()):
        return _composer(ctx, form, verdicts, problems, 422)
    assert ctx.session is not None
    post = compose.submit(ctx.config, form, ctx.session.email, images)
    return redirect(f"/posts/{post['post_id']}")


@route("POST", r"/compose/check")
def compose_check(ctx: Ctx) -> Response:
    """The live check: the composer's fields as JSON, each variant's count and verdict."""
    from portevoix.web import compose

    form = compose.Form.parse(ctx.request.json(), ctx.config)
    answer = {
        "variants": compose.verdicts(ctx.config, form, ctx.lang),
        "problems": compose.problems(ctx.config, form, ctx.lang),
    }
    return _json(200, answer, ctx)


# -- images -----------------------------------------------------------------------------


def _json(status: int, data: dict[str, Any], ctx: Ctx) -> Response:
    return Response(status, json.dumps(data), "application/json", cookies=ctx.cookies)


@route("POST", r"/media/presign")
def media_presign(ctx: Ctx) -> Response:
    """A presigned POST for one image: the bucket's policy holds its type and size."""
    from portevoix.core.errors import MediaError
    from portevoix.publishing import media

    data = ctx.request.json()
    try:
        size = int(data.get("size") or 0)
        thumb_of = str(data["thumb_of"]) if data.get("thumb_of") else None
        return _json(200, media.presign(str(data.get("type") or ""), size, thumb_of=thumb_of), ctx)
    except (MediaError, ValueError) as exc:
        return _json(400, {"error": str(exc)}, ctx)


@route("POST", r"/media/check")
def media_check(ctx: Ctx) -> Response:
    """After the upload: the image judged by its bytes (a liar is deleted)."""
    from portevoix.core.errors import MediaError
    from portevoix.publishing import media

    try:
        found = media.verify(str(ctx.request.json().get("key") or ""))
    except MediaError as exc:
        return _json(400, {"error": str(exc)}, ctx)
    return _json(200, {"key": found["key"], "mime": found["mime"], "size": found["size"]}, ctx)


@route("GET", r"/media/view")
def media_view(ctx: Ctx) -> Response:
    from portevoix.core.errors import MediaError
    from portevoix.publishing import media

    try:
        return redirect(media.view_url(ctx.request.query.get("key", "")))
    except MediaError:
        return ctx.message(404, "studio.not_found")


# -- post pages ----------------------------------------------------------------------


def _post_or_404(ctx: Ctx, post_id: str) -> dict[str, Any] | None:
    if not re.fullmatch(r"[\w-]{1,64}", post_id):
        return None
    return store.get(*store.post_key(post_id))


@route("GET", r"/posts/(?P<post_id>[^/]+)")
def post_page(ctx: Ctx, post_id: str, notice: str | None = None, status: int = 200) -> Response:
    post = _post_or_404(ctx, post_id)
    if post is None:
        return ctx.message(404, "studio.not_found")
    done = ctx.request.query.get("done")
    if notice is None and done in ("boost", "boost_retry"):
        notice = t(ctx.lang, f"studio.done_{done}")
    tz = ctx.config.tz
    when = (parse_iso(post["scheduled_at"]) or datetime.now(UTC)).astimezone(tz)
    decided = parse_iso(post.get("decided_at"))
    results = {r["account"]: r for r in post.get("results") or []}
    ledger = {
        item["account"]: item
        for item in store.batch_get([store.publication_key(post_id, a) for a in post["accounts"]])
    }
    from portevoix.publishing import polls, tracking

    clicks = tracking.clicks(post_id)
    votes = polls.results(post_id, post["accounts"])
    networks = []
    for account in post["accounts"]:
        entry = {**ledger.get(account, {}), **results.get(account, {})}
        networks.append(
            {
                "account": account,
                "status": entry.get("status") or "pending",
                "url": entry.get("url"),
                "error": entry.get("error"),
                "metrics": entry.get("metrics") or {},
                "clicks": clicks.get(account),
                "poll": votes.get(account),
            }
        )
    from portevoix.publishing.posts import FINAL

    images = [
        {"key": key, "alt": m.get("alt", "")}
        for m in next(iter(post["variants"].values())).get("media", [])
        if (key := _media_key(m.get("url", "")))
    ]
    held = None
    if post["status"] == "held":
        from portevoix.inbox import crisis

        now = datetime.now(UTC)
        late = (now - (parse_iso(post["scheduled_at"]) or now)).total_seconds()
        since = parse_iso(post.get("held_at"))
        held = {
            "since": format_date(since.astimezone(tz), ctx.lang) if since else "",
            "ago": format_duration(late, ctx.lang) if late >= 60 else None,
            "frozen": crisis.frozen() is not None,
        }
    return ctx.page(
        "post.html",
        status,
        boosts=_boosts_view(ctx, post, ledger),
        held=held,
        media=bool(images),
        images=images,
        post=post,
        when=format_date(when, ctx.lang),
        local_value=when.strftime("%Y-%m-%dT%H:%M"),
        decided=format_date(decided.astimezone(tz), ctx.lang) if decided else None,
        networks=networks,
        findings=post.get("findings") or [],
        refused=[  # emails SES refused for good, when, in the reader's zone and language
            {**e, "at": format_date(at.astimezone(tz), ctx.lang) if at else ""}
            for e in post.get("notice_errors") or []
            for at in [parse_iso(e.get("at"))]
        ],
        final=post["status"] in FINAL,
        notice=notice,
    )


def _boosts_view(ctx: Ctx, post: dict[str, Any], ledger: dict[str, Any]) -> dict[str, Any]:
    """The post's boosts, and the accounts it can still be boosted on (with their audiences)."""
    from portevoix.publishing import boosts

    rules = ctx.config.boosts
    lang = ctx.lang
    rows = []
    for b in sorted(boosts.of_post(post["post_id"]), key=lambda b: b["requested_at"]):
        rows.append(
            {
                **b,
                "budget_text": boosts.money(b["budget"], b["currency"], lang),
                "spend_text": boosts.money(int(b.get("spend") or 0), b["currency"], lang),
                "reach": b.get("reach"),
                "clicks": int(b.get("clicks") or 0),
            }
        )
    busy = {b["account"] for b in rows if b["status"] in boosts.OPEN}
    offers = []
    if rules.max_budget > 0:
        for account, entry in ledger.items():
            ads = rules.ad_account_for(account)
            if ads and entry.get("status") == "published" and account not in busy:
                offers.append({"account": account, "audiences": sorted(ads.audiences)})
    return {
        "rows": rows,
        "offers": offers,
        "currency": rules.currency,
        "cap": boosts.money(
            boosts.to_minor(rules.max_budget, rules.currency), rules.currency, lang
        ),
        "max_days": rules.max_days,
    }


@route("POST", r"/posts/(?P<post_id>[^/]+)/boost")
def post_boost(ctx: Ctx, post_id: str) -> Response:
    """Ask for a boost: the approvers get the approval link; nothing is spent before."""
    from portevoix.publishing import boosts

    post = _post_or_404(ctx, post_id)
    if post is None:
        return ctx.message(404, "studio.not_found")
    assert ctx.session is not None
    form = ctx.request.form()
    try:
        days = int(form.get("days") or 0)
    except ValueError:
        days = 0
    try:
        boosts.request(
            ctx.config,
            post_id,
            form.get("account", ""),
            budget=form.get("budget", ""),
            days=days,
            audience=form.get("audience", ""),
            by=ctx.session.email,
            lang=ctx.lang,
        )
    except boosts.BoostError as exc:
        return post_page(ctx, post_id, str(exc), 422)
    return redirect(f"/posts/{post_id}?done=boost")


@route("POST", r"/boosts/(?P<boost_id>[\w-]{1,40})/retry")
def boost_retry(ctx: Ctx, boost_id: str) -> Response:
    from portevoix.publishing import boosts

    boost = boosts.get(boost_id)
    if boost is None:
        return ctx.message(404, "studio.not_found")
    assert ctx.session is not None
    if boosts.retry(boost_id, ctx.session.email):
        boosts.try_launch(ctx.config, boost_id)
    return redirect(f"/posts/{boost['post_id']}?done=boost_retry")


def _media_key(url: str) -> str | None:
    from portevoix.publishing import media

    return media.key_of(url)


@route("POST", r"/posts/(?P<post_id>[^/]+)/(?P<action>cancel|duplicate|reschedule|release)")
def post_action(ctx: Ctx, post_id: str, action: str) -> Response:
    from portevoix.core.errors import PostError
    from portevoix.publishing import posts

    post = _post_or_404(ctx, post_id)
    if post is None:
        return ctx.message(404, "studio.not_found")
    if action == "duplicate":  # the composer, filled with this post, for a day ahead
        from portevoix.web import compose

        variants = post["variants"]
        common = next(iter(variants.values()))
        data: dict[str, Any] = {
            "title": post.get("title") or "",
            "day": (datetime.now(ctx.config.tz) + timedelta(days=1)).date().isoformat(),
            "at": (post.get("local_time") or "2000-01-01 10:00")[-5:],
            "text": common["text"],
            "link": common.get("link") or "",
        }
        for key, spec in variants.items():
            data[f"use_{key}"] = "on"
            data[f"text_{key}"] = spec["text"] if spec["text"] != common["text"] else ""
        return _composer(ctx, compose.Form.parse(data, ctx.config), {}, [], 200)
    assert ctx.session is not None
    try:
        if action == "cancel":
            posts.cancel(post_id, by=ctx.session.email)
            return post_page(ctx, post_id, t(ctx.lang, "studio.cancelled"))
        if action == "release":
            posts.release(post_id, by=ctx.session.email)
            return post_page(ctx, post_id, t(ctx.lang, "studio.released"))
        try:
            at = datetime.fromisoformat(ctx.request.form().get("at", ""))
        except ValueError:
            return post_page(ctx, post_id, t(ctx.lang, "studio.need_date"), 422)
        if at.replace(tzinfo=ctx.config.tz) < datetime.now(UTC):
            return post_page(ctx, post_id, t(ctx.lang, "studio.past_date"), 422)
        posts.reschedule(ctx.config, post_id, at, by=ctx.session.email)
        return post_page(ctx, post_id, t(ctx.lang, "studio.rescheduled"))
    except PostError as exc:
        return post_page(ctx, post_id, str(exc), 409)


# -- the calendar as an ICS feed ----------------------------------------------------------


def _ics_url(ctx: Ctx) -> str:
    assert ctx.session is not None
    profile = store.get(*store.member_key(ctx.session.email)) or {}
    token = profile.get("ics_token")
    if not token:
        token = _renew_ics(ctx.session.email, None)
    return f"{ctx.request.base_url}/ics/{token}.ics"


def _renew_ics(email: str, old: str | None) -> str:
    token = _random.token_urlsafe(24)
    store.batch_put(
        [
            store.with_key(store.ics_key(token), email=email, created_at=iso(datetime.now(UTC))),
            store.with_key(store.member_key(email), email=email, ics_token=token),
        ]
    )
    if old:
        store.delete(*store.ics_key(old))
    return token


@route("POST", r"/ics/renew")
def ics_renew(ctx: Ctx) -> Response:
    assert ctx.session is not None
    profile = store.get(*store.member_key(ctx.session.email)) or {}
    _renew_ics(ctx.session.email, profile.get("ics_token"))
    return redirect("/calendar")


@route("GET", r"/ics/(?P<token>[\w-]{16,64})\.ics", member=False)
def ics_feed(ctx: Ctx, token: str) -> Response:
    from portevoix.web import calendar, ics

    owner = store.get(*store.ics_key(token))
    if owner is None or not sessions.is_member(ctx.config, owner.get("email", "")):
        return Response(404, "not found", "text/plain; charset=utf-8")
    now = datetime.now(UTC)
    found = calendar.posts_between(now - timedelta(days=31), now + timedelta(days=92))
    body = ics.feed(ctx.config, found, ctx.request.base_url)
    return Response(200, body, "text/calendar; charset=utf-8")


# -- approval and action links (no session) ------------------------------------------------


@route("GET", r"/(?P<kind>a|b|m)/(?P<link_id>[^/]+)", member=False)
def link_page(ctx: Ctx, kind: str, link_id: str) -> Response:
    return _link(ctx, kind, link_id, "GET", {})


@route("POST", r"/(?P<kind>a|b|m)/(?P<link_id>[^/]+)", member=False)
def link_post(ctx: Ctx, kind: str, link_id: str) -> Response:
    return _link(ctx, kind, link_id, "POST", ctx.request.form())


LINK_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def _link(ctx: Ctx, kind: str, link_id: str, method: str, form: dict[str, str]) -> Response:
    from portevoix.inbox import actions
    from portevoix.publishing import approval

    expected = {"a": ("approval",), "b": ("boost",)}.get(kind, ("mention", "freeze"))
    link = links.get(link_id)
    if link is None or link.get("kind", "approval") not in expected:
        status, html = approval.page(ctx.config, "-", "GET", {}, ctx.lang)  # the invalid page
        return Response(404, html, headers={"Content-Security-Policy": LINK_CSP})
    if kind == "a":
        status, html = approval.page(ctx.config, link_id, method, form, ctx.lang)
    elif kind == "b":
        from portevoix.publishing import boosts

        status, html = boosts.page(ctx.config, link_id, method, form, ctx.lang)
    else:
        focus = ctx.request.query.get("do")
        status, html = actions.page(ctx.config, link_id, method, form, ctx.lang, focus)
    return Response(status, html, headers={"Content-Security-Policy": LINK_CSP})


# -- webhooks (no session: each delivery proves itself) -------------------------------------


@route("GET", r"/l/(?P<code>[a-z2-7]{10})", member=False)
def short_link(ctx: Ctx, code: str) -> Response:
    """A tracked link: count the visit (not a previewer's), send the visitor on; no cookie."""
    from portevoix.publishing import tracking

    target = tracking.click(code, ctx.request.headers.get("user-agent", ""))
    if target is None:
        return ctx.message(404, "studio.not_found")
    return Response(302, "", headers={"Location": target, "Cache-Control": "no-store"})


@route("GET", r"/hooks/meta", member=False)
def meta_subscribe(ctx: Ctx) -> Response:
    """Meta's subscription check: the challenge back, only for our verify token."""
    from portevoix.inbox import webhooks

    challenge = webhooks.verify(ctx.request.query, webhooks.app_settings())
    if challenge is None:
        return Response(403, "forbidden", "text/plain; charset=utf-8")
    return Response(200, challenge, "text/plain; charset=utf-8")


@route("POST", r"/hooks/meta", member=False)
def meta_delivery(ctx: Ctx) -> Response:
    """Messages to the Page or the Instagram account: signed by the app secret, stored once."""
    from portevoix.inbox import webhooks

    settings = webhooks.app_settings()
    body = ctx.request.body
    if not webhooks.signed(
        body, ctx.request.headers.get("x-hub-signature-256"), settings.get("client_secret", "")
    ):
        return Response(403, "bad signature", "text/plain; charset=utf-8")
    try:
        payload = json.loads(body)
    except ValueError:
        return Response(400, "not JSON", "text/plain; charset=utf-8")
    created = webhooks.ingest(ctx.config, payload if isinstance(payload, dict) else {})
    return Response(200, json.dumps({"stored": created}), "application/json")


# -- static files ---------------------------------------------------------------------------


_STATIC: dict[str, bytes] = {}


@route("GET", r"/static/(?P<name>studio\.(?:css|js))", member=False)
def static(ctx: Ctx, name: str) -> Response:
    if name not in _STATIC:
        _STATIC[name] = resources.files("portevoix.web").joinpath("static", name).read_bytes()
    ctype = "text/css; charset=utf-8" if name.endswith(".css") else "text/javascript; charset=utf-8"
    return Response(
        200,
        _STATIC[name].decode(),
        ctype,
        headers={"Cache-Control": "public, max-age=3600"},
    )


# The Accounts, Contests, Crisis, Inbox and Settings pages register their routes here too.
from portevoix.web import accounts as _accounts  # noqa: E402, F401
from portevoix.web import contests as _contests  # noqa: E402, F401
from portevoix.web import crisis as _crisis  # noqa: E402, F401
from portevoix.web import inbox as _inbox  # noqa: E402, F401
from portevoix.web import newsletter as _newsletter  # noqa: E402, F401
from portevoix.web import settings as _settings  # noqa: E402, F401
