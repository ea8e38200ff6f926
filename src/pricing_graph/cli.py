"""The `pricing-graph` command: serve, migrate, seed-demo, export-schema, keys, usage import.

Settings come from PRICING_GRAPH_* environment variables (src/pricing_graph/settings.py,
README); each subcommand's --help names the ones it reads, with their defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pricing_graph import __version__
from pricing_graph.settings import DEFAULT_DATABASE_URL, Settings, SettingsError, mask_secrets

if TYPE_CHECKING:
    from pricing_graph.services.keys import ApiKeyInfo
    from pricing_graph.services.unit_of_work import Database, UnitOfWork

T = TypeVar("T")

DATABASE_ENV = f"PRICING_GRAPH_DATABASE_URL ({DEFAULT_DATABASE_URL})"
SERVE_ENV = f"""environment (default):
  {DATABASE_ENV}
  PRICING_GRAPH_HOST, PRICING_GRAPH_PORT (127.0.0.1, 8000): overridden by --host, --port
  PRICING_GRAPH_ENV (development): production turns GraphiQL and introspection off
  PRICING_GRAPH_LOG_LEVEL (info), PRICING_GRAPH_LOG_FORMAT (json: one object a line; text)
  PRICING_GRAPH_METRICS_PUBLIC (false: /metrics needs an admin key)
  PRICING_GRAPH_OTEL (false: OpenTelemetry tracing, needs pricing-graph[otel])
  PRICING_GRAPH_CORS_ORIGINS (none), PRICING_GRAPH_API_KEYS (none)
  request limits: docs/security.md; operating it: docs/operations.md"""
DATABASE_EPILOG = f"environment (default):\n  {DATABASE_ENV}"
USAGE_EPILOG = f"""Each record has the bulk endpoint's event fields: eventId, customerId, metricKey,
timestamp, value, properties (a JSON object), dimensions (a JSON list of {{"name",
"value"}}). In CSV they are the header's columns; properties and dimensions hold JSON text;
an empty cell is an absent field. Events are stored as the system actor, in batches of
1,000 (one transaction each); replaying a file stores nothing twice (duplicates).

Progress goes to stderr, with every refused record as FILE:LINE: field: why [CODE]; the
summary to stdout. Exit status: 0 every record stored (or a duplicate), 1 some refused or
the database unusable, 2 a file that cannot be read.

environment (default):
  {DATABASE_ENV}
  PRICING_GRAPH_USAGE_MAX_FUTURE_SECONDS (3600): events further ahead are refused"""


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="pricing-graph",
        description="A GraphQL pricing-configuration service: price book, contracts and "
        "exact rating.",
        epilog="settings come from PRICING_GRAPH_* environment variables (README);\n"
        f"database: PRICING_GRAPH_DATABASE_URL, default {DEFAULT_DATABASE_URL}",
        formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="serve GraphQL over HTTP (uvicorn)",
        description="Serve GraphQL (and GraphiQL) at /graphql, the bulk usage endpoint, "
        "/healthz, /readyz and /metrics. Prints where GraphiQL is on start.",
        epilog=SERVE_ENV,
        formatter_class=raw,
    )
    serve.add_argument(
        "--host", help="address to listen on (default: $PRICING_GRAPH_HOST, else 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=_port, help="port to listen on (default: $PRICING_GRAPH_PORT, else 8000)"
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="processes sharing the listening socket (default: 1); every accepted "
        "connection gets TCP_NODELAY, whichever process accepts it",
    )

    migrate = commands.add_parser(
        "migrate",
        help="upgrade the database to the latest migration (or --show, --down)",
        description="Apply the Alembic migrations up to the head revision.",
        epilog=DATABASE_EPILOG,
        formatter_class=raw,
    )
    direction = migrate.add_mutually_exclusive_group()
    direction.add_argument(
        "--show",
        action="store_true",
        help="print the database's revision and the code's head; change nothing",
    )
    direction.add_argument(
        "--down", action="store_true", help="go down one revision (undo the latest migration)"
    )

    commands.add_parser(
        "seed-demo",
        help="load the demo catalog, customers, usage and API keys (safe to run twice)",
        description="Load the demo data built in code (src/pricing_graph/demo/): 4 products, "
        "customers with contracts and usage, and three demo API keys whose secrets are "
        "public (README): demo only. Running it again adds nothing.",
        epilog=DATABASE_EPILOG,
        formatter_class=raw,
    )
    export = commands.add_parser(
        "export-schema",
        help="print or write the GraphQL schema (SDL)",
        description="The schema as SDL, as committed in schema.graphql.",
    )
    export.add_argument("--output", type=Path, help="file to write (default: stdout)")
    export.add_argument(
        "--possible-types",
        type=Path,
        metavar="FILE",
        help="also write Apollo Client's possibleTypes map (interfaces and unions -> their "
        "object types) as JSON, e.g. frontend-contract/possibleTypes.json",
    )
    _add_keys_parser(commands, raw)
    _add_usage_parser(commands, raw)
    return parser


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a whole number from 1 to 65535, not {text!r}")
    return int(text)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1, not {text!r}")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as bad:
        print(f"pricing-graph: {bad}", file=sys.stderr)
        return 2

    if args.command == "serve":
        return _serve(args, settings)
    if args.command == "migrate":
        return _migrate(args, settings)
    if args.command == "seed-demo":
        from pricing_graph.demo.seed import demo_keys_text, seed_database

        seeded = _with_database(settings, "pricing-graph seed-demo", seed_database)
        if isinstance(seeded, int):
            return seeded
        print(seeded)
        print(demo_keys_text())
    elif args.command == "export-schema":
        from pricing_graph.api.schema import schema
        from pricing_graph.api.sdl import possible_types_json, sdl

        text = sdl(schema)
        if args.output:
            args.output.write_text(text)
        else:
            sys.stdout.write(text)
        if args.possible_types:
            args.possible_types.write_text(possible_types_json(schema))
    elif args.command == "keys":
        return _keys(args, settings)
    elif args.command == "usage":
        return _usage_import(args, settings)
    return 0


# --------------------------------------------------------------------------- serve


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from pricing_graph.api.observe import OTEL_MISSING, tracing_available
    from pricing_graph.app import create_app
    from pricing_graph.http.nodelay import NoDelayHTTPProtocol
    from pricing_graph.http.ops import logging_config

    if settings.otel and not tracing_available():
        print(f"pricing-graph serve: {OTEL_MISSING}", file=sys.stderr)
        return 2
    host = args.host or settings.host
    port = args.port or settings.port
    for line in serve_banner(create_app(settings), settings, host, port, args.workers):
        print(line)
    sys.stdout.flush()
    uvicorn.run(
        "pricing_graph.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        http=NoDelayHTTPProtocol,  # TCP_NODELAY with any number of workers (http/nodelay.py)
        log_level=settings.log_level,
        log_config=logging_config(settings),
        access_log=False,  # the request log (http/ops.py) says more, in the chosen format
    )
    return 0


def serve_banner(app: object, settings: Settings, host: str, port: int, workers: int) -> list[str]:
    """What `serve` prints before it starts: where GraphiQL, the pricing table (when the
    app has that route), the probes and the metrics are."""
    base = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    paths = {getattr(route, "path", ""): route for route in getattr(app, "routes", ())}
    graphql = getattr(paths.get("/graphql"), "endpoint", None)
    process = "1 worker" if workers == 1 else f"{workers} workers"
    lines = [
        f"pricing-graph {__version__} on {base} ({process}, {settings.env}, "
        f"database {settings.masked_database_url})"
    ]
    if getattr(graphql, "graphql_ide", None):
        lines.append(f"  GraphiQL:      {base}/graphql")
    else:
        lines.append(f"  GraphQL:       {base}/graphql (no GraphiQL page in production)")
    for path in sorted(p for p in paths if p.startswith("/pricing/")):
        shown = _PATH_PARAMETER.sub(r"<\1>", path)
        lines.append(f"  pricing table: {base}{shown}")
    lines.append(f"  probes:        {base}/healthz (alive), {base}/readyz (ready)")
    access = "anyone: PRICING_GRAPH_METRICS_PUBLIC" if settings.metrics_public else "admin keys"
    lines.append(f"  metrics:       {base}/metrics ({access})")
    return lines


# --------------------------------------------------------------------------- the database


# /pricing/{product_key} is shown as /pricing/<product_key>
_PATH_PARAMETER = re.compile(r"{(\w+)(:\w+)?}")


class DatabaseTrouble(Exception):
    """The database cannot be used: not reachable, or not migrated to the code's head."""


def _reason(error: BaseException) -> str:
    """The first line of what went wrong, passwords masked."""
    text = str(getattr(error, "orig", None) or error).strip() or type(error).__name__
    return mask_secrets(text.splitlines()[0])


async def check_database(database: Database) -> None:
    """One query: DatabaseTrouble unless the database answers and is at the head revision."""
    from sqlalchemy.exc import SQLAlchemyError

    from pricing_graph.store.migrate import current_revision, head_revision

    url = database.settings.masked_database_url
    try:
        current = await current_revision(database.engine)
    except (SQLAlchemyError, OSError) as failed:
        raise DatabaseTrouble(f"cannot reach the database {url} ({_reason(failed)})") from None
    head = head_revision()
    if current is None:
        raise DatabaseTrouble(
            f"the database {url} is not migrated: run `pricing-graph migrate` first"
        )
    if current != head:
        raise DatabaseTrouble(
            f"the database {url} is at migration {current}, this version needs {head}: "
            "run `pricing-graph migrate` first"
        )


def _with_database(
    settings: Settings, command: str, work: Callable[[Database], Awaitable[T]]
) -> T | int:
    """Run `work` on a checked database; trouble is one line on stderr and exit status 1."""
    from sqlalchemy.exc import SQLAlchemyError

    from pricing_graph.services.unit_of_work import Database

    async def run() -> T:
        database = Database.connect(settings)
        try:
            await check_database(database)
            return await work(database)
        finally:
            await database.dispose()

    from pricing_graph.store.clickhouse.client import ClickHouseError

    try:
        return asyncio.run(run())
    except DatabaseTrouble as trouble:
        print(f"{command}: {trouble}", file=sys.stderr)
    except (SQLAlchemyError, OSError) as failed:
        print(f"{command}: the database refused ({_reason(failed)})", file=sys.stderr)
    except ClickHouseError as failed:  # PRICING_GRAPH_USAGE_URL
        print(f"{command}: the usage store refused ({failed})", file=sys.stderr)
    return 1


# --------------------------------------------------------------------------- migrate


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from pricing_graph.store import migrate

    command = "pricing-graph migrate" + (" --show" if args.show else " --down" if args.down else "")
    url = settings.masked_database_url
    try:
        before = _current_revision(settings)
        head = migrate.head_revision()
        if args.show:
            print(f"database: {url}")
            print(f"current:  {before or 'none (not migrated)'}")
            print(f"head:     {head}")
            print(f"state:    {_state(before, head)}")
            return 0
        if args.down:
            if before is None:
                print(f"{command}: {url} has no migration to undo", file=sys.stderr)
                return 1
            migrate.downgrade(settings.database_url)
            print(f"downgraded {url}: {before} -> {_current_revision(settings) or 'none'}")
            return 0
        migrate.upgrade(settings.database_url)
        if before == head:
            print(f"migrated {url}: already at the head, {head}")
        else:
            print(f"migrated {url}: {before or 'none'} -> {head} (head)")
        return _prepare_usage_store(command, settings)
    except (SQLAlchemyError, OSError, CommandError) as failed:
        print(f"{command}: cannot migrate {url} ({_reason(failed)})", file=sys.stderr)
        return 1


def _prepare_usage_store(command: str, settings: Settings) -> int:
    """PRICING_GRAPH_USAGE_URL=clickhouse://...: its tables and views (idempotent)."""
    if not settings.usage_url:
        return 0
    from pricing_graph.store.clickhouse.client import ClickHouseError
    from pricing_graph.store.usage_store import connect_usage_store

    async def prepare() -> None:
        store = connect_usage_store(settings.usage_url)
        try:
            await store.prepare()
        finally:
            await store.close()

    url = settings.masked_usage_url
    try:
        asyncio.run(prepare())
    except ClickHouseError as failed:
        print(f"{command}: cannot prepare the usage store {url} ({failed})", file=sys.stderr)
        return 1
    print(f"usage store {url}: tables and views ready")
    return 0


def _current_revision(settings: Settings) -> str | None:
    from pricing_graph.store.engine import make_engine
    from pricing_graph.store.migrate import current_revision

    async def read() -> str | None:
        engine = make_engine(settings.database_url)
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _state(current: str | None, head: str) -> str:
    if current == head:
        return "up to date"
    if current is None:
        return "not migrated: run `pricing-graph migrate`"
    return f"not at the head: run `pricing-graph migrate` ({current} -> {head})"


# --------------------------------------------------------------------------- usage import


def _add_usage_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    raw: type[argparse.HelpFormatter],
) -> None:
    usage = commands.add_parser("usage", help="usage events: import a file")
    actions = usage.add_subparsers(dest="usage_command", required=True, metavar="ACTION")
    load = actions.add_parser(
        "import",
        help="store the usage events of a JSONL or CSV file",
        description="Store the usage events of FILE through the same validation as "
        "ingestUsage and POST /v1/usage/events.",
        epilog=USAGE_EPILOG,
        formatter_class=raw,
    )
    load.add_argument("file", type=Path, metavar="FILE", help="a .jsonl or .csv file")
    load.add_argument(
        "--format",
        choices=["jsonl", "csv"],
        help="the file's format (default: csv for a .csv file, else jsonl)",
    )


def _usage_import(args: argparse.Namespace, settings: Settings) -> int:
    from pricing_graph import usage_import
    from pricing_graph.services.unit_of_work import UnitOfWork

    command = "pricing-graph usage import"
    path: Path = args.file
    kind = usage_import.file_format(path, args.format)
    try:
        total = usage_import.count_records(path, kind)
    except OSError as bad:
        print(f"{command}: {path}: {bad.strerror or _reason(bad)}", file=sys.stderr)
        return 2
    except (usage_import.FileError, UnicodeDecodeError, csv_error()) as bad:
        print(f"{command}: {path}: {_reason(bad)}", file=sys.stderr)
        return 2

    async def work(database: Database) -> usage_import.Totals:
        uow = UnitOfWork(database)
        try:
            progress = usage_import.Progress(total, sys.stderr)
            return await usage_import.import_file(uow, path, kind, progress=progress)
        finally:
            await uow.close()

    try:
        totals = _with_database(settings, command, work)
    except (usage_import.FileError, UnicodeDecodeError, csv_error()) as bad:
        print(f"{command}: {path}: {_reason(bad)}", file=sys.stderr)
        return 2
    if isinstance(totals, int):
        return totals
    for line in totals.bad_rows[: usage_import.MAX_REPORTED]:
        print(line, file=sys.stderr)
    if len(totals.bad_rows) > usage_import.MAX_REPORTED:
        more = len(totals.bad_rows) - usage_import.MAX_REPORTED
        print(f"... and {more} more refused records", file=sys.stderr)
    print(usage_import.summary(path, totals))
    return 1 if totals.rejected else 0


def csv_error() -> type[Exception]:
    import csv

    return csv.Error


# --------------------------------------------------------------------------- keys


def _add_keys_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    raw: type[argparse.HelpFormatter],
) -> None:
    keys = commands.add_parser(
        "keys",
        help="create, list and revoke API keys",
        description="API keys: callers send one as `Authorization: Bearer <key>`; only a "
        "hash of each secret is stored (docs/security.md).",
        epilog=DATABASE_EPILOG,
        formatter_class=raw,
    )
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create",
        help="create a key; its secret is printed once, alone on the last line",
        epilog=DATABASE_EPILOG,
        formatter_class=raw,
    )
    create.add_argument(
        "--role", required=True, choices=["admin", "sales", "partner"], help="what it may do"
    )
    create.add_argument(
        "--partner", help="the partner a partner key acts for (required for --role partner)"
    )
    create.add_argument("--name", help="a label for the key: who or what uses it (default: none)")
    actions.add_parser(
        "list",
        help="list the keys (never their secrets)",
        epilog=DATABASE_EPILOG,
        formatter_class=raw,
    )
    revoke = actions.add_parser(
        "revoke",
        help="revoke a key: its next request gets 401",
        epilog=DATABASE_EPILOG,
        formatter_class=raw,
    )
    revoke.add_argument("id", type=int, help="the key's ID (see `keys list`)")


_OPTIONS = {"input.role": "--role", "input.partner": "--partner", "input.name": "--name"}


def _keys(args: argparse.Namespace, settings: Settings) -> int:
    """Run a `keys` command through the services; refusals are one line each on stderr."""
    from sqlalchemy.exc import SQLAlchemyError

    from pricing_graph.services.errors import DomainError
    from pricing_graph.services.unit_of_work import Database, UnitOfWork

    async def run() -> list[str]:
        database = Database.connect(settings)
        uow = UnitOfWork(database)
        try:
            await check_database(database)
            return await _key_command(uow, args)
        finally:
            await uow.close()
            await database.dispose()

    command = f"pricing-graph keys {args.keys_command}"
    try:
        lines = asyncio.run(run())
    except DomainError as refused:
        for found in refused.problems:
            option = _OPTIONS.get(found.field or "")
            print(f"{command}: {option + ': ' if option else ''}{found.message}", file=sys.stderr)
        return 2
    except DatabaseTrouble as trouble:
        print(f"{command}: {trouble}", file=sys.stderr)
        return 1
    except (SQLAlchemyError, OSError) as failed:
        print(f"{command}: the database refused ({_reason(failed)})", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


async def _key_command(uow: UnitOfWork, args: argparse.Namespace) -> list[str]:
    from pricing_graph.services import keys

    if args.keys_command == "create":
        info, secret = await keys.create_key(uow, args.role, partner=args.partner, name=args.name)
        return [f"created {_describe(info)}; its secret, shown only this once:", secret]
    if args.keys_command == "revoke":
        info = await keys.revoke_key(uow, args.id)
        assert info.revoked_at is not None
        return [f"revoked {_describe(info)} at {_when(info.revoked_at)}"]
    return _key_table(await keys.list_keys(uow))


def _describe(info: ApiKeyInfo) -> str:
    partner = f", partner {info.partner}" if info.partner else ""
    return f"key {info.id} (prefix {info.prefix}, role {info.role.value}{partner})"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def _key_table(found: list[ApiKeyInfo]) -> list[str]:
    if not found:
        return ["no API keys (create one: pricing-graph keys create --role ...)"]
    rows = [("ID", "PREFIX", "ROLE", "PARTNER", "NAME", "CREATED", "REVOKED")]
    rows += [
        (
            str(info.id),
            info.prefix,
            info.role.value,
            info.partner or "-",
            info.name or "-",
            _when(info.created_at),
            _when(info.revoked_at) if info.revoked_at else "-",
        )
        for info in found
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


if __name__ == "__main__":
    raise SystemExit(main())
