"""One exception hierarchy; every message says what is wrong and what to do.

Step Functions matches the publish tasks' errors by class name
(``ErrorEquals`` in infra/statemachines/publish.asl.json): ``TransientError``,
``LostResponse``, ``NotSent``, ``InProgress`` and ``AwsTransient`` are retried there, so
renaming one is a change of the workflow too (a test checks both agree).
"""

from __future__ import annotations


class PortevoixError(Exception):
    """Base class of every error Porte-voix raises on purpose."""


class ConfigError(PortevoixError):
    """The brand configuration is missing or invalid."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        # One line a problem, each naming the file (and the field): `file: field: what`.
        super().__init__("\n".join(f"{source}: {p}" for p in problems) or f"{source}: invalid")


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


class StoreError(PortevoixError):
    """The table refused or kept failing a request."""


class AwsTransient(PortevoixError):
    """AWS throttled or failed a call (after botocore's own retries): the task is retried."""


class SecretError(PortevoixError):
    """A secret could not be read; the message names the reference, never the value."""


# --------------------------------------------------------------------------
# Networks: the same semantics for every network


class NetworkError(PortevoixError):
    """A network call failed; ``account`` names the configured account."""

    retryable = False

    def __init__(self, account: str, message: str, *, status: int | None = None):
        self.account = account
        self.status = status
        super().__init__(f"{account}: {message}")


class AuthError(NetworkError):
    """Credentials expired or revoked: the account must be reconnected."""

    def __init__(self, account: str, detail: str, *, status: int | None = None):
        super().__init__(
            account,
            f"reconnect this account: its credentials were refused ({detail})",
            status=status,
        )


class RateLimited(NetworkError):
    """The network asked us to wait; the work is retried later, never dropped."""

    retryable = True

    def __init__(self, account: str, retry_after: float, *, status: int | None = 429):
        self.retry_after = retry_after
        super().__init__(account, f"rate limited, retry in {retry_after:.0f} s", status=status)


class TransientError(NetworkError):
    """A 5xx, a timeout or a dropped connection: worth retrying with backoff."""

    retryable = True


class LostResponse(TransientError):
    """The request went out but no answer came back: it may have been applied."""


class NotSent(TransientError):
    """The connection failed before the request went out: safe to repeat."""


class Rejected(NetworkError):
    """The network refused the content or request for good (4xx); says why."""


class Unsupported(NetworkError):
    """This network does not offer the operation (e.g. hiding a comment)."""


# --------------------------------------------------------------------------
# Domains


class PostError(PortevoixError):
    """A post cannot be created or changed as asked."""


class BoostError(PortevoixError):
    """A paid boost that cannot be asked for, approved or launched: the message says why."""


class ContestError(PortevoixError):
    """A contest that cannot be declared, read or drawn as asked: the message says why."""


class NewsletterError(PortevoixError):
    """A sign-up, an issue or a sending that cannot go on as asked: the message says why."""


class MediaError(PostError):
    """An image refused: wrong type, too big, or not what it claims to be."""


class InProgress(PortevoixError):
    """Another attempt is publishing this (post, account) right now: retry later."""


class ReplyError(PortevoixError):
    """A reply cannot be rendered or sent; says why."""


class ModerationError(PortevoixError):
    """A mention cannot be moderated as asked (nowhere to archive it first)."""


class ReportError(PortevoixError):
    """A report cannot be made as asked (a malformed week, say)."""


class ConfigConflict(PortevoixError):
    """The configuration changed since the page that edits it was opened."""


class ConnectError(PortevoixError):
    """An account could not be connected; says at which step and what to do."""
