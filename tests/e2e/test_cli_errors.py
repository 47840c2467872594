"""Broken configurations and post files as users write them: exit 2, one line each, the file
and the field named, never a traceback."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from portevoix_local import cli
from tests.e2e.test_local_serve import cli as run_cli
from tests.e2e.test_local_serve import stack  # noqa: F401 - the running stack fixture


@pytest.fixture(autouse=True)
def cli_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """main() sets these for a terminal; here they are put back after each test."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")


GOOD: dict[str, Any] = {
    "brand": {"name": "Cyclia"},
    "sender": "veille@cyclia.example",
    "team": [{"email": "camille@cyclia.example"}],
    "accounts": [
        {"network": "mastodon", "id": "masto", "instance": "https://m.example", "secret": "env:M"}
    ],
    "inbox": {"templates": {"merci": {"fr": "Merci {{ author }} !"}}},
}


def _with(path: str, value: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(GOOD))
    target = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is KeyError:
        del target[last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return data


CONFIGS = [  # (name, YAML text or data, what the one line must say)
    ("yaml", "brand:\n  name: X\n feeds: [\n", ":3:2: not valid YAML"),
    ("empty", "", "the file is empty"),
    ("list", "- a\n- b\n", "the top level must be a mapping"),
    ("unknown-key", {**GOOD, "brnad": {}}, "brnad: unknown key"),
    ("no-brand", _with("brand", KeyError), "brand: required but missing"),
    ("sender", _with("sender", "veille"), "sender"),
    ("timezone", {**GOOD, "timezone": "Mars/Olympus"}, "timezone: 'Mars/Olympus'"),
    ("language", {**GOOD, "language": "de"}, "language"),
    ("no-team", {**GOOD, "team": []}, "team"),
    ("feed-url", {**GOOD, "feeds": [{"url": "ftp://x"}]}, "feeds[0].url"),
    ("network", _with("accounts.0.network", "myspace"), "accounts[0]"),
    (
        "linkedin-org",
        {**GOOD, "accounts": [{"network": "linkedin", "organization": "acme", "secret": "env:L"}]},
        "organization: 'acme' is not in the expected form (urn:li:organization: followed by digits)",
    ),
    (
        "linkedin-version",
        {
            **GOOD,
            "accounts": [
                {
                    "network": "linkedin",
                    "organization": "urn:li:organization:1",
                    "secret": "env:L",
                    "api_version": "2026-03",
                }
            ],
        },
        "api_version: '2026-03' is not in the expected form (six digits, YYYYMM)",
    ),
    (
        "reddit-user",
        {**GOOD, "accounts": [{"network": "reddit", "query": "x", "secret": "env:R"}]},
        "username: required but missing",
    ),
    ("secret-clear", _with("accounts.0.secret", "tok-12345"), "must say where the secret lives"),
    (
        "template-syntax",
        _with("inbox.templates.merci.fr", "Merci {{ author }"),
        "inbox.templates.merci: fr: template syntax error at line 1",
    ),
    (
        "template-variable",
        _with("inbox.templates.merci.fr", "Merci {{ auteur }}"),
        "unknown variable(s) auteur",
    ),
    ("hours", {**GOOD, "charter": {"default": {"hours": "8h-20h"}}}, "charter.default.hours"),
    (
        "levels",
        {**GOOD, "charter": {"default": {"levels": {"lenght": "error"}}}},
        "unknown rule(s) ['lenght']",
    ),
    ("env-missing", GOOD, "accounts[0] (masto).secret: secret env:M"),
]


@pytest.mark.parametrize("name,content,said", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_a_broken_configuration_is_one_line_each(
    name: str, content: Any, said: str, tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    monkeypatch.delenv("M", raising=False)
    path = tmp_path / f"{name}.yaml"
    text = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    code = cli.main(["config", "check", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert said in err, err
    assert "Traceback" not in err
    for line in err.strip().splitlines():
        assert line.startswith(("portevoix: " + str(path), str(path))), line


def test_a_good_configuration_says_so(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("M", "token")
    path = tmp_path / "good.yaml"
    path.write_text(yaml.safe_dump(GOOD), encoding="utf-8")
    assert cli.main(["config", "check", str(path)]) == 0
    assert "valid. 0 feed(s), 1 account(s), 1 reply template(s); 1 secret(s) read." in (
        capsys.readouterr().out
    )


def test_portevoix_alone_prints_the_help_with_examples(capsys: Any) -> None:
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "portevoix config check" in out


def test_a_busy_port_says_so(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(yaml.safe_dump(GOOD), encoding="utf-8")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = cli.main(
            [
                "--home",
                str(tmp_path / "h"),
                "local",
                "serve",
                "--config",
                str(path),
                "--port",
                str(port),
            ]
        )
    err = capsys.readouterr().err
    assert code == 2 and f"port {port} is already in use" in err and "Traceback" not in err


POSTS = [  # (name, file text, exit code, what stderr says)
    ("yaml", "author: camille@cyclia.example\nvariants: [\n", 2, ":3:1: not valid YAML"),
    ("list", "- a\n", 2, "a post is a mapping"),
    ("author", "author: camille\nvariants: {masto: {text: Bonjour}}\n", 2, "author: 'camille'"),
    (
        "account",
        "author: camille@cyclia.example\nvariants: {tiktok: {text: Bonjour}}\n",
        2,
        "variants.tiktok: no account with this id",
    ),
    (
        "link",
        "author: camille@cyclia.example\nvariants: {masto: {text: Bonjour, link: 'ftp://x'}}\n",
        2,
        "variants.masto.link: 'ftp://x'",
    ),
    (
        "past",
        "author: camille@cyclia.example\nat: 2020-01-01T10:00\nvariants: {masto: {text: Bonjour}}\n",
        2,
        "at: 2020-01-01 10:00 (Europe/Paris) has passed",
    ),
    (
        "empty-text",
        "author: camille@cyclia.example\nvariants: {masto: {text: ' '}}\n",
        2,
        "no text",
    ),
    ("no-variants", "author: camille@cyclia.example\n", 2, "variants: required but missing"),
    ("missing", None, 2, "no such file"),
    (
        "blocked",
        "author: camille@cyclia.example\nvariants: {masto: {text: '" + "é" * 600 + "'}}\n",
        1,
        "mastodon: 600 characters, the maximum is 500",
    ),
]


def test_broken_post_files_say_what_and_where(stack: dict[str, Any]) -> None:  # noqa: F811
    home, tmp = stack["home"], stack["tmp"]
    for name, text, code, said in POSTS:
        path = tmp / f"{name}.yaml"
        if text is not None:
            path.write_text(text, encoding="utf-8")
        result = run_cli(home, "post", "create", str(path))
        assert result.returncode == code, (name, result.stdout, result.stderr)
        assert said in result.stderr, (name, result.stderr)
        assert "Traceback" not in result.stderr, name
