"""Configuration: one clear message per problem, naming the field and the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from portevoix.core.config import load_config, parse_config
from portevoix.core.errors import ConfigError
from tests.helpers import ROOT

EXAMPLE = ROOT / "config" / "example.yaml"


def _example() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def _problems(data: dict, source: str = "brand.yaml") -> list[str]:
    with pytest.raises(ConfigError) as exc:
        parse_config(yaml.safe_dump(data, allow_unicode=True), source)
    assert source in str(exc.value)
    return exc.value.problems


def test_example_configuration_is_complete_and_valid() -> None:
    config = load_config(EXAMPLE)
    assert config.brand.name == "Porte-voix"
    assert config.feeds and config.competitors and config.topics
    assert config.recipients() == {
        "fr": ["camille@porte-voix.example"],
        "en": ["alex@porte-voix.example"],
    }


def test_unknown_key_is_named_with_its_path() -> None:
    data = _example()
    data["fetch"]["concurrrency"] = 4
    assert _problems(data) == [
        "fetch.concurrrency: unknown key (check its spelling; see config/example.yaml)"
    ]


def test_wrong_type_bad_url_bad_zone_and_empty_brand_are_each_reported() -> None:
    data = _example()
    data["fetch"]["max_redirects"] = "many"
    data["feeds"][1]["url"] = "ftp://example.com/feed"
    data["timezone"] = "Europe/Lutece"
    data["brand"]["name"] = "   "
    problems = _problems(data)
    joined = "\n".join(problems)
    assert "fetch.max_redirects:" in joined
    assert "feeds[1].url: 'ftp://example.com/feed' is not an http(s) URL" in joined
    assert "timezone: 'Europe/Lutece' is not an IANA time zone" in joined
    assert any(p.startswith("brand.name:") for p in problems)
    assert len(problems) == 4


def test_missing_sections_and_bad_emails() -> None:
    problems = _problems({"brand": {"name": "X"}, "sender": "not-an-email", "team": []})
    joined = "\n".join(problems)
    assert "sender: 'not-an-email' is not an email address" in joined
    assert "team:" in joined


def test_duplicate_feeds_are_refused() -> None:
    data = _example()
    data["feeds"].append({"url": data["feeds"][1]["url"]})
    assert any("duplicates feeds[1]" in p for p in _problems(data))


def test_yaml_syntax_error_gives_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("brand:\n  name: X\n feeds: [\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(bad)
    assert str(exc.value).startswith(f"{bad}:3:2: not valid YAML: ")  # file:line:column
    assert "\n" not in str(exc.value)  # one line


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="empty"):
        load_config(empty)
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


def test_private_network_allowances_are_checked() -> None:
    data = _example()
    data["fetch"]["allow_networks"] = ["10.0.0.0/8", "not-a-network"]
    assert any("fetch.allow_networks" in p and "not-a-network" in p for p in _problems(data))


def _boosts_block() -> dict:
    """The commented ``boosts`` section of the example, uncommented."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    start = lines.index("# boosts:")
    block = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        block.append(line[2:])
    return yaml.safe_load("\n".join(block))


def test_the_example_boosts_section_is_valid_once_uncommented() -> None:
    data = _example()
    data.update(_boosts_block())
    config = parse_config(yaml.safe_dump(data, allow_unicode=True), "example.yaml")
    rules = config.boosts
    assert rules.max_budget == 200 and rules.monthly_budget == 500
    assert [a.network for a in rules.ad_accounts] == ["meta", "linkedin"]
    assert rules.ad_account_for("instagram").id == "meta-ads"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda ads: ads[0].update(boosts=["linkedin"]),
            "boosts.ad_accounts[0].boosts: 'linkedin' is a linkedin account; "
            "a meta ad account boosts facebook or instagram",
        ),
        (
            lambda ads: ads[1].update(boosts=["nowhere"]),
            "boosts.ad_accounts[1].boosts: no account with id 'nowhere'",
        ),
        (lambda ads: ads[0].update(ad_account="1234"), "ad_account"),
        (lambda ads: ads[0].update(secret="EAAG-the-token-itself"), "never the secret itself"),
    ],
)
def test_an_ad_account_that_cannot_work_is_refused_with_its_field(
    change: Any, expected: str
) -> None:
    data = _example()
    data.update(_boosts_block())
    change(data["boosts"]["ad_accounts"])
    problems = _problems(data)
    assert any(expected in p for p in problems), problems
