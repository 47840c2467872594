"""Secrets by reference, from SSM SecureString and Secrets Manager (moto)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from portevoix.core import secrets
from portevoix.core.secrets import SecretError


@pytest.fixture(autouse=True)
def fresh() -> Any:
    secrets.forget()
    yield
    secrets.forget()


def test_ssm_secure_string(aws: Any) -> None:
    aws.client("ssm").put_parameter(
        Name="/portevoix/masto", Value="tok-123456", Type="SecureString"
    )
    assert secrets.resolve("ssm:/portevoix/masto") == "tok-123456"


def test_secrets_manager_whole_and_json_key(aws: Any) -> None:
    sm = aws.client("secretsmanager")
    sm.create_secret(Name="portevoix/x", SecretString="plain-token")
    sm.create_secret(
        Name="portevoix/li",
        SecretString=json.dumps({"access_token": "li-tok", "expires_at": "2027-01-01"}),
    )
    assert secrets.resolve("secretsmanager:portevoix/x") == "plain-token"
    assert secrets.resolve("secretsmanager:portevoix/li#access_token") == "li-tok"


def test_cached_then_refreshed(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ssm = aws.client("ssm")
    ssm.put_parameter(Name="/portevoix/t", Value="first-value", Type="SecureString")
    assert secrets.resolve("ssm:/portevoix/t") == "first-value"
    ssm.put_parameter(
        Name="/portevoix/t", Value="second-value", Type="SecureString", Overwrite=True
    )
    assert secrets.resolve("ssm:/portevoix/t") == "first-value"  # cached
    monkeypatch.setattr(secrets, "TTL_SECONDS", 0)
    secrets.forget()
    assert secrets.resolve("ssm:/portevoix/t") == "second-value"


def test_missing_secret_names_the_reference_not_a_value(aws: Any) -> None:
    with pytest.raises(
        SecretError, match=r"secret ssm:/portevoix/nope could not be read \(ParameterNotFound\)"
    ):
        secrets.resolve("ssm:/portevoix/nope")
    with pytest.raises(SecretError, match="no key 'missing'"):
        aws.client("secretsmanager").create_secret(Name="portevoix/j", SecretString="{}")
        secrets.resolve("secretsmanager:portevoix/j#missing")


def test_config_refuses_a_secret_written_in_clear() -> None:
    from portevoix.core.config import ConfigError, parse_config

    text = """
brand: {name: X}
sender: a@b.example
team: [{email: a@b.example}]
accounts: [{network: mastodon, instance: "https://m.example", secret: "abcd1234token"}]
"""
    with pytest.raises(
        ConfigError, match=r"accounts\[0\].*secret: must say where the secret lives"
    ):
        parse_config(text, "brand.yaml")


def test_a_rotated_token_is_written_back_where_it_was_read(aws: Any) -> None:
    ssm, sm = aws.client("ssm"), aws.client("secretsmanager")
    ssm.put_parameter(Name="/portevoix/x", Value='{"access_token": "a1"}', Type="SecureString")
    sm.create_secret(
        Name="portevoix/li", SecretString=json.dumps({"access_token": "a1", "other": "kept"})
    )
    assert secrets.resolve("ssm:/portevoix/x") == '{"access_token": "a1"}'
    secrets.store("ssm:/portevoix/x", '{"access_token": "a2"}')
    assert secrets.resolve("ssm:/portevoix/x") == '{"access_token": "a2"}'  # cache follows
    stored = ssm.get_parameter(Name="/portevoix/x", WithDecryption=True)["Parameter"]
    assert stored["Value"] == '{"access_token": "a2"}' and stored["Type"] == "SecureString"
    secrets.store("secretsmanager:portevoix/li#access_token", "a2")
    assert json.loads(sm.get_secret_value(SecretId="portevoix/li")["SecretString"]) == {
        "access_token": "a2",
        "other": "kept",
    }
    with pytest.raises(SecretError, match="secretsmanager:portevoix/gone could not be written"):
        secrets.store("secretsmanager:portevoix/gone", "x")
