"""The studio's Accounts pages: what is connected, "Connect" and "Reconnect" per network.

The flows themselves are in ``portevoix.accounts.connect``. A form posts here
(CSRF-checked); a network's consent page is reached through a link on our
page (the studio's CSP lets forms post to itself only), and the network sends
the member back to ``/accounts/callback``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from portevoix.core.i18n import t
from portevoix.web.http import Response
from portevoix.web.routes import Ctx, route

LABELS = {
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "linkedin": "LinkedIn",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "x": "X",
    "meta-ads": "Meta Ads",
    "linkedin-ads": "LinkedIn Ads",
}


def _describe(account: Any) -> str:
    """What a configured account points at, as a person reads it."""
    for name in ("handle", "instance", "organization", "page_id", "user_id", "query", "kind"):
        value = getattr(account, name, None)
        if value:
            return str(value)
    return ""


def _callback(ctx: Ctx) -> str:
    return f"{ctx.request.base_url}/accounts/callback"


@route("GET", r"/accounts")
def accounts_page(ctx: Ctx) -> Response:
    rows = [
        {
            "key": a.key,
            "network": a.network,
            "label": LABELS.get(a.network, a.network),
            "what": _describe(a),
            "enabled": a.enabled,
            "connectable": a.network in LABELS,
        }
        for a in (*ctx.config.accounts, *ctx.config.disabled_accounts)
    ]
    ads = [
        {
            "key": a.id,
            "network": f"{a.network}-ads",
            "label": LABELS[f"{a.network}-ads"],
            "what": f"{a.ad_account} · {', '.join(a.boosts)}",
            "enabled": a.enabled,
            "connectable": True,
            "audiences": sorted(a.audiences),
        }
        for a in ctx.config.boosts.ad_accounts
    ]
    from datetime import datetime

    from portevoix.core.i18n import format_number
    from portevoix.reporting import audience

    today = datetime.now(ctx.config.tz).date()
    for row in rows:
        drawn = audience.chart(row["key"], today) if row["enabled"] else {}
        if drawn:
            sign = "+" if drawn["change"] > 0 else ""
            drawn["text"] = t(
                ctx.lang,
                "connect.followers",
                followers=format_number(drawn["last"], ctx.lang),
                change=sign + format_number(drawn["change"], ctx.lang),
                days=drawn["days"],
            )
            drawn["label"] = t(
                ctx.lang,
                "connect.followers_chart",
                account=row["key"],
                days=drawn["days"],
                first=format_number(drawn["first"], ctx.lang),
                last=format_number(drawn["last"], ctx.lang),
            )
        row["audience"] = drawn
    return ctx.page("accounts.html", rows=rows, ads=ads, networks=LABELS)


@route("GET", r"/accounts/connect/(?P<network>[a-z-]+)")
def connect_form(ctx: Ctx, network: str) -> Response:
    return _form(ctx, network, ctx.request.query, None, 200)


def _form(
    ctx: Ctx, network: str, values: dict[str, str], error: str | None, status: int
) -> Response:
    from portevoix.accounts import connect
    from portevoix.core.errors import ConnectError

    if network not in LABELS:
        return ctx.message(404, "studio.not_found")
    missing_app = None
    if network in connect.OAUTH_APP:
        try:
            connect.app_credentials(network, _callback(ctx))
        except ConnectError as exc:
            missing_app = str(exc)
    account = values.get("account", "")
    return ctx.page(
        "connect.html",
        status,
        network=network,
        label=LABELS[network],
        account=account if account.replace("-", "").replace("_", "").isalnum() else "",
        values=values,
        error=error,
        missing_app=missing_app,
        app_parameter=connect.app_parameter(network) if network in connect.OAUTH_APP else "",
        callback=_callback(ctx),
    )


@route("POST", r"/accounts/connect/(?P<network>[a-z-]+)")
def connect_start(ctx: Ctx, network: str) -> Response:
    from portevoix.accounts import connect
    from portevoix.core.errors import ConfigError, ConnectError

    if network not in LABELS:
        return ctx.message(404, "studio.not_found")
    form = ctx.request.form()
    assert ctx.session is not None
    try:
        if network == "bluesky":
            return _done(ctx, connect.bluesky(ctx.config, form, ctx.session.email))
        url = connect.begin(ctx.config, network, ctx.session.email, _callback(ctx), form)
    except (ConnectError, ConfigError) as exc:
        kept = {k: v for k, v in form.items() if k not in ("password", "csrf")}
        return _form(ctx, network, kept, str(exc), 422)
    return ctx.page(
        "connect_continue.html",
        label=LABELS[network],
        url=url,
        host=urlsplit(url).netloc,
    )


@route("GET", r"/accounts/callback")
def connect_callback(ctx: Ctx) -> Response:
    from portevoix.accounts import connect
    from portevoix.core.errors import ConfigError, ConnectError

    assert ctx.session is not None
    try:
        outcome = connect.callback(ctx.config, ctx.request.query, ctx.session.email)
    except (ConnectError, ConfigError) as exc:
        return ctx.page("message.html", 400, text=str(exc), back="/accounts")
    return _done(ctx, outcome)


@route("POST", r"/accounts/choose")
def connect_choose(ctx: Ctx) -> Response:
    from portevoix.accounts import connect
    from portevoix.core.errors import ConfigError, ConnectError

    assert ctx.session is not None
    form = ctx.request.form()
    try:
        outcome = connect.choose(
            ctx.config, form.get("state", ""), form.get("choice", ""), ctx.session.email
        )
    except (ConnectError, ConfigError) as exc:
        return ctx.page("message.html", 400, text=str(exc), back="/accounts")
    return _done(ctx, outcome)


def _done(ctx: Ctx, outcome: Any) -> Response:
    if outcome.choices:
        return ctx.page(
            "connect_choose.html",
            label=LABELS[outcome.network],
            network=outcome.network,
            choices=[c.label for c in outcome.choices],
            state=outcome.state,
        )
    return ctx.page(
        "message.html",
        text=t(
            ctx.lang,
            "connect.done",
            network=LABELS[outcome.network],
            who=outcome.label,
            account=outcome.account,
        ),
        back="/accounts",
    )
