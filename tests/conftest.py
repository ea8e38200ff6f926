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
    if request.param == "sqlite":
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


@pytest.fixture(params=["sqlite", "postgres"])
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
async def database(database_url: str) -> AsyncIterator[Any]:
    from pricing_graph.api.context import Database
    from pricing_graph.store.engine import make_engine, make_session_factory

    engine = make_engine(database_url)
    yield Database(engine=engine, sessions=make_session_factory(engine))
    await engine.dispose()
