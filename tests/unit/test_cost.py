"""The cost estimate: line by line, scaled by the configuration, tied to what bench/ measures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from portevoix.core.config import load_config
from portevoix_local import cost, pricing
from tests.helpers import ROOT, make_config


def example() -> cost.Estimate:
    return cost.estimate(cost.Workload.from_config(load_config(ROOT / "config" / "example.yaml")))


def test_the_example_configuration_has_a_line_per_service_and_a_total() -> None:
    est = example()
    services = {line.service for line in est.lines}
    assert {
        "Lambda",
        "DynamoDB",
        "Step Functions",
        "EventBridge Scheduler",
        "SES",
        "API Gateway",
        "CloudWatch",
    } <= services
    assert est.total == pytest.approx(sum(line.billed for line in est.lines))
    assert 0 < est.total < est.total_without_free_tier < 20
    text = cost.render(est)
    assert "Total:" in text and pricing.AS_OF in text and "DynamoDB: writes" in text


def test_more_feeds_and_mentions_cost_more_and_free_tiers_are_shared() -> None:
    small = make_config(feeds=[{"url": f"https://f{i}.example/rss"} for i in range(10)])
    big = make_config(feeds=[{"url": f"https://f{i}.example/rss"} for i in range(400)])
    a = cost.estimate(cost.Workload.from_config(small))
    b = cost.estimate(cost.Workload.from_config(big, mentions_per_day=5000))
    read_a, read_b = (next(x for x in e.lines if x.what.startswith("reads")) for e in (a, b))
    assert read_b.quantity > 20 * read_a.quantity
    assert b.total_without_free_tier > a.total_without_free_tier
    lam = next(x for x in a.lines if x.what == "invocations")
    assert lam.billed == 0 and lam.cost > 0  # within the million free requests


def test_secrets_manager_tokens_are_priced_per_secret() -> None:
    ssm = make_config(
        accounts=[
            {"network": "mastodon", "instance": "https://m.example", "secret": "ssm:/portevoix/m"}
        ]
    )
    sm = make_config(
        accounts=[
            {
                "network": "mastodon",
                "instance": "https://m.example",
                "secret": "secretsmanager:portevoix/m",
            }
        ]
    )
    assert not [
        x
        for x in cost.estimate(cost.Workload.from_config(ssm)).lines
        if x.service == "Secrets Manager"
    ]
    line = next(
        x
        for x in cost.estimate(cost.Workload.from_config(sm)).lines
        if x.service == "Secrets Manager"
    )
    assert line.billed == pytest.approx(0.40)


def test_the_model_covers_what_the_benchmark_measured() -> None:
    """bench/cost.py measures these keys through the real handlers; the model must not be below."""
    measured = json.loads((ROOT / "bench" / "baseline-cost.json").read_text())
    shared = [k for k in measured if k in cost.USAGE]
    assert len(shared) >= 15
    for key in shared:
        assert cost.USAGE[key] >= measured[key] * 0.9, (
            f"{key}: model {cost.USAGE[key]} < measured {measured[key]}"
        )


def test_the_example_costs_at_most_15_cents_a_month_even_with_every_account_enabled() -> None:
    """The example as shipped (accounts disabled) and as used (all connected, tokens in SSM)."""
    from portevoix.core.config import parse_config

    text = (ROOT / "config" / "example.yaml").read_text(encoding="utf-8")
    enabled = "\n".join(line for line in text.splitlines() if "enabled: false" not in line)
    for source in (text, enabled):
        est = cost.estimate(cost.Workload.from_config(parse_config(source)))
        assert est.total <= 0.15, cost.render(est)
        assert not any(line.service == "Secrets Manager" for line in est.lines)
    assert len(parse_config(enabled).accounts) == 9
    # The compact configuration fits a Standard parameter (free): no SSM line.
    assert not any(line.service == "SSM" for line in est.lines)


def test_a_configuration_over_4_kb_needs_the_advanced_tier() -> None:
    big = make_config(feeds=[{"url": f"https://feed-{i}.example/rss.xml"} for i in range(150)])
    est = cost.estimate(cost.Workload.from_config(big))
    (line,) = [x for x in est.lines if x.service == "SSM"]
    assert line.cost == pytest.approx(pricing.PRICES["ssm_advanced_parameter_month"])


def test_contests_and_the_newsletter_are_in_the_bill() -> None:
    config = load_config(ROOT / "config" / "example.yaml")
    quiet = cost.estimate(cost.Workload.from_config(config, contest_entries=0, subscribers=0))
    busy = cost.estimate(cost.Workload.from_config(config, contest_entries=2000, subscribers=5000))

    def quantity(est: Any, what: str) -> float:
        return sum(line.quantity for line in est.lines if line.what.startswith(what))

    # A monthly issue to 5,000 subscribers, and 5 % of them confirming a sign-up.
    assert quantity(busy, "emails sent") - quantity(quiet, "emails sent") == pytest.approx(5250)
    assert quantity(busy, "newsletter batches") >= 3 * 100  # 100 batches of 50
    assert quantity(busy, "writes") - quantity(quiet, "writes") >= 2000 + 2 * 5000
    # SES bills the emails: about half a dollar; everything else stays in the free tier.
    assert 0.50 <= busy.total - quiet.total <= 0.60, cost.render(busy)
