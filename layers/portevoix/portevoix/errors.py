"""One exception hierarchy; every message says what is wrong and what to do."""

from __future__ import annotations


class PortevoixError(Exception):
    """Base class of every error Porte-voix raises on purpose."""


class ConfigError(PortevoixError):
    """The brand configuration is missing or invalid."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid configuration in {source}:\n{lines}")


class FetchError(PortevoixError):
    """A feed could not be fetched; ``kind`` says why, for backoff and reports."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
        super().__init__(message)


class BlockedAddressError(FetchError):
    """The URL resolves to an address the SSRF guard refuses."""

    def __init__(self, message: str):
        super().__init__("blocked", message)


class FeedParseError(PortevoixError):
    """The body is not a feed we can read."""


class MailError(PortevoixError):
    """An email could not be rendered or sent."""
