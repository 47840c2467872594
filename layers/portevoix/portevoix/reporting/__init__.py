"""Reporting: the morning digest, engagement read-back and the weekly report."""
