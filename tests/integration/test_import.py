"""A spreadsheet of posts: checked whole, problems by row and column, nothing half-imported."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from portevoix.core.errors import ConfigError
from portevoix.publishing import importer
from tests.helpers import accounts, make_config

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
AUTHOR = "camille@brand.example"


@pytest.fixture
def config() -> Any:
    return make_config(accounts=accounts("masto", "x"))


def test_an_excel_file_in_french_becomes_drafts(config: Any) -> None:
    text = (
        "\ufeffDate;Time;Accounts;Title;Text;Text_x;Link\n"
        "2026-12-07;10:30;masto, x;Lundi;Les précommandes ouvrent lundi;Lundi !;https://ex.com/a\n"
        '2026-12-08;;masto;;"Deux lignes,\nune virgule";;\n'
    )
    drafts, problems = importer.check(config, importer.read(text), AUTHOR, now=NOW)
    assert problems == []
    first, second = drafts
    assert first.at is not None and first.at.isoformat() == "2026-12-07T10:30:00"
    assert (
        first.variants["x"].text == "Lundi !" and first.variants["masto"].link == "https://ex.com/a"
    )
    assert first.title == "Lundi"
    assert second.variants["masto"].text == "Deux lignes,\nune virgule"
    assert second.at.isoformat() == "2026-12-08T09:00:00"  # no time: 09:00


def test_every_problem_is_named_and_nothing_is_kept(config: Any) -> None:
    text = (
        "date,time,accounts,text,link\n"
        "2026-12-07,10:30,masto,Bien,\n"
        "2026-13-40,10:30,masto,Date fausse,\n"
        "2026-12-01,10:30,masto,Déjà passé,\n"
        "2026-12-07,25:00,masto,Heure fausse,\n"
        "2026-12-07,10:30,tiktok,Compte inconnu,\n"
        f"2026-12-07,10:30,x,{'Trop long pour X. ' * 20},\n"
        "2026-12-07,10:30,masto,,\n"
        "2026-12-07,10:30,masto,Lien,ftp://ex.com\n"
    )
    drafts, problems = importer.check(config, importer.read(text), AUTHOR, now=NOW)
    said = [str(p) for p in problems]
    assert said[0] == "row 3, column date: '2026-13-40' is not a date (YYYY-MM-DD)"
    assert "row 4, column date: 2026-12-01 10:30 has passed" in said
    assert "row 5, column time: '25:00' is not a time (HH:MM)" in said
    assert any(s.startswith("row 6, column accounts: no account 'tiktok'") for s in said)
    assert any(
        s.startswith("row 7, column text: x: 359 characters, the maximum is 280") for s in said
    )
    assert "row 8, column text: no text for masto" in said
    assert "row 9, column link: a link starts with https:// or http://" in said
    assert len(drafts) == 1  # the good row is checked, but the caller creates nothing


def test_a_file_without_the_needed_columns(config: Any) -> None:
    drafts, problems = importer.check(
        config, importer.read("when,message\n2026-12-07,Bonjour\n"), AUTHOR, now=NOW
    )
    assert drafts == []
    assert [str(p) for p in problems] == [
        "row 1, column message: unknown column",
        "row 1, column when: unknown column",
        "row 1, column date: this column is missing",
        "row 1, column accounts: this column is missing",
        "row 1, column text: this column is missing",
    ]
    with pytest.raises(ConfigError, match="empty"):
        importer.read("")
