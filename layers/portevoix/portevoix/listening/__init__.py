"""Listening (la veille): poll feeds and network accounts, parse, match, store what is new."""
