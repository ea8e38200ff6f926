"""Customers and contracts over GraphQL: per-customer terms, amendments with history."""
