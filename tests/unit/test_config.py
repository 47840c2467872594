"""Configuration: one clear message per problem, naming the field and the file."""

from __future__ import annotations

from pathlib import Path

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
