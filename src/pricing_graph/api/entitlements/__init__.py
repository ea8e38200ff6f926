"""Entitlements: what a customer may use (queries) and a contract's overrides (mutation)."""
