"""The versioned APIs the clients call, with the dates their owners retire each version.

A retired version is refused outright (LinkedIn answers 426, Graph an
error 2635), so every call of the account fails. ``accounts check`` and the
daily alert warn ``WARN_BEFORE`` the retirement of the version an account
uses. Dates are copied from the owners' pages (``SOURCES``); to move to a
newer version, see "How to update an API version" in the README.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

WARN_BEFORE = timedelta(days=60)

SOURCES = {
    # "LinkedIn Marketing API: Migrations", table "API Migration Status" (sunset dates).
    "linkedin": "https://learn.microsoft.com/en-us/linkedin/marketing/integrations/migrations",
    # "Graph API Changelog: Versions", columns "Release Date" and "Expiration Date".
    "graph": "https://developers.facebook.com/docs/graph-api/changelog/versions/",
}

# version -> the day it is retired (None: not announced yet)
RETIRED_ON: dict[str, dict[str, date | None]] = {
    "linkedin": {
        "202411": date(2025, 11, 17),
        "202510": date(2026, 10, 15),
        "202511": date(2026, 11, 16),
        "202601": date(2027, 1, 15),
        "202602": date(2027, 2, 15),
        "202603": date(2027, 3, 16),
    },
    "graph": {
        "v20.0": date(2026, 9, 24),
        "v21.0": date(2027, 1, 21),
        "v22.0": date(2027, 5, 20),
        "v23.0": date(2027, 10, 8),
        "v24.0": date(2028, 2, 18),
        "v25.0": date(2028, 7, 29),
        "v26.0": None,
    },
}

# What a new account uses: the newest version whose retirement date is published.
DEFAULTS = {"linkedin": "202603", "graph": "v25.0"}

FAMILY = {"linkedin": "linkedin", "facebook": "graph", "instagram": "graph"}
NAMES = {"linkedin": "LinkedIn", "graph": "Graph API (Meta)"}


@dataclass(frozen=True)
class VersionNotice:
    """A version retired or about to be: what the team must change, in both languages."""

    status: str  # retired | retiring
    version: str
    retired_on: date
    family: str

    def text(self, lang: str) -> str:
        name, when = NAMES[self.family], self.retired_on.isoformat()
        latest = DEFAULTS[self.family]
        if lang == "fr":
            verb = "a été retirée le" if self.status == "retired" else "sera retirée le"
            return (
                f"la version {self.version} de l'API {name} {verb} {when} : passez à {latest} "
                "(README, « How to update an API version »)"
            )
        verb = "was retired on" if self.status == "retired" else "will be retired on"
        return (
            f"{name} API version {self.version} {verb} {when}: move to {latest} "
            '(README, "How to update an API version")'
        )


def version_of(account: object) -> tuple[str, str] | None:
    """The (family, version) an account's network client calls, if its API is versioned."""
    family = FAMILY.get(getattr(account, "network", ""))
    if family == "linkedin":
        return family, account.api_version  # type: ignore[attr-defined]
    if family == "graph":
        return family, account.graph_version  # type: ignore[attr-defined]
    return None


def notice(family: str, version: str, now: datetime | date) -> VersionNotice | None:
    """Whether ``version`` is retired, or retired within ``WARN_BEFORE`` of ``now``."""
    today = now.date() if isinstance(now, datetime) else now
    retired_on = RETIRED_ON.get(family, {}).get(version)
    if retired_on is None:
        return None  # current, or a version this table does not know (newer than it)
    if retired_on <= today:
        return VersionNotice("retired", version, retired_on, family)
    if retired_on - today <= WARN_BEFORE:
        return VersionNotice("retiring", version, retired_on, family)
    return None


def active(family: str, version: str, today: date) -> bool:
    """Whether the API answers this version on ``today`` (what the test fakes enforce)."""
    retired_on = RETIRED_ON.get(family, {}).get(version)
    return retired_on is None or retired_on > today
