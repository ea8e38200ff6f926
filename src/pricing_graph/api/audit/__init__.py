"""The audit log over GraphQL: `auditEvents`, for admin keys."""
