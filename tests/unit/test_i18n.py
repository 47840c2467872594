"""The catalogs: every message in every language, plural forms, CLDR formats, a third language."""

from __future__ import annotations

import shutil
import string
from datetime import datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from portevoix.core import i18n
from portevoix_local import catalogs


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def _entries(lang: str) -> dict[str, list[str]]:
    po = catalogs.LOCALES / lang / "LC_MESSAGES" / "portevoix.po"
    with po.open("rb") as f:
        catalog = read_po(f)
    out = {}
    for m in catalog:
        if not m.id:
            continue
        key = m.id[0] if isinstance(m.id, tuple) else m.id
        out[key] = list(m.string) if isinstance(m.string, tuple) else [m.string]
    return out


def test_every_message_in_both_languages_with_the_same_placeholders() -> None:
    fr, en = _entries("fr"), _entries("en")
    assert set(fr) == set(en) and len(fr) > 300
    for key in fr:
        assert all(s.strip() for s in fr[key] + en[key]), key
        assert len(fr[key]) == len(en[key]), key  # plural in both or in neither
        fields = {frozenset(_fields(s)) for s in fr[key] + en[key]}
        assert len(fields) == 1, key


def test_the_compiled_catalogs_are_those_of_the_po_files() -> None:
    for po in catalogs.catalogs():
        written, fresh = po.with_suffix(".mo").read_bytes(), catalogs.compiled(po)
        assert catalogs.messages(written) == catalogs.messages(fresh), f"{po}: run `make catalogs`"


def test_plurals_follow_each_language_rule() -> None:
    assert i18n.t("fr", "count.items", count=0) == "0 nouveauté"  # French: 0 is singular
    assert i18n.t("fr", "count.items", count=2) == "2 nouveautés"
    assert i18n.t("en", "count.items", count=0) == "0 new items"
    assert i18n.t("en", "count.items", count=1) == "1 new item"
    assert i18n.t("fr", "report.waiting", count=1).startswith("1 message de la semaine attend ")
    assert "(s)" not in i18n.t("fr", "accounts.subject", brand="B", count=3)


def test_dates_and_numbers_come_from_cldr() -> None:
    when = datetime(2026, 12, 3, 9, 5)
    assert i18n.format_date(when, "fr") == "3 déc. 2026, 09:05"
    assert i18n.format_date(when, "en") == "Dec 3, 2026, 9:05\u202fAM"
    assert i18n.format_date(when, "fr", with_time=False) == "3 déc. 2026"
    assert i18n.month_year(when, "fr") == "décembre 2026"
    assert i18n.format_number(1234.5, "fr", 1) == "1\u202f234,5"
    assert i18n.format_number(1234.5, "en", 1) == "1,234.5"
    assert i18n.format_percent(12.5, "fr", 1) == "12,5\u00a0%"
    assert i18n.format_percent(12.5, "en", 1) == "12.5%"
    assert i18n.weekday(when.date(), "fr") == "jeu. 3"


def test_a_third_language_is_one_catalog_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Copy the English catalog as German, translate one entry, compile: it is used."""
    root = tmp_path / "locales"
    shutil.copytree(catalogs.LOCALES, root)
    de = root / "de" / "LC_MESSAGES"
    de.mkdir(parents=True)
    text = (root / "en" / "LC_MESSAGES" / "portevoix.po").read_text(encoding="utf-8")
    text = text.replace('"Language: en\\n"', '"Language: de\\n"').replace(
        'msgstr "Your morning digest"', 'msgstr "Ihre Morgenübersicht"'
    )
    (de / "portevoix.po").write_text(text, encoding="utf-8")
    (de / "portevoix.mo").write_bytes(catalogs.compiled(de / "portevoix.po"))
    monkeypatch.setattr(i18n, "_locales", lambda: root)
    for cached in (i18n.languages, i18n._catalog):
        cached.cache_clear()
    try:
        assert i18n.languages() == ("de", "en", "fr")
        assert i18n.t("de", "digest.title") == "Ihre Morgenübersicht"
        assert i18n.format_date(datetime(2026, 12, 3), "de", with_time=False) == "3. Dez. 2026"
        from tests.helpers import make_config

        config = make_config(team=[{"email": "k@brand.example", "language": "de"}])
        assert config.team[0].language == "de"
    finally:
        for cached in (i18n.languages, i18n._catalog):
            cached.cache_clear()


def test_a_language_without_a_catalog_is_refused_by_the_configuration() -> None:
    from portevoix.core.config import parse_config
    from portevoix.core.errors import ConfigError

    with pytest.raises(ConfigError, match="'xx' has no catalog; languages: en, fr"):
        parse_config(
            "brand: {name: B}\nsender: a@b.example\nteam: [{email: c@b.example}]\nlanguage: xx\n"
        )
