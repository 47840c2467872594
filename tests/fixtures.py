"""Fixtures of the integration and end-to-end levels (their conftests import them).

moto as the stack's AWS with the table built from infra/template.yaml; a
feed server with real conditional GET; a server that misbehaves on purpose;
mastodon-mock as a Mastodon instance.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.helpers import REGION, SENDER, ChaosServer, RequestCounter


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "TABLE_NAME": "portevoix-test",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PORTEVOIX_AWS_ENDPOINT", raising=False)
    monkeypatch.delenv("PORTEVOIX_OUTBOX", raising=False)
    monkeypatch.delenv("PORTEVOIX_CONFIG_FILE", raising=False)


@pytest.fixture
def aws(aws_env: None) -> Iterator[Any]:
    """moto with the table created from infra/template.yaml and the sender verified."""
    from moto import mock_aws

    from portevoix.core import aws as pv_aws
    from portevoix.core import runtime
    from portevoix_local.stack import create_table

    pv_aws.reset()
    runtime.reset()
    with mock_aws():
        create_table("portevoix-test")
        pv_aws.client("ses").verify_email_identity(EmailAddress=SENDER)
        yield pv_aws
    pv_aws.reset()
    runtime.reset()


@pytest.fixture
def ddb_requests(aws: Any) -> RequestCounter:
    counter = RequestCounter()
    aws.client("dynamodb").meta.events.register("before-call.dynamodb.*", counter)
    return counter


@pytest.fixture
def feed_server() -> Iterator[Any]:
    from portevoix_local.stack import FeedServer

    with FeedServer() as server:
        yield server


@pytest.fixture
def chaos() -> Iterator[ChaosServer]:
    server = ChaosServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def mastodon_server() -> Iterator[Any]:
    """A stateful Mastodon API (mastodon-mock) with alice, bob and carol."""
    mastodon_mock = pytest.importorskip("mastodon_mock.testing.server")
    srv = mastodon_mock.MockServer()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def api(mastodon_server: Any) -> Iterator[str]:
    """The base URL of the Mastodon server, reset: alice, bob and carol, no statuses."""
    requests.post(mastodon_server.base_url + "/api/v1/_mock/reset", timeout=10)
    requests.delete(mastodon_server.base_url + "/api/v1/_mock/faults", timeout=10)
    yield mastodon_server.base_url
