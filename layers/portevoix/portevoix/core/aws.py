"""boto3 clients, created once per container and only when first used.

A client made at import time would escape moto in tests and slow every cold
start; going through ``client()`` avoids both.
"""

from __future__ import annotations

import os
import threading
from typing import Any

_clients: dict[tuple[str, str | None], Any] = {}
_lock = threading.Lock()


def client(service: str) -> Any:
    """A cached boto3 client for ``service`` in the configured region."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    key = (service, region)
    found = _clients.get(key)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(key)
        if found is None:
            import boto3
            from botocore.config import Config

            endpoint = os.environ.get("PORTEVOIX_AWS_ENDPOINT") or None
            found = boto3.client(
                service,
                region_name=region,
                endpoint_url=endpoint,
                config=Config(retries={"mode": "standard", "max_attempts": 5}),
            )
            _clients[key] = found
    return found


def reset() -> None:
    """Forget every client (tests, and the local mode between stacks)."""
    with _lock:
        _clients.clear()
