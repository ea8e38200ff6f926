"""The GraphQL HTTP endpoint: Strawberry's ASGI application with API keys, persisted
documents and the public read cache (docs/caching.md). app.py assembles it with the other
routes and the guards."""
