"""Retention: evidence, delivered messages and typed text deleted after their period."""
