"""Editorial charter rules, as an approver reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portevoix.networks import Media, Variant
from portevoix.publishing.charter import check
from tests.helpers import make_config


def config(**charter: Any) -> Any:
    return make_config(charter=charter)


def rules(findings: list[Any]) -> dict[str, str]:
    return {f.rule: f.level for f in findings}


def test_length_is_counted_as_each_network_counts() -> None:
    cfg = config()
    long_url = "https://example.com/" + "a" * 300
    assert check(cfg, "mastodon", Variant(text="Lisez " + long_url)) == []  # a URL counts 23
    (finding,) = check(cfg, "bluesky", Variant(text="é" * 301))
    assert finding.rule == "length" and finding.level == "error"
    assert "301 caractères, le maximum est 300" in finding.fr and "301 characters" in finding.en
    assert check(cfg, "x", Variant(text="日" * 141))[0].rule == "length"  # CJK weighs 2 on X
    assert check(cfg, "x", Variant(text="e" * 280)) == []


def test_x_weighs_code_points_after_nfc_and_bare_domains_as_links() -> None:
    from portevoix.networks.x import x_count

    # twitter-text counts code points: Devanagari clusters are several (here 13, not 8).
    assert x_count("नमस्ते दुनिया") == 13
    assert x_count("voir example.com et a.co") == 5 + 23 + 4 + 23  # bare domains are links
    assert x_count("cafe\u0301") == 4  # NFC first: é is one code point
    assert x_count("👨‍👩‍👧 ok") == 2 + 3  # an emoji sequence weighs 2
    cfg = config()
    assert check(cfg, "x", Variant(text="क्षि" * 71))[0].rule == "length"  # 284 code points


def test_banned_words_required_elements_and_links() -> None:
    cfg = config(
        default={"banned_words": ["gratuit", "meilleur du marché"], "required": ["#Cyclia"]},
        networks={"linkedin": {"links": False, "required": ["— L'équipe Cyclia"]}},
    )
    findings = check(cfg, "mastodon", Variant(text="Livraison GRATUITE ? Non : gratuit le lundi."))
    assert rules(findings) == {"banned_words": "error", "required": "error"}
    assert "gratuit" in findings[0].fr
    ok = check(cfg, "mastodon", Variant(text="Nouveau modèle #cyclia"))
    assert ok == []
    li = check(cfg, "linkedin", Variant(text="Nouveau modèle", link="https://cyclia.example"))
    assert rules(li) == {"required": "error", "links": "error"}
    assert any("L'équipe Cyclia" in f.fr for f in li)


def test_when_spacing_and_cadence_are_warnings_by_default() -> None:
    cfg = config(
        default={
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "hours": "09:00-18:00",
            "min_spacing_minutes": 120,
            "weekly_target": 3,
        }
    )
    sunday_late = datetime(2026, 11, 29, 21, 30, tzinfo=UTC)  # 22:30 in Paris, a Sunday
    findings = check(
        cfg,
        "mastodon",
        Variant(text="Bonsoir"),
        when=sunday_late,
        recent=[sunday_late - timedelta(minutes=45)],
        week_count=3,
    )
    assert rules(findings) == {
        "days": "warning",
        "hours": "warning",
        "spacing": "warning",
        "cadence": "warning",
    }
    by_rule = {f.rule: f for f in findings}
    assert "dimanche" in by_rule["days"].fr and "Sunday" in by_rule["days"].en
    assert "22:30" in by_rule["hours"].fr
    assert "45 min" in by_rule["spacing"].en
    assert "4e publication" in by_rule["cadence"].fr


def test_levels_can_be_raised_to_errors() -> None:
    cfg = config(default={"hours": "09:00-18:00", "levels": {"hours": "error"}})
    night = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert rules(check(cfg, "mastodon", Variant(text="x"), when=night)) == {"hours": "error"}


def test_media_rules_of_the_network() -> None:
    cfg = config()
    assert rules(check(cfg, "instagram", Variant(text="Sans image"))) == {"media": "error"}
    bytes_only = Variant(text="x", media=[Media(data=b"...", mime="image/jpeg")])
    assert rules(check(cfg, "instagram", bytes_only)) == {"media": "error"}  # needs a public URL
    five = Variant(text="x", media=[Media(data=b".", mime="image/png")] * 5)
    assert rules(check(cfg, "mastodon", five)) == {"media": "error"}
    assert rules(
        check(cfg, "instagram", Variant(text="#a " * 31, media=[Media(url="https://c/x.jpg")]))
    ) == {"hashtags": "warning"}


def test_bad_levels_are_refused_at_load() -> None:
    from portevoix.core.config import ConfigError, parse_config

    with pytest.raises(ConfigError, match="unknown rule"):
        parse_config(
            "brand: {name: X}\nsender: a@b.example\nteam: [{email: a@b.example}]\n"
            "charter: {default: {levels: {colour: error}}}\n",
            "c.yaml",
        )
