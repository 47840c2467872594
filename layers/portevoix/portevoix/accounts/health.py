"""Account health: are the credentials accepted, and when do they expire?

The daily check emails the team when an account must be reconnected or its
token expires within ``WARN_DAYS``, so a scheduled post never fails first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import notices, store
from portevoix.core.i18n import format_date, languages, t
from portevoix.core.secrets import SecretError
from portevoix.core.timeutil import iso
from portevoix.networks import NetworkError, build, versions

WARN_DAYS = 7


@dataclass
class AccountStatus:
    account: str
    network: str
    status: str  # ok | expiring | failed
    detail: str
    identity: str | None = None
    expires_at: str | None = None
    notes: dict[str, str] | None = None  # the detail in each language, when there is one

    def said(self, lang: str) -> str:
        return (self.notes or {}).get(lang) or self.detail

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def check(
    config: Any, now: datetime | None = None, networks: dict[str, Any] | None = None
) -> list[AccountStatus]:
    """Check every configured account's credentials (one request or so each)."""

    now = now or datetime.now(UTC)
    out = []
    for account in config.accounts:
        try:
            net = (networks or {}).get(account.key) or build(account, config)
            health = net.check_credentials()
            _, expires = net.credentials() if getattr(account, "secret", None) else ("", None)
        except (NetworkError, SecretError) as exc:
            failed = AccountStatus(account.key, account.network, "failed", str(exc))
            out.append(_with_version(failed, account, now))
            continue
        status, detail = ("ok", health.detail) if health.ok else ("failed", health.detail)
        if health.ok and expires is not None:
            if expires <= now:
                status, detail = (
                    "failed",
                    f"token expired on {iso(expires)}: reconnect this account",
                )
            elif expires - now <= timedelta(days=WARN_DAYS):
                status, detail = (
                    "expiring",
                    f"token expires on {iso(expires)}: reconnect it before then",
                )
        checked = AccountStatus(
            account.key,
            account.network,
            status,
            detail,
            health.identity,
            iso(expires) if expires else None,
        )
        out.append(_with_version(checked, account, now))
    return out


def _with_version(checked: AccountStatus, account: Any, now: datetime) -> AccountStatus:
    """The API version the account's client calls, retired or about to be, overrides an ok."""
    called = versions.version_of(account)
    found = versions.notice(*called, now) if called else None
    if found is None or checked.status == "failed" and found.status == "retiring":
        return checked
    checked.status = "failed" if found.status == "retired" else "outdated"
    checked.notes = {lang: found.text(lang) for lang in ("fr", "en")}
    checked.detail = checked.notes["en"]
    return checked


CONNECTABLE = ("mastodon", "bluesky", "linkedin", "facebook", "instagram", "x")


def _reconnect(status: AccountStatus) -> dict[str, str]:
    """The studio's "Reconnect" page of an account whose token the studio can renew."""
    if status.network not in CONNECTABLE or status.notes:  # an API version, not a token
        return {}
    from urllib.parse import quote

    from portevoix.core import settings

    url = (
        f"{settings.links_base_url()}/accounts/connect/{status.network}"
        f"?account={quote(status.account)}"
    )
    return {"link": url, "link_label": "→ "}


def alert(
    config: Any, statuses: list[AccountStatus], now: datetime | None = None
) -> list[dict[str, Any]]:
    """Email the team about accounts to reconnect; once per local day."""

    troubled = [s for s in statuses if s.status != "ok"]
    if not troubled:
        return []
    now = now or datetime.now(UTC)
    day = now.astimezone(config.tz).date().isoformat()

    sent: list[dict[str, Any]] = []
    with store.once(store.marker_key("health", day), now=now) as claim:
        if not claim.ok:
            return []
        lines = [
            {
                "label": f"{s.account} · {s.network}" + (f" ({s.identity})" if s.identity else ""),
                "text": {
                    lang: f"{t(lang, 'accounts.' + s.status)} : {s.said(lang)}"
                    for lang in languages()
                },
                "level": "error",
                **_reconnect(s),
            }
            for s in troubled
        ]
        by_lang = {
            lang: {"when": format_date(now.astimezone(config.tz), lang)} for lang in languages()
        }
        sent = notices.send(
            config,
            [m.email for m in config.team],
            "accounts",
            lines,
            values={"count": len(troubled)},
            values_by_lang=by_lang,
        )
        claim.delivered = True
    return sent
