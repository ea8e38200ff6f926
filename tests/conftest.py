"""Fixtures shared by store and API tests: every such test runs on SQLite and PostgreSQL.

Each test gets its own database, copied from a template migrated once per session (a file
copy for SQLite, CREATE DATABASE ... TEMPLATE for PostgreSQL), and dropped afterwards.
Under pytest-xdist (`make test`) every worker is its own session: its own templates (the
PostgreSQL one named after the worker, the SQLite one in the worker's own temp dir).
PostgreSQL's CREATE DATABASE and DROP DATABASE wait on the disk (0.3-1 s a pair, more than most
tests take), so a worker makes its next database while a test runs and drops used ones in the
background (`_PgDatabases`); nothing but that pool connects to the template.
PostgreSQL is required when CI=true; elsewhere its tests skip with the reason shown.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from pricing_graph.store.migrate import upgrade

PG_HOST = os.environ.get("PRICING_GRAPH_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("PRICING_GRAPH_TEST_PG_PORT", "5432"))
PG_USERS = ("postgres", "root")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_admin_user() -> tuple[str | None, str]:
    import asyncio

    async def probe(user: str) -> None:
        connection = await asyncpg.connect(
            host=PG_HOST, port=PG_PORT, user=user, database="test", timeout=3
        )
        await connection.close()

    last_error = ""
    for user in PG_USERS:
        try:
            asyncio.run(probe(user))
            return user, ""
        except Exception as exc:  # any failure means "not usable"; the reason is shown
            last_error = f"{type(exc).__name__}: {exc}"
    return None, last_error


async def _pg_execute(user: str, *statements: str) -> None:
    connection = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=user, database="test")
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _pg(user: str, *statements: str) -> None:
    import asyncio

    asyncio.run(_pg_execute(user, *statements))


def _pg_url(user: str, name: str) -> str:
    return f"postgresql+asyncpg://{user}@{PG_HOST}:{PG_PORT}/{name}"


@pytest.fixture(scope="session")
def pg_user() -> str:
    user, reason = _pg_admin_user()
    if user is None:
        message = f"PostgreSQL at {PG_HOST}:{PG_PORT} is unreachable ({reason})"
        if IN_CI:
            pytest.fail(f"{message}; CI=true requires it", pytrace=False)
        pytest.skip(
            f"{message}; start it with: pg_ctlcluster --skip-systemctl-redirect "
            "$(ls /etc/postgresql) main start"
        )
    return user


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


class _PgDatabases:
    """Test databases copied from the template by one background thread: the next one is made
    while the current test runs, and used ones are dropped without the test waiting."""

    def __init__(self, user: str, template: str) -> None:
        self.user = user
        self._template = template
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-databases")
        self._next: Future[str] | None = None

    def _create(self) -> str:
        name = f"pricing_graph_test_{uuid.uuid4().hex[:12]}"
        _pg(self.user, f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        return name

    def _drop(self, name: str) -> None:
        _pg(self.user, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def take(self) -> str:
        made = self._next or self._thread.submit(self._create)
        self._next = self._thread.submit(self._create)
        return made.result()

    def give_back(self, name: str) -> None:
        self._thread.submit(self._drop, name)

    def close(self) -> None:
        if self._next is not None:
            self._thread.submit(self._drop, self._next.result())
        self._thread.shutdown(wait=True)


@pytest.fixture(scope="session")
def pg_template(pg_user: str) -> Iterator[str]:
    # "gw0", "gw1", ... under xdist; read from the environment so the suite needs no xdist
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"pricing_graph_tmpl_{worker}_{uuid.uuid4().hex[:10]}"
    _pg(pg_user, f'CREATE DATABASE "{name}"')
    try:
        upgrade(_pg_url(pg_user, name))
        yield name
    finally:
        _pg(pg_user, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_databases(pg_user: str, pg_template: str) -> Iterator[_PgDatabases]:
    databases = _PgDatabases(pg_user, pg_template)
    try:
        yield databases
    finally:
        databases.close()


@contextmanager
def _fresh_database(request: pytest.FixtureRequest, directory: Path) -> Iterator[str]:
    if request.param in ("sqlite", "clickhouse"):  # clickhouse: the catalog on SQLite
        path = directory / f"test-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    databases: _PgDatabases = request.getfixturevalue("pg_databases")
    name = databases.take()
    try:
        yield _pg_url(databases.user, name)
    finally:
        databases.give_back(name)


@pytest.fixture
def pg_database_url(pg_user: str, pg_databases: _PgDatabases) -> Iterator[str]:
    """A freshly migrated, empty PostgreSQL database, for PostgreSQL-only tests."""
    name = pg_databases.take()
    try:
        yield _pg_url(pg_user, name)
    finally:
        pg_databases.give_back(name)


@pytest.fixture(params=["sqlite", "postgres", "clickhouse"])  # clickhouse: USAGE_STORES only
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database of each backend, dropped after the test."""
    with _fresh_database(request, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Like `database_url`, shared by one test module (for costly set-ups like a server)."""
    with _fresh_database(request, tmp_path_factory.mktemp("module")) as url:
        yield url


@pytest.fixture
async def database(database_url: str, usage_url: str) -> AsyncIterator[Any]:
    from pricing_graph.api.context import Database
    from pricing_graph.settings import Settings
    from pricing_graph.store.engine import make_engine, make_session_factory
    from pricing_graph.store.usage_store import connect_usage_store

    engine = make_engine(database_url)
    usage = connect_usage_store(usage_url)
    await usage.prepare()
    settings = Settings(database_url=database_url, usage_url=usage_url)
    yield Database(
        engine=engine, sessions=make_session_factory(engine), settings=settings, usage=usage
    )
    await engine.dispose()
    await usage.close()


# --------------------------------------------------------------------------- ClickHouse
# A test module with `USAGE_STORES = True` runs each test that takes `database_url` (and is
# not parametrized on it otherwise) three ways: SQLite, PostgreSQL, and "clickhouse" (the
# catalog on SQLite, the usage events in a ClickHouse database of the test's own, dropped
# afterwards). The server: PRICING_GRAPH_TEST_CLICKHOUSE_URL (clickhouse://host:port), else
# one started per session (per xdist worker) from the installed clickhouse-server, else the
# ClickHouse tests skip with the reason (fail under CI=true).


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The "clickhouse" variant only where a module asks for it (USAGE_STORES = True) or a
    test does (parametrize("database_url", [..., "clickhouse"], indirect=True))."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        wanted = getattr(getattr(item, "module", None), "USAGE_STORES", False) or any(
            "database_url" in mark.args[0] for mark in item.iter_markers("parametrize")
        )
        if callspec is not None and callspec.params.get("database_url") == "clickhouse":
            (kept if wanted else dropped).append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def clickhouse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """clickhouse://host:port of a server the tests may create databases on."""
    given = os.environ.get("PRICING_GRAPH_TEST_CLICKHOUSE_URL", "").strip()
    if given:
        yield given.rstrip("/")
        return
    from tests.support.clickhouse_server import running_server, server_command

    if server_command() is None:
        message = (
            "no ClickHouse: set PRICING_GRAPH_TEST_CLICKHOUSE_URL=clickhouse://host:port or "
            "install Debian's clickhouse-server (apt-get install clickhouse-server)"
        )
        if IN_CI:
            pytest.fail(f"{message}; CI=true requires it", pytrace=False)
        pytest.skip(message)
    with running_server(tmp_path_factory.mktemp("clickhouse")) as server:
        yield server.clickhouse_url


def _clickhouse_http(server: str, statement: str) -> None:
    import httpx

    from pricing_graph.store.clickhouse.client import ClickHouseUrl

    base = ClickHouseUrl.parse(f"{server}/default")
    auth = (base.user, base.password or "") if base.user else None
    response = httpx.post(base.base_url, content=statement.encode(), auth=auth, timeout=30)
    response.raise_for_status()


@pytest.fixture
def usage_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """ "" (usage in the catalog's database), or the ClickHouse database of this test."""
    callspec = getattr(request.node, "callspec", None)
    if callspec is None or callspec.params.get("database_url") != "clickhouse":
        yield ""
        return
    server = request.getfixturevalue("clickhouse_server")
    name = f"pricing_graph_test_{uuid.uuid4().hex[:12]}"
    try:
        yield f"{server}/{name}"
    finally:
        _clickhouse_http(server, f"DROP DATABASE IF EXISTS {name}")
