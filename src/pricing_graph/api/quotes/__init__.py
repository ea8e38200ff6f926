"""Quotes over GraphQL: what-if pricing, plan comparison, saved quotes that become contracts."""
