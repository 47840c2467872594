"""Publishing: posts and their exactly-once ledger, the editorial charter, approval, the workflow tasks."""
