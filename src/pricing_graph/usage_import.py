"""`pricing-graph usage import FILE`: usage events from a JSONL or CSV file, stored through
`services.usage.ingest_events` as the system actor, in batches.

Each record has the bulk endpoint's event fields (docs/usage.md): `eventId`, `customerId`,
`metricKey`, `timestamp`, `value`, `properties` (a JSON object), `dimensions` (a JSON list of
`{"name", "value"}`). In a CSV file they are the header's columns; `properties` and
`dimensions` hold JSON text, and an empty cell is an absent field. A record that cannot be
read, and an event the service refuses, are reported with the file's line number.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import orjson

from pricing_graph.http.usage import event_from_json
from pricing_graph.services import usage
from pricing_graph.services.actor import SYSTEM
from pricing_graph.services.errors import ErrorCode
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.services.usage import EventProblem, IngestResult, UsageEvent

BATCH_SIZE = 1000
FIELDS = ("eventId", "customerId", "metricKey", "timestamp", "value", "properties", "dimensions")
REQUIRED = ("eventId", "customerId", "metricKey", "timestamp")
JSON_COLUMNS = ("properties", "dimensions")
MAX_REPORTED = 100  # bad rows printed; the rest are counted
_POSITION = re.compile(r"line \d+ column (\d+) \(char \d+\)")


class FileError(ValueError):
    """The file as a whole cannot be imported (unreadable, a CSV header that does not fit)."""


@dataclass(frozen=True, slots=True)
class Record:
    line: int
    raw: Any  # the event as JSON would give it, or the reason it could not be read
    unreadable: str | None = None


def file_format(path: Path, given: str | None) -> str:
    return given or ("csv" if path.suffix.lower() == ".csv" else "jsonl")


def count_records(path: Path, kind: str) -> int:
    """Records in the file (a first, cheap pass, for the progress line)."""
    if kind == "csv":
        with _open_text(path) as text:
            rows = csv.reader(text)
            _check_header(next(rows, []))
            return sum(1 for row in rows if row)
    with path.open("rb") as raw:
        return sum(1 for line in raw if line.strip())


def read_records(path: Path, kind: str) -> Iterator[Record]:
    return _csv_records(path) if kind == "csv" else _jsonl_records(path)


def _open_text(path: Path) -> TextIO:
    return path.open(encoding="utf-8-sig", newline="")


def _jsonl_records(path: Path) -> Iterator[Record]:
    with path.open("rb") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield Record(number, orjson.loads(line.strip()))
            except orjson.JSONDecodeError as bad:  # "... line 1 column 17 (char 16)"
                where = _POSITION.sub(r"column \1", str(bad))
                yield Record(number, None, f"not JSON: {where}")


def _csv_records(path: Path) -> Iterator[Record]:
    with _open_text(path) as text:
        reader = csv.DictReader(text)
        _check_header(reader.fieldnames or [])
        for row in reader:
            yield _csv_record(reader.line_num, row)


def _check_header(header: Sequence[str]) -> None:
    unknown = [name for name in header if name not in FIELDS]
    missing = [name for name in REQUIRED if name not in header]
    if unknown or missing:
        raise FileError(
            "the CSV header must name the columns "
            + ", ".join(FIELDS)
            + " (the first four required)"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            + (f"; missing: {', '.join(missing)}" if missing else "")
        )


def _csv_record(line: int, row: dict[str | Any, Any]) -> Record:
    if None in row:
        return Record(line, None, "more cells than the header has columns")
    raw: dict[str, Any] = {}
    for name, cell in row.items():
        if cell is None or cell == "":
            continue
        if name in JSON_COLUMNS:
            try:
                raw[name] = orjson.loads(cell)
            except orjson.JSONDecodeError:
                return Record(line, None, f"{name}: not JSON text: {cell[:40]!r}")
        else:
            raw[name] = cell
    return Record(line, raw)


def to_item(index: int, record: Record) -> UsageEvent | EventProblem:
    """The record as the service takes it: an event, or the problem that stops it."""
    if record.unreadable is None:
        try:
            return event_from_json(record.raw)
        except ValueError as bad:  # the field of the wrong type
            name = getattr(bad, "field", "")
            message = str(bad)
    else:
        name, message = "", record.unreadable
    return EventProblem(
        index=index,
        field=f"events.{index}" + (f".{name}" if name else ""),
        code=ErrorCode.INVALID_VALUE,
        message=message,
    )


@dataclass
class Totals:
    events: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    unbilled: int = 0
    bad_rows: list[str] = field(default_factory=list)

    def add(self, result: IngestResult, lines: Sequence[int], name: str) -> None:
        self.events += len(lines)
        self.accepted += result.accepted
        self.duplicates += result.duplicates
        self.rejected += result.rejected
        self.unbilled += result.unbilled
        for problem in result.problems:
            self.bad_rows.append(_describe(problem, lines, name))


def _describe(problem: EventProblem, lines: Sequence[int], name: str) -> str:
    if problem.index is None:  # the batch as a whole
        return f"{name}:{lines[0]}-{lines[-1]}: {problem.message} [{problem.code.value}]"
    prefix = f"events.{problem.index}"
    field_name = (problem.field or "").removeprefix(prefix).removeprefix(".")
    where = f"{field_name}: " if field_name else ""
    return f"{name}:{lines[problem.index]}: {where}{problem.message} [{problem.code.value}]"


class Progress:
    """`usage import: 3000/10000 events (30%), 2500 events/s` on stderr: rewritten in place
    on a terminal, one line per batch otherwise."""

    def __init__(self, total: int, out: TextIO) -> None:
        self.total = total
        self.out = out
        self.started = time.perf_counter()
        self.live = out.isatty()

    def update(self, done: int) -> None:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        share = f" ({done * 100 // self.total}%)" if self.total else ""
        line = f"usage import: {done}/{self.total} events{share}, {done / elapsed:.0f} events/s"
        self.out.write(f"\r{line}" if self.live else f"{line}\n")
        self.out.flush()

    def finish(self) -> None:
        if self.live:
            self.out.write("\n")


async def import_file(
    uow: UnitOfWork,
    path: Path,
    kind: str,
    *,
    progress: Progress,
    batch_size: int = BATCH_SIZE,
) -> Totals:
    """Read, ingest batch by batch (each batch its own transaction), report."""
    totals = Totals()
    batch: list[Record] = []

    async def flush() -> None:
        items = [to_item(index, record) for index, record in enumerate(batch)]
        result = await usage.ingest_events(uow, SYSTEM, items)
        totals.add(result, [record.line for record in batch], path.name)
        batch.clear()
        progress.update(totals.events)

    for record in read_records(path, kind):
        batch.append(record)
        if len(batch) >= batch_size:
            await flush()
    if batch:
        await flush()
    progress.finish()
    return totals


def summary(path: Path, totals: Totals) -> str:
    unbilled = (
        f"; {totals.unbilled} accepted events have no contract covering them (unbilled)"
        if totals.unbilled
        else ""
    )
    return (
        f"imported {path.name}: {totals.events} events: accepted {totals.accepted}, "
        f"duplicates {totals.duplicates}, rejected {totals.rejected}{unbilled}"
    )
