"""GraphQL: the Strawberry schema, per-request context and DataLoaders."""
