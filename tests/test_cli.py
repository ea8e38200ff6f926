"""The `pricing-graph` command: help, --version, settings errors, masked secrets, migrate
(--show, --down), the serve banner and `usage import`, on SQLite and PostgreSQL where a
database is involved: exact output lines and exit statuses."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from pricing_graph import __version__
from pricing_graph.app import create_app
from pricing_graph.cli import main, serve_banner
from pricing_graph.demo.seed import seed_demo
from pricing_graph.settings import Settings, mask_secrets, mask_url
from pricing_graph.store.migrate import head_revision, previous_revision

HEAD = head_revision()
RATE = re.compile(r"\d+ events/s")


def _run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str | None,
    *argv: str,
) -> tuple[int, str, str]:
    if url is not None:
        monkeypatch.setenv("PRICING_GRAPH_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")  # argparse: no wrapped help lines
    try:
        code = main(list(argv))
    except SystemExit as done:  # --help, --version, argparse refusals
        code = int(done.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of each backend that was never migrated."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    from tests.conftest import _pg, _pg_url

    user = request.getfixturevalue("pg_user")
    name = f"pricing_graph_empty_{uuid.uuid4().hex[:12]}"
    _pg(user, f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(user, name)
    finally:
        _pg(user, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- help, version, settings -----------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(capsys, monkeypatch, None, "--version") == (0, f"pricing-graph {__version__}\n", "")


def test_top_level_help_lists_every_command(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = _run(capsys, monkeypatch, None, "--help")
    assert code == 0
    for line in (
        "  --version      show program's version number and exit",
        "    serve        serve GraphQL over HTTP (uvicorn)",
        "    migrate      upgrade the database to the latest migration (or --show, --down)",
        "    seed-demo    load the demo catalog, customers, usage and API keys (safe to run twice)",
        "    usage        usage events: import a file",
        "database: PRICING_GRAPH_DATABASE_URL, default sqlite+aiosqlite:///./pricing-graph.db",
    ):
        assert line in out.splitlines(), (line, out)


DATABASE_LINE = "  PRICING_GRAPH_DATABASE_URL (sqlite+aiosqlite:///./pricing-graph.db)"


@pytest.mark.parametrize(
    ("argv", "lines"),
    [
        (
            ("serve",),
            [
                "  --host HOST        address to listen on (default: $PRICING_GRAPH_HOST, else "
                "127.0.0.1)",
                "  --port PORT        port to listen on (default: $PRICING_GRAPH_PORT, else 8000)",
                DATABASE_LINE,
                "  PRICING_GRAPH_LOG_LEVEL (info), PRICING_GRAPH_LOG_FORMAT (json: one object a "
                "line; text)",
                "  PRICING_GRAPH_METRICS_PUBLIC (false: /metrics needs an admin key)",
                "  PRICING_GRAPH_OTEL (false: OpenTelemetry tracing, needs pricing-graph[otel])",
            ],
        ),
        (
            ("migrate",),
            [
                "  --show      print the database's revision and the code's head; change nothing",
                "  --down      go down one revision (undo the latest migration)",
                DATABASE_LINE,
            ],
        ),
        (("seed-demo",), [DATABASE_LINE]),
        (("export-schema",), ["  --output OUTPUT       file to write (default: stdout)"]),
        (("keys", "list"), [DATABASE_LINE]),
        (
            ("keys", "create"),
            [
                "  --name NAME           a label for the key: who or what uses it (default: none)",
                DATABASE_LINE,
            ],
        ),
        (("keys", "revoke"), [DATABASE_LINE]),
        (
            ("usage", "import"),
            [
                "  FILE                  a .jsonl or .csv file",
                "  --format {jsonl,csv}  the file's format (default: csv for a .csv file, else "
                "jsonl)",
                DATABASE_LINE,
                "  PRICING_GRAPH_USAGE_MAX_FUTURE_SECONDS (3600): events further ahead are refused",
            ],
        ),
    ],
)
def test_subcommand_help_names_defaults_and_environment(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: tuple[str, ...],
    lines: list[str],
) -> None:
    code, out, err = _run(capsys, monkeypatch, None, *argv, "--help")
    assert (code, err) == (0, "")
    for line in lines:
        assert line in out.splitlines(), (line, out)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PRICING_GRAPH_PORT", "abc", "must be a whole number from 1 to 65535, got 'abc'"),
        ("PRICING_GRAPH_LOG_FORMAT", "xml", "must be one of json, text, got 'xml'"),
        ("PRICING_GRAPH_OTEL", "sometimes", "must be true or false, got 'sometimes'"),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv(variable, value)
    assert _run(capsys, monkeypatch, None, "migrate", "--show") == (
        2,
        "",
        f"pricing-graph: {variable} {message}\n",
    )


def test_passwords_are_masked() -> None:
    assert mask_url("postgresql+asyncpg://user:s3cr3t@db.internal:5432/prices") == (
        "postgresql+asyncpg://user:***@db.internal:5432/prices"
    )
    assert mask_url("postgresql+asyncpg://user@db/prices?password=s3cr3t&ssl=require") == (
        "postgresql+asyncpg://user@db/prices?password=***&ssl=require"
    )
    assert mask_url("sqlite+aiosqlite:///./pricing-graph.db") == (
        "sqlite+aiosqlite:///./pricing-graph.db"
    )
    assert mask_secrets("could not reach postgresql://a:b@c/d (refused)") == (
        "could not reach postgresql://a:***@c/d (refused)"
    )


# --- migrate ---------------------------------------------------------------------------------


def test_migrate_show_down_and_up(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = previous_revision(HEAD)
    assert previous is not None

    def run(*argv: str) -> tuple[int, str, str]:
        return _run(capsys, monkeypatch, database_url, "migrate", *argv)

    assert run("--show") == (
        0,
        f"database: {database_url}\ncurrent:  {HEAD}\nhead:     {HEAD}\nstate:    up to date\n",
        "",
    )
    assert run("--down") == (0, f"downgraded {database_url}: {HEAD} -> {previous}\n", "")
    assert run("--show")[1].splitlines()[1:] == [
        f"current:  {previous}",
        f"head:     {HEAD}",
        f"state:    not at the head: run `pricing-graph migrate` ({previous} -> {HEAD})",
    ]
    assert run() == (0, f"migrated {database_url}: {previous} -> {HEAD} (head)\n", "")
    assert run() == (0, f"migrated {database_url}: already at the head, {HEAD}\n", "")


def test_migrate_an_empty_database(
    empty_database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = empty_database_url

    def run(*argv: str) -> tuple[int, str, str]:
        return _run(capsys, monkeypatch, url, "migrate", *argv)

    assert run("--show")[1].splitlines()[1:] == [
        "current:  none (not migrated)",
        f"head:     {HEAD}",
        "state:    not migrated: run `pricing-graph migrate`",
    ]
    assert run("--down") == (
        1,
        "",
        f"pricing-graph migrate --down: {url} has no migration to undo\n",
    )
    assert run() == (0, f"migrated {url}: none -> {HEAD} (head)\n", "")


def test_migrate_masks_the_password(
    pg_user: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's trust authentication ignores the password, so the URL works as given."""
    from tests.conftest import PG_HOST, PG_PORT, _pg

    name = f"pricing_graph_mask_{uuid.uuid4().hex[:12]}"
    _pg(pg_user, f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql+asyncpg://{pg_user}:hunter2@{PG_HOST}:{PG_PORT}/{name}"
        masked = f"postgresql+asyncpg://{pg_user}:***@{PG_HOST}:{PG_PORT}/{name}"
        assert _run(capsys, monkeypatch, url, "migrate") == (
            0,
            f"migrated {masked}: none -> {HEAD} (head)\n",
            "",
        )
        code, out, err = _run(capsys, monkeypatch, url, "migrate", "--show")
        assert (code, out.splitlines()[0], err) == (0, f"database: {masked}", "")
    finally:
        _pg(pg_user, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_an_unreachable_database_is_one_line_with_the_password_masked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql+asyncpg://app:hunter2@127.0.0.1:1/prices"
    code, out, err = _run(capsys, monkeypatch, url, "migrate")
    assert (code, out) == (1, "")
    assert err.startswith(
        "pricing-graph migrate: cannot migrate postgresql+asyncpg://app:***@127.0.0.1:1/prices ("
    )
    assert err.count("\n") == 1
    assert "hunter2" not in err
    assert "Traceback" not in err


# --- serve -----------------------------------------------------------------------------------


def test_serve_prints_where_things_are(tmp_path: Path) -> None:
    settings = Settings(database_url=f"postgresql+asyncpg://app:hunter2@db/{tmp_path.name}")
    app = create_app(settings)
    lines = serve_banner(app, settings, "127.0.0.1", 8000, 2)
    paths = sorted(getattr(route, "path", "") for route in app.routes)
    pricing = [
        "  pricing table: http://127.0.0.1:8000" + re.sub(r"{(\w+)(:\w+)?}", r"<\1>", path)
        for path in paths
        if path.startswith("/pricing/")
    ]
    assert lines == [
        f"pricing-graph {__version__} on http://127.0.0.1:8000 (2 workers, development, "
        f"database postgresql+asyncpg://app:***@db/{tmp_path.name})",
        "  GraphiQL:      http://127.0.0.1:8000/graphql",
        *pricing,
        "  probes:        http://127.0.0.1:8000/healthz (alive), http://127.0.0.1:8000/readyz "
        "(ready)",
        "  metrics:       http://127.0.0.1:8000/metrics (admin keys)",
    ]


# --- usage import ----------------------------------------------------------------------------


def _event(event_id: str, customer: str = "acme-corp", value: str = "10") -> dict[str, str]:
    return {
        "eventId": event_id,
        "customerId": customer,
        "metricKey": "input_tokens",
        "timestamp": "2026-01-05T10:00:00Z",
        "value": value,
    }


def _jsonl(path: Path, rows: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(rows) + b"\n")
    return path


def test_usage_import(
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asyncio.run(seed_demo(database_url))
    good = [orjson.dumps(_event(f"cli-{n}")) for n in range(2500)]
    bad = [
        b"",  # blank lines are skipped
        orjson.dumps(_event("cli-bad-value", value="abc")),
        b'{"eventId": "x",',
        orjson.dumps(_event("cli-nobody", customer="nobody")),
    ]
    events = _jsonl(tmp_path / "events.jsonl", good[:2] + bad + good[2:])

    code, out, err = _run(capsys, monkeypatch, database_url, "usage", "import", str(events))
    assert (code, out) == (
        1,
        "imported events.jsonl: 2503 events: accepted 2500, duplicates 0, rejected 3\n",
    )
    assert RATE.sub("<rate>", err).splitlines() == [
        "usage import: 1000/2503 events (39%), <rate>",
        "usage import: 2000/2503 events (79%), <rate>",
        "usage import: 2503/2503 events (100%), <rate>",
        "events.jsonl:4: value: Decimal must be plain digits with an optional sign and point "
        "(no exponent, NaN or Infinity), got 'abc' [INVALID_VALUE]",
        "events.jsonl:5: not JSON: unexpected end of data: column 17 [INVALID_VALUE]",
        "events.jsonl:6: customerId: no customer with external ID 'nobody' [UNKNOWN_CUSTOMER]",
    ]

    csv_file = tmp_path / "more.csv"
    csv_file.write_text(
        "eventId,customerId,metricKey,timestamp,value,properties,dimensions\n"
        "cli-0,acme-corp,input_tokens,2026-01-05T10:00:00Z,10,,\n"
        'cli-csv-1,acme-corp,input_tokens,2026-01-05T11:00:00Z,5,"{""source"": ""csv""}",\n'
    )
    code, out, err = _run(capsys, monkeypatch, database_url, "usage", "import", str(csv_file))
    assert (code, out) == (0, "imported more.csv: 2 events: accepted 1, duplicates 1, rejected 0\n")
    assert RATE.sub("<rate>", err) == "usage import: 2/2 events (100%), <rate>\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "customer,value\nacme,1\n",
            "the CSV header must name the columns eventId, customerId, metricKey, timestamp, "
            "value, properties, dimensions (the first four required); unknown: customer; "
            "missing: eventId, customerId, metricKey, timestamp",
        ),
    ],
)
def test_usage_import_of_an_unusable_file_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    content: str,
    message: str,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"
    (tmp_path / "bad.csv").write_text(content)
    bad = str(tmp_path / "bad.csv")
    missing = str(tmp_path / "missing.jsonl")
    assert _run(capsys, monkeypatch, url, "usage", "import", bad) == (
        2,
        "",
        f"pricing-graph usage import: {bad}: {message}\n",
    )
    assert _run(capsys, monkeypatch, url, "usage", "import", missing) == (
        2,
        "",
        f"pricing-graph usage import: {missing}: No such file or directory\n",
    )


def test_usage_import_into_an_unmigrated_database(
    empty_database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events = _jsonl(tmp_path / "events.jsonl", [orjson.dumps(_event("e1"))])
    assert _run(capsys, monkeypatch, empty_database_url, "usage", "import", str(events)) == (
        1,
        "",
        f"pricing-graph usage import: the database {empty_database_url} is not migrated: "
        "run `pricing-graph migrate` first\n",
    )


def test_usage_import_into_a_missing_database(
    pg_user: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.conftest import _pg_url

    url = _pg_url(pg_user, "pricing_graph_no_such_database")
    events = _jsonl(tmp_path / "events.jsonl", [orjson.dumps(_event("e1"))])
    assert _run(capsys, monkeypatch, url, "usage", "import", str(events)) == (
        1,
        "",
        f"pricing-graph usage import: cannot reach the database {url} "
        '(database "pricing_graph_no_such_database" does not exist)\n',
    )


def test_keys_on_an_unmigrated_database(
    empty_database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _run(capsys, monkeypatch, empty_database_url, "keys", "list") == (
        1,
        "",
        f"pricing-graph keys list: the database {empty_database_url} is not migrated: "
        "run `pricing-graph migrate` first\n",
    )


def test_serve_refuses_tracing_without_the_extra(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pricing_graph.api.observe.tracing_available", lambda: False)
    monkeypatch.setenv("PRICING_GRAPH_OTEL", "true")
    assert _run(capsys, monkeypatch, None, "serve") == (
        2,
        "",
        "pricing-graph serve: PRICING_GRAPH_OTEL=true needs the OpenTelemetry packages: "
        "pip install 'pricing-graph[otel]'\n",
    )
