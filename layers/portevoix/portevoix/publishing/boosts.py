"""Paid boosts: asked for on a published post, approved like a post, launched exactly once.

``BOOST#<id>`` holds the request (post, account, budget in the currency's
minor units, dates, audience), its decision and, step by step, the ids of
what the ad network created (``steps``). Nothing is spent without an
approved decision: the budget is checked against ``boosts.max_budget`` (and
the month's ``monthly_budget``) when asked, when approved and when launched.

A launch holds a lease on the boost (one launcher at a time). Each step is
recorded as soon as its id is known; after a lost answer the network is
searched for the object by its name (which carries the boost id) before
anything is created again, and the campaign, created paused, is activated
last: a boost is created once, and only its recorded campaign ever runs.
The daily metrics run reads spend, impressions and clicks per day, and the
reach since the start, into the boost.
"""

from __future__ import annotations

import secrets as _random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from portevoix.core import links, notices, store
from portevoix.core.errors import BoostError, PortevoixError
from portevoix.core.timeutil import iso, parse_iso

INDEX = "BOOSTS"
LEASE = timedelta(minutes=5)
APPROVAL_DAYS = 3
OPEN = ("awaiting_approval", "approved", "launching", "active")
COMMITTED = ("approved", "launching", "active", "ended")  # money promised


def key(boost_id: str) -> store.Key:
    return f"BOOST#{boost_id}", "BOOST"


def get(boost_id: str) -> dict[str, Any] | None:
    if not boost_id or not boost_id.replace("-", "").replace("_", "").isalnum():
        return None
    return store.get(*key(boost_id))


def listed(since: datetime | None = None) -> list[dict[str, Any]]:
    """Every boost asked for since ``since`` (all by default), oldest first."""
    return store.query_gsi1(INDEX, iso(since) if since else None)


def of_post(post_id: str) -> list[dict[str, Any]]:
    return [b for b in listed() if b.get("post_id") == post_id]


def digits(currency: str) -> int:
    from babel import numbers

    return numbers.get_currency_precision(currency)


def to_minor(amount: float | str, currency: str) -> int:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(str(amount).replace(",", ".").strip())
    except InvalidOperation:
        raise BoostError(f"the budget {amount!r} is not an amount") from None
    return int((value * 10 ** digits(currency)).to_integral_value())


def money(minor: int, currency: str, lang: str) -> str:
    from portevoix.core.i18n import format_money

    return format_money(int(minor), currency, lang)


def check_budget(
    config: Any, budget: int, start: datetime, *, exclude: str | None = None, lang: str = "en"
) -> None:
    """Refuse a budget above the per-boost cap or the month's: the message names both."""
    from portevoix.core.i18n import t

    rules = config.boosts
    currency = rules.currency
    cap = to_minor(rules.max_budget, currency)
    if cap <= 0:
        raise BoostError(t(lang, "boost.off"))
    if budget <= 0:
        raise BoostError(t(lang, "boost.no_budget"))
    if budget > cap:
        raise BoostError(
            t(
                lang,
                "boost.over_cap",
                budget=money(budget, currency, lang),
                cap=money(cap, currency, lang),
            )
        )
    if rules.monthly_budget:
        month = start.astimezone(config.tz).strftime("%Y-%m")
        spent = sum(
            int(b["budget"])
            for b in listed()
            if b.get("status") in COMMITTED
            and b["boost_id"] != exclude
            and parse_iso(b["start"]).astimezone(config.tz).strftime("%Y-%m") == month
        )
        monthly = to_minor(rules.monthly_budget, currency)
        if spent + budget > monthly:
            raise BoostError(
                t(
                    lang,
                    "boost.over_month",
                    budget=money(budget, currency, lang),
                    spent=money(spent, currency, lang),
                    cap=money(monthly, currency, lang),
                    month=month,
                )
            )


def request(
    config: Any,
    post_id: str,
    account: str,
    *,
    budget: float | str,
    days: int,
    audience: str,
    by: str,
    start: datetime | None = None,
    now: datetime | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    """Ask for a boost of a published post; the approvers get a link each. Returns the boost."""
    from portevoix.core.i18n import t

    now = now or datetime.now(UTC)
    rules = config.boosts
    net_account = config.account(account)
    ads = rules.ad_account_for(account)
    if net_account is None or ads is None:
        raise BoostError(t(lang, "boost.no_ad_account", account=account))
    entry = store.get(*store.publication_key(post_id, account)) or {}
    if entry.get("status") != "published" or not entry.get("ref"):
        raise BoostError(t(lang, "boost.not_published", account=account))
    if not ads.audiences:
        raise BoostError(t(lang, "boost.no_audiences", ads=ads.id))
    if audience not in ads.audiences:
        raise BoostError(
            t(lang, "boost.no_audience", audience=audience, known=", ".join(sorted(ads.audiences)))
        )
    if not 1 <= int(days) <= rules.max_days:
        raise BoostError(t(lang, "boost.days", max=rules.max_days))
    minor = to_minor(budget, rules.currency)
    start = max(start or now, now)
    check_budget(config, minor, start, lang=lang)
    for other in of_post(post_id):
        if other["account"] == account and other["status"] in OPEN:
            raise BoostError(t(lang, "boost.already", account=account))
    extra: dict[str, Any] = {}
    if net_account.network == "instagram":  # Meta needs the Page behind the Instagram account
        page = getattr(ads, "page_id", None) or next(
            (a.page_id for a in config.accounts if a.network == "facebook" and a.key in ads.boosts),
            None,
        )
        if not page:
            raise BoostError(t(lang, "boost.no_page", account=account))
        extra = {"instagram_user_id": net_account.user_id, "page_id": page}
    boost_id = _random.token_urlsafe(9).replace("-", "x").replace("_", "y")
    post = store.get(*store.post_key(post_id)) or {}
    item = store.with_key(
        key(boost_id),
        boost_id=boost_id,
        post_id=post_id,
        title=post.get("title") or "",
        text=(post.get("variants", {}).get(account) or {}).get("text", "")[:500],
        account=account,
        network=net_account.network,
        ref=entry["ref"],
        url=entry.get("url"),
        ad_account=ads.id,
        ad_network=ads.network,
        budget=minor,
        currency=rules.currency,
        days=int(days),
        start=iso(start),
        end=iso(start + timedelta(days=int(days))),
        audience=audience,
        requested_by=by,
        requested_at=iso(now),
        status="awaiting_approval",
        steps={},
        GSI1PK=INDEX,
        GSI1SK=f"{iso(now)}#{boost_id}",
        **extra,
    )
    store.put(item)
    _ask(config, item, now)
    return get(boost_id) or item


def _ask(config: Any, boost: dict[str, Any], now: datetime) -> None:
    approvers = config.approvers or [m.email for m in config.team]
    expires = now + timedelta(days=APPROVAL_DAYS)
    sent = {
        email: links.create("boost", expires, now=now, boost_id=boost["boost_id"], email=email)
        for email in approvers
    }
    store.update(*key(boost["boost_id"]), {"links": sent, "approval_expires": iso(expires)})
    for email, link in sent.items():
        _notify(config, [email], "boost.approval", boost, button=links.url("boost", link))


def _notify(
    config: Any, to: list[str], what: str, boost: dict[str, Any], *, button: str | None = None
) -> None:
    from portevoix.core.i18n import format_date

    tz = config.tz
    by_lang = {}
    for lang in {notices.language_of(config, e) for e in to}:
        by_lang[lang] = {
            "budget": money(boost["budget"], boost["currency"], lang),
            "start": format_date(parse_iso(boost["start"]).astimezone(tz), lang),
            "end": format_date(parse_iso(boost["end"]).astimezone(tz), lang),
        }
    notices.send(
        config,
        to,
        what,
        [
            {"label": boost["account"], "text": boost.get("text") or boost["ref"]},
            # a rejection's comment, a failure's reason
            *(
                [{"label": "—", "text": why}]
                if (why := boost.get("error") or boost.get("decision_comment"))
                and what != "boost.approval"
                else []
            ),
        ],
        button=button,
        values={
            "account": boost["account"],
            "audience": boost["audience"],
            "days": boost["days"],
            "by": boost.get("decided_by") or boost.get("requested_by") or "?",
        },
        values_by_lang=by_lang,
    )


# -- the decision ---------------------------------------------------------------------------


def load(link_id: str, now: datetime | None = None) -> tuple[str, dict[str, Any] | None, Any]:
    """(kind, boost, link): ``open``, ``already``, ``expired``, ``invalid``."""
    now = now or datetime.now(UTC)
    link = links.get(link_id)
    if link is None or link.get("kind") != "boost":
        return "invalid", None, None
    boost = get(link.get("boost_id", ""))
    if boost is None:
        return "invalid", None, None
    if boost.get("decided_at"):
        return "already", boost, link
    if boost["status"] != "awaiting_approval" or (parse_iso(link.get("expires")) or now) <= now:
        return "expired", boost, link
    return "open", boost, link


def decide(
    config: Any,
    link_id: str,
    form_token: str,
    approve: bool,
    comment: str = "",
    *,
    now: datetime | None = None,
    launch_now: bool = True,
    lang: str = "en",
) -> tuple[str, dict[str, Any] | None]:
    """Record the first decision; an approval launches the boost. Returns (kind, boost)."""
    now = now or datetime.now(UTC)
    kind, boost, link = load(link_id, now)
    if kind != "open":
        return kind, boost
    if not links.token_ok(link, form_token):
        return "forged", boost
    if approve:  # the caps as they are now (other boosts may have been approved meanwhile)
        check_budget(
            config,
            int(boost["budget"]),
            parse_iso(boost["start"]),
            exclude=boost["boost_id"],
            lang=lang,
        )
    start = max(parse_iso(boost["start"]) or now, now)
    claimed = store.update(
        *key(boost["boost_id"]),
        {
            "status": "approved" if approve else "rejected",
            "decided_by": link["email"],
            "decided_at": iso(now),
            "decision_comment": (comment or "").strip()[:2000] or None,
            # A boost approved late runs its full length from the approval.
            "start": iso(start),
            "end": iso(start + timedelta(days=int(boost["days"]))),
        },
        condition=("status", ("awaiting_approval",)),
    )
    if not claimed:
        return "already", get(boost["boost_id"])
    links.mark_used(link_id, now)
    boost = get(boost["boost_id"]) or boost
    if not approve:
        _notify(config, [boost["requested_by"]], "boost.rejected", boost)
        return "decided", boost
    if launch_now:
        try_launch(config, boost["boost_id"], now=now)
    return "decided", get(boost["boost_id"])


# -- the launch -----------------------------------------------------------------------------


def launch(
    config: Any, boost_id: str, *, now: datetime | None = None, client: Any = None
) -> dict[str, Any]:
    """Create the boost on its network, exactly once; returns the boost as it ends up."""
    from portevoix.networks import NetworkError
    from portevoix.networks.base import LostResponse, RateLimited, TransientError

    now = now or datetime.now(UTC)
    boost = get(boost_id)
    if boost is None:
        raise BoostError(f"no boost {boost_id}")
    if boost["status"] not in ("approved", "launching"):
        return boost
    lease = iso(now + LEASE)
    claimed = store.update(
        *key(boost_id), {"status": "launching", "lease": lease}, condition=("status", ("approved",))
    ) or (
        boost["status"] == "launching"
        and (parse_iso(boost.get("lease")) or now) <= now
        and store.update(*key(boost_id), {"lease": lease}, condition=("lease", (boost["lease"],)))
    )
    if not claimed:
        return get(boost_id) or boost  # another launcher holds it
    boost = get(boost_id) or boost
    steps: dict[str, str] = dict(boost.get("steps") or {})
    try:
        ads = next((a for a in config.boosts.ad_accounts if a.id == boost["ad_account"]), None)
        if ads is None:
            raise BoostError(f"the ad account {boost['ad_account']} is no longer configured")
        if int(boost["budget"]) > to_minor(config.boosts.max_budget, boost["currency"]):
            raise BoostError(
                f"the budget is now above boosts.max_budget ({config.boosts.max_budget} "
                f"{boost['currency']}): nothing was created"
            )
        from portevoix.networks import ads as adapi

        net = client or adapi.build(ads, config)
        if not steps:  # before the first object: the account must pay in our currency
            currency = net.check()
            if currency and currency != boost["currency"]:
                raise BoostError(
                    f"the ad account {ads.id} pays in {currency}, boosts.currency is "
                    f"{boost['currency']}: nothing was created"
                )
        ready = net.prepare(boost) if any(s not in steps for s in net.STEPS) else {}
        for step in net.STEPS:
            if step in steps:
                continue
            found = net.find(step, boost, steps)
            if found is None:
                try:
                    found = net.create(step, boost, steps, ready)
                except LostResponse:
                    found = net.find(step, boost, steps)  # it may exist: look before anything
                    if found is None:
                        raise
            steps[step] = found
            store.update(*key(boost_id), {"steps": steps})
        net.activate(steps)
        store.update(
            *key(boost_id),
            {"status": "active", "launched_at": iso(now), "lease": None, "error": None},
        )
    except (RateLimited, TransientError) as exc:
        # Worth trying again: the lease runs out and the next sweep resumes from the steps.
        store.update(*key(boost_id), {"error": str(exc)[:500]})
        raise
    except (NetworkError, BoostError, PortevoixError) as exc:
        store.update(*key(boost_id), {"status": "failed", "error": str(exc)[:500], "lease": None})
        failed = get(boost_id) or boost
        _notify(config, [boost["requested_by"]], "boost.failed", failed)
        return failed
    return get(boost_id) or boost


def try_launch(config: Any, boost_id: str, *, now: datetime | None = None) -> None:
    """Launch now if the network answers; a transient failure is left to the sweep."""
    try:
        launch(config, boost_id, now=now)
    except Exception as exc:  # noqa: BLE001 - recorded on the boost; the sweep tries again
        import logging

        logging.getLogger(__name__).warning("boost %s: launch deferred: %s", boost_id, exc)


def retry(boost_id: str, by: str) -> bool:
    """A failed boost goes back to ``approved`` (its decision stands); the sweep launches it."""
    return store.update(
        *key(boost_id),
        {"status": "approved", "error": None, "retried_by": by},
        condition=("status", ("failed",)),
    )


def sweep(config: Any, now: datetime | None = None) -> dict[str, Any]:
    """Launch what was approved but is not running yet (a launch interrupted, a retry)."""
    now = now or datetime.now(UTC)
    launched, waiting = [], []
    for boost in listed(now - timedelta(days=APPROVAL_DAYS + 90)):
        due = boost["status"] == "approved" or (
            boost["status"] == "launching" and (parse_iso(boost.get("lease")) or now) <= now
        )
        if not due:
            continue
        try:
            done = launch(config, boost["boost_id"], now=now)
        except Exception as exc:  # noqa: BLE001 - one boost's trouble never stops the others
            waiting.append({"boost": boost["boost_id"], "error": str(exc)[:300]})
            continue
        launched.append({"boost": boost["boost_id"], "status": done["status"]})
    return {"launched": launched, "waiting": waiting}


# -- figures --------------------------------------------------------------------------------


def collect(
    config: Any, now: datetime | None = None, clients: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Read each running (or just ended) boost's figures: per day, and its reach since start."""
    from portevoix.networks import NetworkError
    from portevoix.networks import ads as adapi

    now = now or datetime.now(UTC)
    read, failed = 0, []
    for boost in listed(now - timedelta(days=120)):
        if boost["status"] not in ("active", "ended") or boost.get("final"):
            continue
        ads = next((a for a in config.boosts.ad_accounts if a.id == boost["ad_account"]), None)
        if ads is None:
            continue
        start = parse_iso(boost["start"]).date()
        end = parse_iso(boost["end"])
        until = min(now, end).date()
        try:
            net = (clients or {}).get(ads.id) or adapi.build(ads, config)
            days = net.days(boost["steps"], start, until)
            totals = net.totals(boost["steps"], start, until)
        except (NetworkError, PortevoixError) as exc:
            failed.append({"boost": boost["boost_id"], "error": str(exc)[:300]})
            continue
        over = now >= end
        store.update(
            *key(boost["boost_id"]),
            {
                "daily": {d.day: [d.spend, d.impressions, d.clicks] for d in days},
                "spend": totals.spend,
                "reach": totals.reach,
                "impressions": totals.impressions,
                "clicks": totals.clicks,
                "read_at": iso(now),
                "status": "ended" if over else "active",
                # Networks settle late figures for a day or two after the end.
                "final": True if now >= end + timedelta(days=2) else None,
            },
        )
        read += 1
    return {"read": read, "failed": failed}


def week(week: Any) -> list[dict[str, Any]]:
    """The boosts that ran during the report's week, with that week's spend and clicks."""
    first, last = week.days[0], week.days[-1]
    rows = []
    for boost in listed(week.start - timedelta(days=120)):
        if boost["status"] not in ("active", "ended"):
            continue
        if parse_iso(boost["end"]) <= week.start or parse_iso(boost["start"]) >= week.end:
            continue
        days = [
            v
            for d, v in (boost.get("daily") or {}).items()
            if first <= date.fromisoformat(d) <= last
        ]
        total_clicks = int(boost.get("clicks") or 0)
        total_spend = int(boost.get("spend") or 0)
        rows.append(
            {
                **boost,
                "week_spend": sum(int(v[0]) for v in days),
                "week_impressions": sum(int(v[1]) for v in days),
                "week_clicks": sum(int(v[2]) for v in days),
                "total_spend": total_spend,
                "cpc": round(total_spend / total_clicks) if total_clicks else None,
            }
        )
    return rows


# -- the approval page ------------------------------------------------------------------------


def page(
    config: Any, link_id: str, method: str, form: dict[str, str], lang: str
) -> tuple[int, str]:
    """The boost's approval page (GET) or the result of its decision (POST)."""
    from portevoix.core.i18n import format_date, t
    from portevoix.core.mail import page as page_html

    message, status = None, 200
    if method == "POST":
        decision = form.get("decision")
        comment = form.get("comment", "")
        if decision not in ("approve", "reject"):
            kind, boost, _ = load(link_id)
            message, status = t(lang, "page.forged"), 400
        elif decision == "reject" and not comment.strip():
            kind, boost, _ = load(link_id)
            message, status = t(lang, "page.need_comment"), 400
        else:
            try:
                kind, boost = decide(
                    config,
                    link_id,
                    form.get("form_token", ""),
                    decision == "approve",
                    comment,
                    lang=lang,
                )
            except BoostError as exc:
                kind, boost, _ = load(link_id)
                message, status = str(exc), 409
    else:
        kind, boost, _ = load(link_id)
    tz = config.tz
    if message is None:
        if kind == "decided":
            message = t(lang, f"boost.page_{boost['status']}")
        elif kind == "already":
            when = parse_iso(boost.get("decided_at"))
            message = t(
                lang,
                "page.already",
                by=boost.get("decided_by", "?"),
                when=format_date(when.astimezone(tz), lang) if when else "?",
            )
            status = 409 if method == "POST" else 200
        elif kind in ("expired", "invalid", "forged"):
            message = t(lang, f"page.{kind}")
            status = {"expired": 410, "invalid": 404, "forged": 403}[kind]
    link = links.get(link_id) if kind == "open" else None
    view = None
    if boost:
        view = {
            **boost,
            "budget_text": money(boost["budget"], boost["currency"], lang),
            "start_text": format_date(parse_iso(boost["start"]).astimezone(tz), lang),
            "end_text": format_date(parse_iso(boost["end"]).astimezone(tz), lang),
            "cap_text": money(
                to_minor(config.boosts.max_budget, boost["currency"]), boost["currency"], lang
            ),
        }
    html = page_html(
        "boost_page.html",
        lang=lang,
        brand=config.brand.name,
        message=message,
        boost=view if kind != "invalid" else None,
        form_token=link["form_token"] if link and kind == "open" else None,
    )
    return status, html
