"""What a Lambda handler needs from its environment: the configuration, the time.

The configuration comes from ``PORTEVOIX_CONFIG_FILE`` (a path) when set,
otherwise from the SSM parameter named by ``CONFIG_PARAMETER``, read through
Powertools parameters and cached for ``CONFIG_MAX_AGE`` seconds.

Handlers get it as ``compiled`` sections, not pydantic models: a parameter's
text is validated once, by whoever saved it (or the first function to read it),
and its compiled form kept in the table under the text's hash; every later
cold start reads that instead of importing pydantic and validating again.
"""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import aws, compiled
from portevoix.core.errors import ConfigError

# A compiled form is dropped this long after it was made (the next reader makes it again).
COMPILED_KEEP = timedelta(days=30)

_by_hash: dict[str, Any] = {}
_provider: Any = None


def _ssm_text(name: str) -> str:
    global _provider
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    if _provider is None:
        _provider = SSMProvider(boto3_client=aws.client("ssm"))
    max_age = int(os.environ.get("CONFIG_MAX_AGE", "300"))
    return _provider.get(name, max_age=max_age, decrypt=True)


def config() -> Any:
    """The brand configuration for this invocation (validated, cached): a ``compiled.Config``."""
    path = os.environ.get("PORTEVOIX_CONFIG_FILE")
    if path:
        text, source, shared = compiled.read_file(path), path, False
    else:
        name = os.environ.get("CONFIG_PARAMETER")
        if not name:
            raise ConfigError(
                "environment", ["set CONFIG_PARAMETER (SSM) or PORTEVOIX_CONFIG_FILE"]
            )
        text, source, shared = _ssm_text(name), f"SSM parameter {name}", True
    digest = hashlib.sha256(text.encode()).hexdigest()
    found = _by_hash.get(digest)
    if found is None:
        found = _by_hash[digest] = _read(text, source, digest, shared)
    return found


def _read(text: str, source: str, digest: str, shared: bool) -> Any:
    """``text`` as sections: its compiled form from the table, else validated here (and kept)."""
    if shared:
        from portevoix.core import store

        try:
            found = store.batch_get([store.compiled_config_key(compiled.stamp(), digest)])
            if found:
                return compiled.load(found[0]["compiled"])
        except Exception as exc:  # noqa: BLE001 - the table only saves time: validate instead
            logging.getLogger(__name__).warning("compiled configuration not read: %r", exc)
    from portevoix.core.config import parse_config

    model = parse_config(text, source)  # ConfigError naming each faulty field
    form = remember(model, digest) if shared else _compile(model)
    return compiled.load(form)


def _compile(model: Any) -> str:
    from portevoix.core.config import compile_config

    return compile_config(model)


def remember(model: Any, digest: str) -> str:
    """Keep ``model``'s compiled form in the table for the functions; return it.

    ``digest``: the SHA-256 of the YAML it was validated from. Best effort: a
    function that finds no compiled form validates the text itself.
    """
    from portevoix.core import store

    form = _compile(model)
    expires = datetime.now(UTC) + COMPILED_KEEP
    item = store.with_key(
        store.compiled_config_key(compiled.stamp(), digest),
        compiled=form,
        expires_at=int(expires.timestamp()),
    )
    try:
        store.put(item)
    except Exception as exc:  # noqa: BLE001 - see above
        logging.getLogger(__name__).warning("compiled configuration not kept: %r", exc)
    return form


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
