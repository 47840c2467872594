"""The SSRF guard's view of addresses."""

from __future__ import annotations

import ipaddress

import pytest

from portevoix.core.http import AddressPolicy

BLOCKED_BY_DEFAULT = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.1.1",
    "100.64.0.1",
    "0.0.0.0",
    "::1",
    "fe80::1",
    "fc00::1",
    "::ffff:127.0.0.1",
    "224.0.0.1",
]
ALWAYS_BLOCKED = ["169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254", "169.254.170.2"]


@pytest.mark.parametrize("address", BLOCKED_BY_DEFAULT + ALWAYS_BLOCKED)
def test_default_policy_refuses_non_public(address: str) -> None:
    assert AddressPolicy().refusal(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert AddressPolicy().refusal(address) is None


@pytest.mark.parametrize("address", ALWAYS_BLOCKED)
def test_metadata_stays_blocked_when_private_is_allowed(address: str) -> None:
    policy = AddressPolicy(allow_private=True)
    assert policy.refusal("10.0.0.1") is None
    assert "metadata" in policy.refusal(address)


def test_allow_networks_opens_only_that_network() -> None:
    policy = AddressPolicy(allow_networks=(ipaddress.ip_network("10.20.0.0/16"),))
    assert policy.refusal("10.20.3.4") is None
    assert policy.refusal("10.21.3.4")
