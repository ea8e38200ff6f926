"""A small ClickHouse client over its HTTP interface, with TabSeparated rows both ways.

Why HTTP and TabSeparated: the HTTP interface and the TabSeparated format are the same on
Debian's 18.16 and on current releases (the native protocol's revisions and the JSON
formats' number quoting have changed between them), so one client speaks to both, through
httpx, which the project already uses. Values travel as text, so decimals never pass
through a float.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import httpx

DEFAULT_PORTS = {"clickhouse": 8123, "clickhouses": 8443}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

# Big IN lists (the event IDs of a 10,000-event batch) exceed the default 256 KiB.
_QUERY_SETTINGS = {"max_query_size": str(64 * 1024 * 1024)}


class ClickHouseError(RuntimeError):
    """The server refused a statement (its message) or could not be reached."""


@dataclass(frozen=True, slots=True)
class ClickHouseUrl:
    """`clickhouse://[user[:password]@]host[:port]/database` (`clickhouses://`: HTTPS)."""

    base_url: str
    database: str
    user: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> ClickHouseUrl:
        """Raises ValueError saying what is wrong (never echoing the password)."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise ValueError("the scheme must be clickhouse:// or clickhouses://")
        try:
            port = parts.port or DEFAULT_PORTS[scheme]
        except ValueError:
            raise ValueError("the port must be a number from 1 to 65535") from None
        if not parts.hostname:
            raise ValueError("a host is required, e.g. clickhouse://127.0.0.1:8123/usage")
        database = parts.path.strip("/")
        if not _NAME.fullmatch(database):
            raise ValueError("the path must be one database name (letters, digits, _), e.g. /usage")
        if parts.query or parts.fragment:
            raise ValueError("no query string or fragment is read; give user:password@ instead")
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        http = "https" if scheme == "clickhouses" else "http"
        return cls(
            base_url=f"{http}://{host}:{port}/",
            database=database,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )


class ClickHouseClient:
    """One connection pool to one server; statements are plain SQL text."""

    def __init__(self, url: ClickHouseUrl, *, timeout: float = 30.0) -> None:
        self.url = url
        self.queries = 0  # statements sent (the tests count them as they count SQL ones)
        auth = (url.user or "default", url.password or "") if url.user else None
        self._http = httpx.AsyncClient(
            base_url=url.base_url,
            auth=auth,
            timeout=timeout,
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
        )

    async def execute(self, statement: str, *, database: str | None = "") -> None:
        """Run a statement that returns nothing (DDL). `database` "" means the URL's."""
        await self._post(statement, self._params(database))

    async def rows(self, query: str) -> list[list[str]]:
        """The rows of a SELECT as text fields (TabSeparated, unescaped)."""
        return _parse(await self._post(f"{query}\nFORMAT TabSeparated", self._params("")))

    async def rows_with(self, query: str, name: str, structure: str, body: str) -> list[list[str]]:
        """The rows of a SELECT that reads `body` (TabSeparated lines, escaped) as the
        temporary table `name`: ClickHouse's external data, sent as a file and never parsed
        as SQL, so 10,000 keys cost little."""
        params = self._params("")
        params.update(
            {
                "query": f"{query}\nFORMAT TabSeparated",
                f"{name}_structure": structure,
                f"{name}_format": "TabSeparated",
            }
        )
        content = b"".join(
            (
                f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{name}.tsv"\r\n\r\n'.encode(),
                body.encode(),
                f"\r\n--{_BOUNDARY}--\r\n".encode(),
            )
        )
        headers = {"Content-Type": f"multipart/form-data; boundary={_BOUNDARY}"}
        return _parse(await self._send(content, params, headers))

    async def insert_text(self, table: str, columns: Sequence[str], body: str) -> None:
        """INSERT TabSeparated lines already escaped (text fields by `tsv_text`)."""
        params = self._params("")
        params["query"] = f"INSERT INTO {table} ({', '.join(columns)}) FORMAT TabSeparated"
        await self._post(body, params)

    async def close(self) -> None:
        await self._http.aclose()

    def _params(self, database: str | None) -> dict[str, str]:
        params = dict(_QUERY_SETTINGS)
        if database is not None:
            params["database"] = database or self.url.database
        return params

    async def _post(self, content: str, params: dict[str, str]) -> str:
        return await self._send(content.encode(), params, {})

    async def _send(self, content: bytes, params: dict[str, str], headers: dict[str, str]) -> str:
        self.queries += 1
        try:
            response = await self._http.post("", params=params, content=content, headers=headers)
        except httpx.HTTPError as error:
            raise ClickHouseError(f"ClickHouse unreachable: {type(error).__name__}") from None
        if response.status_code != 200:
            raise ClickHouseError(response.text.strip()[:2000])
        return response.text


# A multipart part ends at CRLF "--" boundary; a TabSeparated body escapes CR, so it never
# holds that delimiter, whatever the boundary.
_BOUNDARY = "pricing-graph-external-data"
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"})


def tsv_text(value: str) -> str:
    """`value` as a TabSeparated field. `str.translate` looks every character up in a
    Python dict; most values hold nothing to escape, which five scans in C tell."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value or "\0" in value:
        return value.translate(ESCAPES)
    return value


def tsv_json(text: str) -> str:
    """JSON text as a TabSeparated field: JSON escapes every control character itself, so
    only its backslashes need doubling."""
    return text.replace("\\", "\\\\") if "\\" in text else text


_UNESCAPES = {"b": "\b", "f": "\f", "r": "\r", "n": "\n", "t": "\t", "0": "\0"}
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def _parse(text: str) -> list[list[str]]:
    return [[unescape(field) for field in line.split("\t")] for line in text.split("\n") if line]


def unescape(field: str) -> str:
    if "\\" not in field:
        return field
    return _ESCAPED.sub(lambda found: _UNESCAPES.get(found.group(1), found.group(1)), field)
