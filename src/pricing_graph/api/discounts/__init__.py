"""Discounts and promotion codes: GraphQL inputs, types, queries and mutations."""
