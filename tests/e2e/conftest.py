"""End-to-end level: handlers, commands and pages run whole, on moto and local servers."""

from tests.fixtures import api, aws, aws_env, feed_server, mastodon_server  # noqa: F401 - fixtures
