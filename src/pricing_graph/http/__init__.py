"""Plain HTTP endpoints beside the GraphQL API (bulk usage ingestion). They parse their own
wire format into the services' inputs and import nothing from `pricing_graph.api`."""
