"""What a Lambda handler needs from its environment: the configuration, the time.

The configuration comes from ``PORTEVOIX_CONFIG_FILE`` (a path) when set,
otherwise from the SSM parameter named by ``CONFIG_PARAMETER``, read through
Powertools parameters and cached for ``CONFIG_MAX_AGE`` seconds.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from typing import Any

from portevoix.core import aws
from portevoix.core.config import Config, load_config, parse_config
from portevoix.core.errors import ConfigError

_by_hash: dict[str, Config] = {}
_provider: Any = None


def _ssm_text(name: str) -> str:
    global _provider
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    if _provider is None:
        _provider = SSMProvider(boto3_client=aws.client("ssm"))
    max_age = int(os.environ.get("CONFIG_MAX_AGE", "300"))
    return _provider.get(name, max_age=max_age, decrypt=True)


def config() -> Config:
    """The brand configuration for this invocation (validated, cached)."""
    path = os.environ.get("PORTEVOIX_CONFIG_FILE")
    if path:
        return load_config(path)
    name = os.environ.get("CONFIG_PARAMETER")
    if not name:
        raise ConfigError("environment", ["set CONFIG_PARAMETER (SSM) or PORTEVOIX_CONFIG_FILE"])
    text = _ssm_text(name)
    digest = hashlib.sha256(text.encode()).hexdigest()
    found = _by_hash.get(digest)
    if found is None:
        found = _by_hash[digest] = parse_config(text, f"SSM parameter {name}")
    return found


def reset() -> None:
    global _provider
    _provider = None
    _by_hash.clear()


def event_time(event: Any) -> datetime:
    """The schedule's intended time when the event carries one, else now (UTC)."""
    if isinstance(event, dict):
        for key in ("scheduled_time", "time"):
            value = event.get(key)
            if isinstance(value, str) and value and not value.startswith("<"):
                try:
                    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
                except ValueError:
                    pass
    return datetime.now(UTC)
