"""Usage over GraphQL: event ingestion (`ingestUsage`)."""
