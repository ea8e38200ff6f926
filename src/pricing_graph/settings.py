"""The one place that reads configuration from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./pricing-graph.db"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    usage_max_future_seconds: int = 3600
    api_keys: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        return cls(
            database_url=env.get("PRICING_GRAPH_DATABASE_URL", DEFAULT_DATABASE_URL),
            host=env.get("PRICING_GRAPH_HOST", "127.0.0.1"),
            port=int(env.get("PRICING_GRAPH_PORT", "8000")),
            log_level=env.get("PRICING_GRAPH_LOG_LEVEL", "info").lower(),
            usage_max_future_seconds=int(env.get("PRICING_GRAPH_USAGE_MAX_FUTURE_SECONDS", "3600")),
            api_keys=parse_api_keys(env.get("PRICING_GRAPH_API_KEYS", "")),
        )


def parse_api_keys(text: str) -> dict[str, frozenset[str]]:
    """`key1:sales|partner,key2:partner` -> {key1: {sales, partner}, key2: {partner}}."""
    keys: dict[str, frozenset[str]] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, _, scopes = item.partition(":")
        keys[key] = frozenset(filter(None, scopes.split("|")))
    return keys
