"""The stack's settings, as the template hands them to every function's environment.

One place names each variable and its default. Values are read when asked
for (the local mode and the tests point a process at another stack by
changing the environment).
"""

from __future__ import annotations

import os

LOCAL_BASE_URL = "http://127.0.0.1:8787"


def links_base_url() -> str:
    """Where the stack's pages answer (the HTTP API, or ``local serve``)."""
    return (configured_base_url() or LOCAL_BASE_URL).rstrip("/")


def configured_base_url() -> str | None:
    """The pages' address as the template or ``local serve`` set it (None: not set here)."""
    return (os.environ.get("APPROVAL_BASE_URL") or "").rstrip("/") or None


def table_name() -> str | None:
    return os.environ.get("TABLE_NAME") or None


def data_bucket() -> str | None:
    """The stack's private bucket (moderation archive, inbound email, media)."""
    return os.environ.get("DATA_BUCKET") or None


def state_machine_arn() -> str | None:
    return os.environ.get("STATE_MACHINE_ARN") or None


def outbox() -> str | None:
    """A folder for outgoing mail instead of SES (the local mode)."""
    return os.environ.get("PORTEVOIX_OUTBOX") or None


def session_key_parameter() -> str:
    """The SSM SecureString holding the studio's cookie-signing key (made on first use)."""
    return os.environ.get("SESSION_KEY_PARAMETER") or "/portevoix/studio/session-key"


def media_endpoint() -> str | None:
    """Where browsers reach the bucket when it is not AWS's own address (the local mode)."""
    return os.environ.get("PORTEVOIX_MEDIA_ENDPOINT") or None


def newsletter_configuration_set() -> str | None:
    """The SES configuration set whose bounce and complaint events suppress addresses."""
    return os.environ.get("NEWSLETTER_CONFIGURATION_SET") or None
