"""API versions and their retirement dates: the defaults are current, warnings come in time."""

from __future__ import annotations

from datetime import UTC, date, datetime

from portevoix.core.config import FacebookAccount, LinkedInAccount
from portevoix.networks import versions


def test_the_defaults_are_the_tables_and_still_answered_today() -> None:
    assert LinkedInAccount.model_fields["api_version"].default == versions.DEFAULTS["linkedin"]
    assert FacebookAccount.model_fields["graph_version"].default == versions.DEFAULTS["graph"]
    today = datetime.now(UTC).date()
    for family, version in versions.DEFAULTS.items():
        assert versions.active(family, version, today), f"{family} {version} is retired"


def test_a_retired_version_is_named_with_what_to_do_in_both_languages() -> None:
    found = versions.notice("linkedin", "202411", date(2026, 12, 3))
    assert found is not None and found.status == "retired"
    assert "202411 was retired on 2025-11-17: move to 202603" in found.text("en")
    assert "a été retirée le 2025-11-17 : passez à 202603" in found.text("fr")


def test_the_warning_starts_sixty_days_before() -> None:
    assert versions.notice("linkedin", "202603", date(2027, 1, 14)) is None
    soon = versions.notice("linkedin", "202603", date(2027, 2, 14))  # 30 days before
    assert soon is not None and soon.status == "retiring"
    assert "will be retired on 2027-03-16" in soon.text("en")
    assert "sera retirée le 2027-03-16" in soon.text("fr")
    assert versions.notice("graph", "v26.0", date(2030, 1, 1)) is None  # no date announced
