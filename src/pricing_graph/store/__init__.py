"""Persistence: SQLModel tables, the async engine, repositories and Alembic's metadata."""
