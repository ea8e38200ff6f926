"""Customer and contract loaders."""

from __future__ import annotations

from collections.abc import Sequence

from pricing_graph.api.loaders.base import Loader, Reader, RowByIdLoader, RowsByParentLoader
from pricing_graph.store.contracts import AmendmentRow, ContractRow, CustomerRow
from pricing_graph.store.contracts_repo import ContractRecord, load_records


class CustomerByIdLoader(RowByIdLoader[CustomerRow]):
    model = CustomerRow


class ContractsByCustomerIdLoader(RowsByParentLoader[ContractRow]):
    model = ContractRow
    parent = "customer_id"
    order_by = ("start_date", "id")


class AmendmentsByContractIdLoader(RowsByParentLoader[AmendmentRow]):
    model = AmendmentRow
    parent = "contract_id"
    order_by = ("revision",)


class ContractRecordByIdLoader(Loader[int, ContractRecord | None]):
    """A contract with all its terms (six statements per batch)."""

    def __init__(self, read: Reader) -> None:
        super().__init__(load_fn=self._load)
        self._read = read

    async def _load(self, ids: Sequence[int]) -> list[ContractRecord | None]:
        records = {r.contract.id: r for r in await load_records(self._read, ids)}
        return [records.get(i) for i in ids]
