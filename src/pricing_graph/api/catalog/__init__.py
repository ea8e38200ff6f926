"""The catalog over GraphQL: products, metrics, plans, ramps, prices, rates and tiers."""
