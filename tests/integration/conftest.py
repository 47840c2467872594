"""Integration level: the domain against moto and local servers."""

from tests.fixtures import (  # noqa: F401 - fixtures
    api,
    aws,
    aws_env,
    chaos,
    ddb_requests,
    feed_server,
    mastodon_server,
)
