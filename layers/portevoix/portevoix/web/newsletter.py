"""The newsletter's pages: the public sign-up, confirmation and one-click unsubscribe, the
approvers' page, and the team's issue editor in the studio.

Public pages change nothing on GET (mail scanners open links); the
unsubscribe POST needs neither a session nor a form token (RFC 8058: the
mailbox provider posts ``List-Unsubscribe=One-Click`` itself).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from portevoix.core import links
from portevoix.core.i18n import languages, t
from portevoix.web.http import Response, redirect
from portevoix.web.routes import LINK_CSP, Ctx, route

LIMIT_PER_CLIENT = 10  # sign-ups a client may ask in the window (sessions.WINDOW)
LIMIT_PER_ADDRESS = 2  # confirmation emails an address may receive in it


def _public(ctx: Ctx, template: str, status: int = 200, **values: Any) -> Response:
    return ctx.page(template, status, **values)


def _off(ctx: Ctx) -> Response | None:
    return None if ctx.config.newsletter.enabled else ctx.message(404, "studio.not_found")


@route("GET", r"/n", member=False)
def signup_page(ctx: Ctx) -> Response:
    return _off(ctx) or _public(
        ctx, "newsletter_signup.html", languages=languages(), values={}, error=None
    )


@route("POST", r"/n", member=False)
def signup(ctx: Ctx) -> Response:
    from portevoix.core.errors import NewsletterError
    from portevoix.newsletter import subscribers
    from portevoix.web import sessions

    if off := _off(ctx):
        return off
    form = ctx.request.form()
    now = datetime.now(UTC)
    try:
        address = subscribers.normal(form.get("email", ""))
    except NewsletterError as exc:
        return _public(
            ctx,
            "newsletter_signup.html",
            422,
            languages=languages(),
            values=form,
            error=str(exc),
        )
    if sessions.allowed("nl-client", ctx.request.client or "?", LIMIT_PER_CLIENT, now) and (
        sessions.allowed("nl-address", address, LIMIT_PER_ADDRESS, now)
    ):
        subscribers.subscribe(ctx.config, address, form.get("language", ""), "sign-up page /n", now)
    # The same answer whatever happened: the page tells nobody who is subscribed.
    return _public(ctx, "newsletter_message.html", text=t(ctx.lang, "newsletter.check_inbox"))


@route("GET", r"/n/c/(?P<link_id>[\w-]{1,64})", member=False)
def confirm_page(ctx: Ctx, link_id: str) -> Response:
    link = links.get(link_id)
    if link is None or link.get("kind") != "subscribe":
        return _public(ctx, "newsletter_message.html", 404, text=t(ctx.lang, "page.invalid"))
    return _public(ctx, "newsletter_confirm.html", form_token=link["form_token"], link_id=link_id)


@route("POST", r"/n/c/(?P<link_id>[\w-]{1,64})", member=False)
def confirm(ctx: Ctx, link_id: str) -> Response:
    from portevoix.newsletter import subscribers

    sub = subscribers.confirm(link_id, ctx.request.form().get("form_token", ""))
    if sub is None:
        return _public(ctx, "newsletter_message.html", 410, text=t(ctx.lang, "page.expired"))
    return _public(ctx, "newsletter_message.html", text=t(ctx.lang, "newsletter.confirmed"))


@route("GET", r"/n/u/(?P<token>[\w-]{1,64})", member=False)
def unsubscribe_page(ctx: Ctx, token: str) -> Response:
    from portevoix.newsletter import subscribers

    sub = subscribers.by_token(token)
    if sub is None:
        return _public(ctx, "newsletter_message.html", 404, text=t(ctx.lang, "page.invalid"))
    return _public(
        ctx, "newsletter_unsubscribe.html", token=token, done=sub["status"] != "confirmed"
    )


@route("POST", r"/n/u/(?P<token>[\w-]{1,64})", member=False)
def unsubscribe(ctx: Ctx, token: str) -> Response:
    from portevoix.newsletter import subscribers

    one_click = ctx.request.form().get("List-Unsubscribe") == "One-Click"
    sub = subscribers.unsubscribe(token, "one-click" if one_click else "page")
    if sub is None:
        return _public(ctx, "newsletter_message.html", 404, text=t(ctx.lang, "page.invalid"))
    return _public(ctx, "newsletter_message.html", text=t(ctx.lang, "newsletter.unsubscribed"))


# -- the approvers' page ------------------------------------------------------------------------


@route("GET", r"/n/a/(?P<link_id>[\w-]{1,64})", member=False)
def approval_page(ctx: Ctx, link_id: str) -> Response:
    return _approval(ctx, link_id, "GET", {})


@route("POST", r"/n/a/(?P<link_id>[\w-]{1,64})", member=False)
def approval_post(ctx: Ctx, link_id: str) -> Response:
    return _approval(ctx, link_id, "POST", ctx.request.form())


def _approval(ctx: Ctx, link_id: str, method: str, form: dict[str, str]) -> Response:
    from portevoix.core.mail import page as page_html
    from portevoix.newsletter import issues, subscribers

    link = links.get(link_id)
    issue = issues.get(link["issue_id"]) if link and link.get("kind") == "newsletter" else None
    status, message = 200, None
    if issue is None:
        status, message = 404, t(ctx.lang, "page.invalid")
    elif method == "POST":
        decision = form.get("decision")
        if decision not in ("approve", "reject"):
            status, message = 400, t(ctx.lang, "page.forged")
        elif decision == "reject" and not form.get("comment", "").strip():
            status, message = 400, t(ctx.lang, "page.need_comment")
        else:
            kind, issue = issues.decide(
                ctx.config,
                link_id,
                form.get("form_token", ""),
                decision == "approve",
                form.get("comment", ""),
            )
            status = {"decided": 200, "already": 409, "expired": 410, "forged": 403}.get(kind, 404)
            message = t(
                ctx.lang,
                f"newsletter.page_{issue['status']}" if kind == "decided" else f"page.{kind}",
                **(
                    {"by": issue.get("decided_by") or "?", "when": issue.get("decided_at") or "?"}
                    if kind == "already"
                    else {}
                ),
            )
    elif issue["status"] != "awaiting_approval":
        message = t(
            ctx.lang, "newsletter.page_" + ("sending" if issue["status"] == "sending" else "closed")
        )
    rendered = issues.render(ctx.config, issue, ctx.lang) if issue else None
    open_ = issue is not None and issue["status"] == "awaiting_approval" and link is not None
    html = page_html(
        "newsletter_approval.html",
        lang=ctx.lang,
        brand=ctx.config.brand.name,
        message=message,
        issue=issue,
        text=rendered.text if rendered else "",
        subject=rendered.subject if rendered else "",
        subscribers=len(subscribers.confirmed()) if issue else 0,
        form_token=link["form_token"] if open_ and method == "GET" else None,
    )
    return Response(status, html, headers={"Content-Security-Policy": LINK_CSP})


# -- the studio's editor ------------------------------------------------------------------------


DONE = ("picked", "saved", "asked", "unpicked")


@route("GET", r"/newsletter")
def editor(ctx: Ctx) -> Response:
    from portevoix.core import store
    from portevoix.newsletter import issues, subscribers

    if not ctx.config.newsletter.enabled:
        return ctx.page("newsletter_message.html", text=t(ctx.lang, "newsletter.off"))
    issue = issues.current(ctx.config)
    done = ctx.request.query.get("done")
    past = [i for i in store.query_gsi1(issues.INDEX) if i["issue_id"] != issue["issue_id"]]
    return ctx.page(
        "newsletter.html",
        issue=issue,
        label=issues.label(issue["issue_id"], ctx.lang),
        picks=issues.picks(issue["issue_id"]),
        posts=issues.published_posts(ctx.config, issue["issue_id"]),
        counts=subscribers.counts(),
        langs=[ctx.config.language, *(x for x in languages() if x != ctx.config.language)],
        past=sorted(past, key=lambda i: i["issue_id"], reverse=True)[:24],
        signup=f"{ctx.request.base_url}/n",
        notice=t(ctx.lang, f"newsletter.done_{done}") if done in DONE else None,
        error=ctx.request.query.get("error"),
    )


@route("POST", r"/newsletter/(?P<issue_id>[\w-]{7,8})/(?P<action>save|ask)")
def editor_action(ctx: Ctx, issue_id: str, action: str) -> Response:
    from urllib.parse import urlencode

    from portevoix.core.errors import NewsletterError
    from portevoix.newsletter import issues

    assert ctx.session is not None
    if issues.get(issue_id) is None:
        return ctx.message(404, "studio.not_found")
    form = ctx.request.form()
    editorial = {lang: form.get(f"editorial_{lang}", "") for lang in languages()}
    if not issues.save(issue_id, editorial, ctx.session.email):
        return redirect("/newsletter?" + urlencode({"error": t(ctx.lang, "newsletter.not_draft")}))
    if action == "save":
        return redirect("/newsletter?done=saved")
    try:
        issues.ask(ctx.config, issue_id, ctx.session.email)
    except NewsletterError as exc:
        return redirect("/newsletter?" + urlencode({"error": str(exc)}))
    return redirect("/newsletter?done=asked")


@route("POST", r"/newsletter/(?P<issue_id>[\w-]{7,8})/unpick/(?P<item_id>[^/]{1,200})")
def editor_unpick(ctx: Ctx, issue_id: str, item_id: str) -> Response:
    from urllib.parse import unquote

    from portevoix.newsletter import issues

    issues.unpick(issue_id, unquote(item_id))
    return redirect("/newsletter?done=unpicked")


@route("GET", r"/newsletter/pick/(?P<item_id>[^/]{1,200})")
def pick_page(ctx: Ctx, item_id: str) -> Response:
    from urllib.parse import unquote

    from portevoix.core import store

    item = store.get(*store.item_key(unquote(item_id)))
    if item is None:
        return ctx.message(404, "studio.not_found")
    return ctx.page("newsletter_pick.html", item=item, item_id=item_id)


@route("POST", r"/newsletter/pick/(?P<item_id>[^/]{1,200})")
def pick(ctx: Ctx, item_id: str) -> Response:
    from urllib.parse import unquote, urlencode

    from portevoix.core.errors import NewsletterError
    from portevoix.newsletter import issues

    assert ctx.session is not None
    try:
        issues.pick(ctx.config, unquote(item_id), ctx.session.email)
    except NewsletterError as exc:
        return redirect("/newsletter?" + urlencode({"error": str(exc)}))
    return redirect("/newsletter?done=picked")


@route("GET", r"/newsletter/(?P<issue_id>[\w-]{7,8})/preview")
def preview(ctx: Ctx, issue_id: str) -> Response:
    """The issue exactly as a subscriber gets it (the email's own inline styles)."""
    from portevoix.newsletter import issues

    issue = issues.get(issue_id)
    if issue is None:
        return ctx.message(404, "studio.not_found")
    lang = ctx.request.query.get("lang") or ctx.lang
    lang = lang if lang in languages() else ctx.lang
    rendered = issues.render(ctx.config, issue, lang)
    return Response(200, rendered.html, headers={"Content-Security-Policy": LINK_CSP})
