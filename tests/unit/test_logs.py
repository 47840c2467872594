"""Secrets never reach a log line."""

from __future__ import annotations

from typing import Any

import pytest

from portevoix.core import secrets
from portevoix.core.logs import install, redact


def test_known_secret_values_are_masked_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK", "https://hooks.slack.com/services/T01/B02/abcdefSECRET")
    secrets.forget()
    url = secrets.resolve("env:HOOK")
    message = {"error": f"cannot reach {url}", "list": [f"again {url}"]}
    assert "abcdefSECRET" not in str(redact(message))
    secrets.forget()


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGci"),
        ("GET /v21.0/me?fields=id&access_token=EAAB1234567890xyz", "EAAB1234"),
        ('{"accessJwt": "abc.def.ghi", "handle": "brand.test"}', "abc.def.ghi"),
        ('{"password": "hunter2hunter2"}', "hunter2"),
    ],
)
def test_token_shapes_are_masked(text: str, leak: str) -> None:
    assert leak not in redact(text, set())
    assert "***" in redact(text, set())


def test_handler_logger_masks_message_and_extra_fields(
    caplog: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aws_lambda_powertools import Logger

    monkeypatch.setenv("TOK", "s3cr3t-token-value")
    secrets.forget()
    token = secrets.resolve("env:TOK")
    logger = install(Logger(service="redaction-test"))
    caplog.set_level("INFO", logger="redaction-test")
    logger.info(f"calling with {token}", extra={"detail": {"headers": f"Bearer {token}"}})
    (record,) = [r for r in caplog.records if r.name == "redaction-test"]
    assert token not in record.getMessage() and token not in str(record.detail)
    secrets.forget()
