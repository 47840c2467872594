"""Operational metrics (CloudWatch EMF through Powertools): a fixed catalogue, one dimension.

Each (service, name) below is one custom metric in CloudWatch, and each
costs $0.30 a month past the ten free: ``service`` is the only dimension,
never a feed, a post or an account (those go in log fields). The cost
estimate counts this catalogue.
"""

from __future__ import annotations

import warnings
from typing import Any

# Most publish tasks and the inbound-email path record nothing: that is not worth a warning.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

NAMESPACE = "Portevoix"
CATALOGUE: dict[str, tuple[str, ...]] = {
    "veille": ("ItemsIngested", "MentionsIngested", "FeedFailures"),
    "reply": ("MentionsFiled", "UrgentAlerts"),
    "publish": ("PostsPublished", "PublishFailures"),
    "report": ("EmailsSent", "EngagementRead"),
}


def record(metrics: Any, service: str, **values: int) -> None:
    """Add counts to a Powertools ``Metrics`` (flushed by its ``log_metrics`` decorator)."""
    from aws_lambda_powertools.metrics import MetricUnit

    allowed = CATALOGUE[service]
    for name, value in values.items():
        if name not in allowed:
            raise ValueError(f"{service}: metric {name!r} is not in the catalogue {allowed}")
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=int(value))


def count() -> int:
    """How many custom metrics the stack publishes (for the cost estimate)."""
    return sum(len(names) for names in CATALOGUE.values())
