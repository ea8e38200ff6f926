"""Usage events in ClickHouse (PRICING_GRAPH_USAGE_URL=clickhouse://...)."""
