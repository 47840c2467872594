"""The compiled configuration: what the functions read instead of validating at each cold start.

It must hold exactly what the validated configuration holds, answer the same
methods, and refuse to be changed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from portevoix.core import compiled
from portevoix.core.config import compile_config, parse_config
from tests.helpers import ROOT

EXAMPLE = ROOT / "config" / "example.yaml"

RICH = {
    "accounts": [
        {"network": "mastodon", "instance": "https://m.example", "secret": "env:M"},
        {"network": "bluesky", "id": "bsky", "handle": "b.example", "secret": "env:B"},
        {"network": "x", "id": "x", "user_id": "42", "secret": "env:X", "enabled": False},
        {"network": "facebook", "id": "fb", "page_id": "1", "secret": "env:F"},
        {
            "network": "linkedin",
            "id": "li",
            "organization": "urn:li:organization:7",
            "secret": "env:L",
        },
    ],
    "charter": {
        "default": {"max_length": 400, "levels": {"hashtags": "warning"}, "hours": "08:00-20:00"},
        "networks": {"bluesky": {"max_length": 280, "levels": {"links": "error"}}},
    },
    # A brand's own keys that look like the compiled form's markers stay plain keys.
    "topics": {"k": ["kayak"], "f": ["fjord"], "d": ["delta"], "d2": ["x"]},
    "inbox": {
        "templates": {"merci": {"intents": ["praise"], "fr": "Merci {{ author }} !"}},
        "words": {"complaint": ["rembourser"]},
        "hours": [17, 9],
    },
    "crisis": {"holding_statement": {"fr": "Nous regardons.", "en": "We are on it."}},
    "boosts": {
        "max_budget": 100,
        "ad_accounts": [
            {
                "network": "meta",
                "id": "meta",
                "ad_account": "act_1",
                "boosts": ["fb"],
                "secret": "env:A",
                "audiences": {"fans": "123"},
            },
            {
                "network": "linkedin",
                "id": "liads",
                "ad_account": "9",
                "campaign_group": "8",
                "boosts": ["li"],
                "secret": "env:A",
                "audiences": {"fr": {"include": {"and": [{"or": {"locations": ["urn:1"]}}]}}},
            },
        ],
    },
}


def _rich() -> Any:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data.update(RICH)
    return parse_config(yaml.safe_dump(data, allow_unicode=True), "rich.yaml")


def _same(model: Any, section: Any, where: str = "config") -> None:
    """Every field of the pydantic ``model`` is in ``section``, equal, at every depth."""
    if isinstance(model, BaseModel):
        assert not isinstance(section, BaseModel), where
        names = list(type(model).model_fields)
        assert sorted(section.values()) == sorted(names), where
        for name in names:
            if name == "accounts" and hasattr(model, "all_accounts"):
                continue  # compared below, enabled and all
            _same(getattr(model, name), getattr(section, name), f"{where}.{name}")
    elif isinstance(model, dict):
        assert isinstance(section, dict) and list(section) == list(model), where
        for key in model:
            _same(model[key], section[key], f"{where}[{key!r}]")
    elif isinstance(model, list | tuple):
        assert isinstance(section, list) and len(section) == len(model), where
        for i, (a, b) in enumerate(zip(model, section, strict=True)):
            _same(a, b, f"{where}[{i}]")
    else:
        assert type(section) is type(model) and section == model, where


def test_the_compiled_form_holds_every_value_of_the_validated_configuration() -> None:
    model = _rich()
    section = compiled.load(compile_config(model))
    _same(model, section)
    for ours, theirs in (
        (model.all_accounts, section.all_accounts),
        (model.accounts, section.accounts),
    ):
        assert [a.key for a in theirs] == [a.key for a in ours]
        for a, b in zip(ours, theirs, strict=True):
            _same(a, b, a.key)
    assert [a.key for a in section.accounts] == ["mastodon", "bsky", "fb", "li"]
    assert [a.key for a in section.disabled_accounts] == ["x"]
    assert section.topics == {"k": ["kayak"], "f": ["fjord"], "d": ["delta"], "d2": ["x"]}


def test_the_compiled_form_answers_the_same_methods() -> None:
    model = _rich()
    section = compiled.load(compile_config(model))
    assert section.account("bsky").handle == "b.example"
    assert section.account("x") is None and model.account("x") is None  # disabled
    assert section.recipients() == model.recipients()
    assert section.recipients("report") == model.recipients("report")
    assert section.tz == model.tz
    assert [f.key for f in section.feeds] == [f.key for f in model.feeds]
    assert [f.label for f in section.feeds] == [f.label for f in model.feeds]
    for network in ("bluesky", "mastodon", "x"):
        ours = model.charter.for_network(network).model_dump()
        assert section.charter.for_network(network).values() == ours, network
    bluesky = section.charter.for_network("bluesky")
    assert bluesky.max_length == 280 and bluesky.hours == "08:00-20:00"
    assert bluesky.levels == {"hashtags": "warning", "links": "error"}
    assert section.boosts.ad_account_for("fb").id == "meta"
    assert section.boosts.ad_account_for("li").id == "liads"
    assert section.boosts.ad_account_for("bsky") is None


def test_a_compiled_configuration_cannot_be_changed() -> None:
    section = compiled.load(compile_config(_rich()))
    with pytest.raises(AttributeError, match="read-only"):
        section.language = "en"
    with pytest.raises(AttributeError, match="read-only"):
        section.feeds[0].url = "https://elsewhere.example/"


def test_equal_texts_compile_alike_and_a_change_changes_the_fingerprint() -> None:
    first = compiled.load(compile_config(_rich()))
    again = compiled.load(compile_config(_rich()))
    assert first == again and first.fingerprint == again.fingerprint
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["topics"] = {"vélo": ["vélo"]}
    other = compiled.load(compile_config(parse_config(yaml.safe_dump(data))))
    assert other != first and other.fingerprint != first.fingerprint


def test_something_else_is_not_read_as_a_configuration() -> None:
    with pytest.raises(ValueError, match="not a compiled configuration"):
        compiled.load(json.dumps({"k": "Brand", "f": {"name": "x"}}))


def test_the_functions_read_it_without_importing_pydantic() -> None:
    """Each handler, every module its invocations import, and the configuration read."""
    from bench.coldstart import lazy_imports

    form = compile_config(_rich())
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        modules = ["app", *lazy_imports(app)]
        code = (
            "import sys; sys.path[:0] = {path!r}; {imports}; "
            "from portevoix.core import compiled; compiled.load({form!r}); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic'))"
        ).format(
            path=[str(app.parent), str(ROOT / "layers" / "portevoix")],
            imports="; ".join(f"import {m}" for m in modules),
            form=form,
        )
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"POWERTOOLS_SERVICE_NAME": "test", "AWS_DEFAULT_REGION": "eu-west-3"},
        ).stdout
        assert out.strip() == "[]", f"{app.parent.name} imports {out.strip()}"


def test_without_its_source_the_code_trusts_no_compiled_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pathlib import Path

    compiled.stamp.cache_clear()
    real = compiled.stamp()
    assert real.startswith(f"{compiled.FORMAT}-")

    def unreadable(self: Path) -> bytes:
        raise FileNotFoundError(self)

    monkeypatch.setattr(Path, "read_bytes", unreadable)
    try:
        compiled.stamp.cache_clear()
        first = compiled.stamp()
        compiled.stamp.cache_clear()
        assert "unknown" in first and compiled.stamp() != first != real
    finally:
        compiled.stamp.cache_clear()
