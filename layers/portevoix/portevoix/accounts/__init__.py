"""The brand's network accounts: credential health and expiry alerts."""
