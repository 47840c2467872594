"""Secrets by reference: SSM SecureString, Secrets Manager, or (locally) the environment.

Values are cached for a few minutes per container and registered with the
log redactor, so a token that reaches a log line is masked.
"""

from __future__ import annotations

import json
import os
import threading
import time

from portevoix.core import aws
from portevoix.core.errors import SecretError  # noqa: F401 - re-exported

TTL_SECONDS = 300
_cache: dict[str, tuple[float, str]] = {}
_known: set[str] = set()
_lock = threading.Lock()


def resolve(ref: str) -> str:
    """The secret ``ref`` points to (``ssm:/name``, ``secretsmanager:name[#key]``, ``env:VAR``)."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(ref)
        if hit and hit[0] > now:
            return hit[1]
    value = _read(ref)
    if not value:
        raise SecretError(f"secret {ref} is empty")
    with _lock:
        _cache[ref] = (now + TTL_SECONDS, value)
        _known.add(value)
    return value


def _read(ref: str) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    kind, _, name = ref.partition(":")
    try:
        if kind == "env":
            if name not in os.environ:
                raise SecretError(f"secret {ref}: the environment variable {name} is not set")
            return os.environ[name]
        if kind == "ssm":
            resp = aws.client("ssm").get_parameter(Name=name, WithDecryption=True)
            return resp["Parameter"]["Value"]
        if kind == "secretsmanager":
            secret_id, _, key = name.partition("#")
            text = aws.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
            if not key:
                return text
            try:
                return str(json.loads(text)[key])
            except (ValueError, KeyError, TypeError):
                raise SecretError(f"secret {ref}: no key {key!r} in its JSON") from None
    except (ClientError, BotoCoreError) as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        raise SecretError(f"secret {ref} could not be read ({code})") from None
    raise SecretError(f"secret reference {ref!r} is not ssm:, secretsmanager: or env:")


def known_values() -> set[str]:
    with _lock:
        return set(_known)


def forget() -> None:
    with _lock:
        _cache.clear()
        _known.clear()
