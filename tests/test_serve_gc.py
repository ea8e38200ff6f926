"""`serve`'s application freezes what exists once it has started out of the garbage
collector's sight (app.serve_app); an app made any other way (the tests') does not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import asyncio, gc, sys
from pricing_graph import app as module

async def frozen(make):
    application = make()
    async with application.router.lifespan_context(application):
        return gc.get_freeze_count()

before = asyncio.run(frozen(module.create_app))
after = asyncio.run(frozen(module.serve_app))
print(before, after > 100_000)
"""


def test_only_the_served_app_freezes_its_startup_objects(tmp_path: Path) -> None:
    env = {**os.environ, "PRICING_GRAPH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/db"}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["0", "True"]
