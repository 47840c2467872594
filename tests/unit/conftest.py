"""Unit level: rules on plain values. No AWS: a test that reaches for a client fails."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(service: str) -> None:
        raise AssertionError(
            f"a unit test asked for an AWS client ({service}): move it to integration/"
        )

    monkeypatch.setattr("portevoix.core.aws.client", refuse)
