"""Log redaction: secrets never reach CloudWatch, even inside an error message.

Every secret value read through ``secrets`` is masked wherever it appears,
and so are the shapes tokens take in text (Bearer headers, access_token
parameters, password/token fields in JSON).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from portevoix.core.secrets import known_values

MASK = "***"
_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|password|app_password)=)[^&\s\"']+"
    ),
    re.compile(
        r"(?i)(\"(?:access_?token|refresh_?token|accessJwt|refreshJwt|password|secret|token)\"\s*:\s*\")[^\"]+"
    ),
)
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def redact(value: Any, secrets: set[str] | None = None) -> Any:
    """``value`` with secrets masked (strings, and inside dicts, lists and tuples)."""
    if secrets is None:
        secrets = known_values()
    if isinstance(value, str):
        for secret in secrets:
            if len(secret) >= 6 and secret in value:
                value = value.replace(secret, MASK)
        for pattern in _PATTERNS:
            value = pattern.sub(lambda m: m.group(1) + MASK, value)
        return value
    if isinstance(value, dict):
        return {k: redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(v, secrets) for v in value)
    return value


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's message, arguments and extra fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = known_values()
        if isinstance(record.msg, str):
            record.msg = redact(record.msg, secrets)
        if record.args:
            record.args = redact(record.args, secrets)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD:
                setattr(record, key, redact(value, secrets))
        return True


def install(logger: Any) -> Any:
    """Add the filter to a Powertools or standard logger; return the logger."""
    name = getattr(logger, "name", None) or getattr(logger, "service", None)
    target = logging.getLogger(name) if isinstance(name, str) else logger
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(RedactingFilter())
    return logger
