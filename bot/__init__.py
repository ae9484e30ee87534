"""Kuaipei: the application (settings, use cases, rules, sender, jobs, CLI)."""
