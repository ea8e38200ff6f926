"""pricing-graph: a GraphQL pricing-configuration service."""

__version__ = "0.1.0"
