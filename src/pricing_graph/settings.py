"""The one place that reads configuration from the environment.

Every setting has a default that serves `make run` as is; `from_env` refuses a malformed
value with a `SettingsError` naming the variable, what it expects and what it got. The
limits are described, with the error each one answers, in docs/security.md.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./pricing-graph.db"
ENVIRONMENTS = ("development", "production")
LOG_FORMATS = ("json", "text")
MIB = 1024 * 1024
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


class SettingsError(ValueError):
    """A PRICING_GRAPH_* variable that cannot be used: the message says which and why."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    # One JSON object per line (for a log pipeline), or text for a terminal (docs/operations.md).
    log_format: str = "json"
    # GET /metrics without an admin key (for deployments where only the scraper reaches it).
    metrics_public: bool = False
    # OpenTelemetry tracing of GraphQL operations (needs `pip install pricing-graph[otel]`).
    otel: bool = False
    usage_max_future_seconds: int = 3600
    usage_max_properties_bytes: int = 32 * 1024
    api_keys: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Production: GraphiQL off, introspection for admin keys only.
    env: str = "development"
    # Browser origins allowed to call the API (CORS); none by default.
    cors_origins: tuple[str, ...] = ()
    # Limits every request meets before it costs anything (docs/security.md).
    graphql_max_body_bytes: int = MIB
    ingest_max_body_bytes: int = 8 * MIB
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_query_cost: int = 100_000
    request_time_limit_seconds: float = 10.0
    statement_timeout_ms: int = 5000
    rate_limit_per_second: float = 20.0
    rate_limit_burst: int = 100
    # The public read cache and persisted documents (docs/caching.md).
    public_cache_entries: int = 1000
    public_cache_max_bytes: int = 32 * MIB
    public_max_age_seconds: int = 30
    public_stale_while_revalidate_seconds: int = 60
    persisted_queries_max: int = 1000
    trusted_documents_dir: str = "frontend-contract"
    trusted_documents_only: bool = False
    # Usage events in ClickHouse (clickhouse://user:password@host:8123/database); "" keeps
    # them in the database above (docs/usage.md, docs/scaling.md).
    usage_url: str = ""

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def masked_database_url(self) -> str:
        """The database URL fit to print or log: its password replaced by ***."""
        return mask_url(self.database_url)

    @property
    def masked_usage_url(self) -> str:
        """The usage store's URL fit to print or log: its password replaced by ***."""
        return mask_url(self.usage_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        read = _Reader(env)
        return cls(
            database_url=env.get("PRICING_GRAPH_DATABASE_URL", DEFAULT_DATABASE_URL),
            host=env.get("PRICING_GRAPH_HOST", "127.0.0.1"),
            port=read.integer("PORT", 8000, minimum=1, maximum=65535),
            log_level=read.choice(
                "LOG_LEVEL", "info", ("critical", "error", "warning", "info", "debug", "trace")
            ),
            log_format=read.choice("LOG_FORMAT", "json", LOG_FORMATS),
            metrics_public=read.boolean("METRICS_PUBLIC", False),
            otel=read.boolean("OTEL", False),
            usage_max_future_seconds=read.integer("USAGE_MAX_FUTURE_SECONDS", 3600, minimum=0),
            usage_max_properties_bytes=read.integer(
                "USAGE_MAX_PROPERTIES_BYTES", 32 * 1024, minimum=2
            ),
            api_keys=parse_api_keys(env.get("PRICING_GRAPH_API_KEYS", "")),
            env=read.choice("ENV", "development", ENVIRONMENTS),
            cors_origins=read.origins("CORS_ORIGINS"),
            graphql_max_body_bytes=read.integer("GRAPHQL_MAX_BODY_BYTES", MIB, minimum=1024),
            ingest_max_body_bytes=read.integer("INGEST_MAX_BODY_BYTES", 8 * MIB, minimum=1024),
            max_query_depth=read.integer("MAX_QUERY_DEPTH", 12, minimum=1),
            max_aliases=read.integer("MAX_ALIASES", 30, minimum=0),
            max_tokens=read.integer("MAX_TOKENS", 5000, minimum=100),
            max_query_cost=read.integer("MAX_QUERY_COST", 100_000, minimum=1),
            request_time_limit_seconds=read.seconds("REQUEST_TIME_LIMIT_SECONDS", 10.0),
            statement_timeout_ms=read.integer("STATEMENT_TIMEOUT_MS", 5000, minimum=0),
            rate_limit_per_second=read.number("RATE_LIMIT_PER_SECOND", 20.0),
            rate_limit_burst=read.integer("RATE_LIMIT_BURST", 100, minimum=1),
            public_cache_entries=read.integer("PUBLIC_CACHE_ENTRIES", 1000, minimum=0),
            public_cache_max_bytes=read.integer("PUBLIC_CACHE_MAX_BYTES", 32 * MIB, minimum=0),
            public_max_age_seconds=read.integer("PUBLIC_MAX_AGE_SECONDS", 30, minimum=0),
            public_stale_while_revalidate_seconds=read.integer(
                "PUBLIC_STALE_WHILE_REVALIDATE_SECONDS", 60, minimum=0
            ),
            persisted_queries_max=read.integer("PERSISTED_QUERIES_MAX", 1000, minimum=0),
            trusted_documents_dir=env.get(
                "PRICING_GRAPH_TRUSTED_DOCUMENTS_DIR", "frontend-contract"
            ).strip(),
            trusted_documents_only=read.boolean("TRUSTED_DOCUMENTS_ONLY", False),
            usage_url=read.usage_url("USAGE_URL"),
        )


class _Reader:
    """Reads PRICING_GRAPH_<NAME>, refusing values it cannot use."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def _raw(self, name: str) -> str | None:
        value = self.env.get(f"PRICING_GRAPH_{name}")
        return None if value is None or not value.strip() else value.strip()

    def _refuse(self, name: str, expected: str, got: str) -> SettingsError:
        return SettingsError(f"PRICING_GRAPH_{name} must be {expected}, got {got!r}")

    def integer(self, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        text = self._raw(name)
        if text is None:
            return default
        expected = (
            f"a whole number of at least {minimum}"
            if maximum is None
            else f"a whole number from {minimum} to {maximum}"
        )
        if not re.fullmatch(r"[0-9]{1,15}", text.replace("_", "")):
            raise self._refuse(name, expected, text)
        value = int(text.replace("_", ""))
        if value < minimum or (maximum is not None and value > maximum):
            raise self._refuse(name, expected, text)
        return value

    def number(self, name: str, default: float) -> float:
        """A finite number, 0 or more (0 turns the limit off)."""
        text = self._raw(name)
        if text is None:
            return default
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise self._refuse(name, "a number, 0 or more (0 turns the limit off)", text)
        return value

    def seconds(self, name: str, default: float) -> float:
        value = self.number(name, default)
        if value == 0:
            raise self._refuse(name, "a number of seconds greater than 0", "0")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        text = self._raw(name)
        if text is None:
            return default
        if text.lower() not in _BOOLEANS:
            raise self._refuse(name, "true or false", text)
        return _BOOLEANS[text.lower()]

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        text = self._raw(name)
        if text is None:
            return default
        if text.lower() not in choices:
            raise self._refuse(name, "one of " + ", ".join(choices), text)
        return text.lower()

    def origins(self, name: str) -> tuple[str, ...]:
        """`https://app.example.com,http://localhost:5173`, or `*` for any origin."""
        text = self._raw(name)
        if text is None:
            return ()
        origins = tuple(part.strip().rstrip("/") for part in text.split(",") if part.strip())
        for origin in origins:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise self._refuse(
                    name,
                    "comma-separated origins such as https://app.example.com (scheme, host "
                    "and optional port, no path), or *",
                    origin,
                )
        return origins

    def usage_url(self, name: str) -> str:
        """ "" or clickhouse://[user[:password]@]host[:port]/database (clickhouses://: TLS)."""
        text = self._raw(name)
        if text is None:
            return ""
        from pricing_graph.store.clickhouse.client import ClickHouseUrl

        try:
            ClickHouseUrl.parse(text)
        except ValueError as wrong:
            raise self._refuse(
                name,
                f"clickhouse://[user[:password]@]host[:port]/database ({wrong})",
                mask_url(text),
            ) from None
        return text


_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
_PASSWORD_PARAMETER = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def mask_url(url: str) -> str:
    """`postgresql+asyncpg://user:secret@host/db` -> `postgresql+asyncpg://user:***@host/db`
    (also a `password=` query parameter); a URL without a password is returned as is."""
    scheme, separator, rest = url.partition("://")
    if separator:
        authority, slash, tail = rest.partition("/")
        userinfo, at, host = authority.rpartition("@")
        if at and ":" in userinfo:
            user = userinfo.partition(":")[0]
            url = f"{scheme}://{user}:***@{host}{slash}{tail}"
    return _PASSWORD_PARAMETER.sub(r"\1***", url)


_URL_WITH_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^\s/@:]*:[^\s@]*@\S*", re.IGNORECASE)


def mask_secrets(text: str) -> str:
    """`text` (a log line, an error message) with the password of every URL in it masked."""
    return _URL_WITH_PASSWORD.sub(lambda found: mask_url(found.group(0)), text)


def parse_api_keys(text: str) -> dict[str, frozenset[str]]:
    """`key1:sales|partner,key2:partner` -> {key1: {sales, partner}, key2: {partner}}.

    An empty key (`:sales`) is ignored: it would match every caller that sends none."""
    keys: dict[str, frozenset[str]] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, _, scopes = item.partition(":")
        if key.strip():
            keys[key.strip()] = frozenset(filter(None, scopes.split("|")))
    return keys
