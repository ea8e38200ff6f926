"""Rating over GraphQL: invoice previews, upcoming invoices, usage status, cost estimates."""
