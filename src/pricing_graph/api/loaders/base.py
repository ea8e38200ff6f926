"""Two loader shapes: a row by its id, and the ordered children of a parent id."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlmodel import col, select
from strawberry.dataloader import DataLoader

RowT = TypeVar("RowT")
Reader = Callable[[Any], Awaitable[Sequence[Any]]]


class RowByIdLoader(DataLoader[int, RowT | None], Generic[RowT]):
    model: ClassVar[type[Any]]

    def __init__(self, read: Reader) -> None:
        super().__init__(load_fn=self._load)
        self._read = read

    async def _load(self, ids: Sequence[int]) -> list[RowT | None]:
        rows = await self._read(select(self.model).where(col(self.model.id).in_(ids)))
        by_id = {row.id: row for row in rows}
        return [by_id.get(i) for i in ids]


class RowsByParentLoader(DataLoader[int, list[RowT]], Generic[RowT]):
    model: ClassVar[type[Any]]
    parent: ClassVar[str]
    order_by: ClassVar[tuple[str, ...]] = ("position", "id")

    def __init__(self, read: Reader) -> None:
        super().__init__(load_fn=self._load)
        self._read = read

    async def _load(self, parent_ids: Sequence[int]) -> list[list[RowT]]:
        parent = getattr(self.model, self.parent)
        order = [getattr(self.model, name) for name in self.order_by]
        rows = await self._read(
            select(self.model).where(col(parent).in_(parent_ids)).order_by(*order)
        )
        grouped: defaultdict[int, list[RowT]] = defaultdict(list)
        for row in rows:
            grouped[getattr(row, self.parent)].append(row)
        return [grouped[i] for i in parent_ids]
