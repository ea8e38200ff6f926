"""`pricing-graph serve | migrate | seed-demo | export-schema`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from pricing_graph.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pricing-graph", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve GraphQL over HTTP (uvicorn)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    commands.add_parser("migrate", help="upgrade the database to the latest migration")
    commands.add_parser("seed-demo", help="load the demo catalog (safe to run twice)")
    export = commands.add_parser("export-schema", help="print or write schema.graphql")
    export.add_argument("--output", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    settings = Settings.from_env()

    if args.command == "serve":
        import uvicorn

        uvicorn.run(
            "pricing_graph.app:create_app",
            factory=True,
            host=args.host or settings.host,
            port=args.port or settings.port,
            workers=args.workers,
            log_level=settings.log_level,
        )
    elif args.command == "migrate":
        from pricing_graph.store.migrate import upgrade

        upgrade(settings.database_url)
        print(f"migrated {settings.database_url}")
    elif args.command == "seed-demo":
        from pricing_graph.demo.seed import seed_demo

        summary = asyncio.run(seed_demo(settings.database_url))
        print(summary)
    elif args.command == "export-schema":
        from pricing_graph.api.schema import schema

        text = schema.as_str() + "\n"
        if args.output:
            args.output.write_text(text)
        else:
            sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
