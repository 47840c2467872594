"""End-to-end level: handlers, commands and pages run whole, on moto and local servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures import api, aws, aws_env, feed_server, mastodon_server  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def stop_local_stacks(tmp_path: Path) -> Iterator[None]:
    """Commands start a local stack in the background: none outlives its test."""
    yield
    from portevoix_local.serve import stop_running

    for info in tmp_path.rglob("serve.json"):
        stop_running(info.parent)
