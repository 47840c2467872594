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


# Throttling and server-side failures worth a later retry (botocore's standard retry mode
# retries the same set before giving up); a refusal (MessageRejected, AccessDenied...) is not.
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "TransactionInProgressException",
        "SlowDown",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)


def transient(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) is an AWS fault that a later retry may clear."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            return error.get("Code") in TRANSIENT_CODES or int(status) >= 500
        if isinstance(exc, (ConnectionError, HTTPClientError)):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False
