"""Secrets by reference: SSM SecureString, Secrets Manager, or (locally) the environment.

Values are cached for a few minutes per container and registered with the
log redactor, so a token that reaches a log line is masked.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable

from portevoix.core import aws
from portevoix.core.errors import SecretError  # noqa: F401 - re-exported

TTL_SECONDS = 300
_cache: dict[str, tuple[float, str]] = {}
_known: set[str] = set()
_lock = threading.Lock()
# Called with (ref, value) after each write (the local mode keeps its tokens on disk).
after_store: list[Callable[[str, str], None]] = []


def resolve(ref: str, *, fresh: bool = False) -> str:
    """The secret ``ref`` points to (``ssm:/name``, ``secretsmanager:name[#key]``, ``env:VAR``).

    ``fresh`` skips the cache: another container may have rotated it meanwhile.
    """
    now = time.monotonic()
    with _lock:
        hit = _cache.get(ref)
        if hit and hit[0] > now and not fresh:
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


def store(ref: str, value: str) -> None:
    """Write a new value where ``ref`` points (a rotated OAuth token); cache it here.

    A ``#key`` reference rewrites that key of the secret's JSON, keeping the others.
    An ``env:`` reference (local mode) changes this process's environment only.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    kind, _, name = ref.partition(":")
    try:
        if kind == "env":
            os.environ[name] = value
        elif kind == "ssm":
            aws.client("ssm").put_parameter(
                Name=name, Value=value, Type="SecureString", Overwrite=True
            )
        elif kind == "secretsmanager":
            secret_id, _, key = name.partition("#")
            if key:
                sm = aws.client("secretsmanager")
                data = json.loads(sm.get_secret_value(SecretId=secret_id)["SecretString"])
                data[key] = value
                value_to_write = json.dumps(data)
            else:
                value_to_write = value
            aws.client("secretsmanager").put_secret_value(
                SecretId=secret_id, SecretString=value_to_write
            )
        else:
            raise SecretError(f"secret reference {ref!r} is not ssm:, secretsmanager: or env:")
    except (ClientError, BotoCoreError) as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        raise SecretError(f"secret {ref} could not be written ({code})") from None
    with _lock:
        _cache[ref] = (time.monotonic() + TTL_SECONDS, value)
        _known.add(value)
    for hook in after_store:
        hook(ref, value)


class Secret:
    """One account's secret by reference: read (cached), read again, write back."""

    def __init__(self, ref: str | None):
        self.ref = ref

    def __call__(self, fresh: bool = False) -> str:
        return resolve(self.ref, fresh=fresh) if self.ref else ""

    def save(self, value: str) -> None:
        if not self.ref:
            raise SecretError("this account has no secret to write to")
        store(self.ref, value)


def known_values() -> set[str]:
    with _lock:
        return set(_known)


def forget() -> None:
    with _lock:
        _cache.clear()
        _known.clear()
