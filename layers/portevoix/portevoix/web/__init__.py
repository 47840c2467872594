"""The studio: the team's web console on the stack's HTTP API (routes, sign-in, pages)."""
