"""Contests (jeux-concours): entries read from the networks, a draw anyone can check."""
