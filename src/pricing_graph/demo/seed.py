"""Load the demo price book and demo customers through the services, as the system actor.

Every metric, product and plan of `pricing_graph.demo.catalog` is read into the catalog
service's input (`demo.inputs.from_json`) and created with `services.catalog`
(create_metric / create_product / create_plan, then publish_plan), so the demo passes the
same validation as client input. Seeding is idempotent: each key is looked up first and
only what is missing is created. A plan whose key exists with a DRAFT but no PUBLISHED
version (an earlier run stopped between create_plan and publish_plan) has that draft
published; a plan key with any other history is left alone.

The demo API keys (`services.keys.ensure_demo_keys`: admin, sales, and a partner key for
acme-reseller, with fixed, public secrets) and the demo promotion code LAUNCH20
(`demo.promotions`) are created when missing.

Then the customers of `pricing_graph.demo.customers` (seed 001): each is looked up by
external ID and created when missing; each contract is created unless the customer already
has one on that plan key from that start date, with an idempotency key derived from the
customer (`demo:<externalId>:<planKey>:<startDate>`), so a retry of a half-finished run
creates nothing twice; the usage goes through `services.usage.ingest_events`, whose event
IDs are fixed, so a re-run counts every event as a duplicate. A rejected event, or an
accepted one no contract covers (`unbilled`), is a `SeedError`.

A `DomainError` from any operation stops the seed with a `SeedError` that quotes its
problems, as would an unexpected failure (an unmigrated database). Writes that already
succeeded stay: re-running after fixing the cause completes it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from pricing_graph.demo.catalog import METRICS, PLANS, PRODUCTS, DemoPlan
from pricing_graph.demo.customers import CUSTOMERS, DemoCustomer
from pricing_graph.demo.inputs import from_json
from pricing_graph.demo.promotions import ensure_demo_promotion_codes
from pricing_graph.services import catalog, contracts, customers, keys, usage
from pricing_graph.services.actor import SYSTEM
from pricing_graph.services.errors import DomainError
from pricing_graph.services.ids import global_id
from pricing_graph.services.unit_of_work import Database, UnitOfWork
from pricing_graph.services.usage import UsageEvent
from pricing_graph.settings import Settings
from pricing_graph.store.batch import rows_by_ids
from pricing_graph.store.catalog import PlanRow
from pricing_graph.store.contracts_repo import load_records

ResultT = TypeVar("ResultT")

#: The plan versions and contracts of one key or customer a lookup reads (as many as GraphQL
#: returned on one page before).
PAGE = 100


class SeedError(RuntimeError):
    """A seeding operation failed; the message names it and quotes every error."""


@dataclass(frozen=True, slots=True)
class Tally:
    created: int = 0
    present: int = 0

    @property
    def total(self) -> int:
        return self.created + self.present

    def count(self, *, created: bool) -> Tally:
        if created:
            return Tally(self.created + 1, self.present)
        return Tally(self.created, self.present + 1)


@dataclass(frozen=True, slots=True)
class SeedSummary:
    """What one run did, per kind. A plan counts as created when this run published it; a
    usage event is present when ingestion reported it as a duplicate."""

    products: Tally
    metrics: Tally
    plans: Tally
    customers: Tally = Tally()
    contracts: Tally = Tally()
    usage_events: Tally = Tally()

    def _tallies(self) -> tuple[Tally, ...]:
        return (
            self.products,
            self.metrics,
            self.plans,
            self.customers,
            self.contracts,
            self.usage_events,
        )

    @property
    def created(self) -> int:
        return sum(tally.created for tally in self._tallies())

    @property
    def already_present(self) -> int:
        return sum(tally.present for tally in self._tallies())

    def __str__(self) -> str:
        return (
            f"demo catalog: {self.products.total} products, {self.metrics.total} metrics, "
            f"{self.plans.total} plans; demo customers: {self.customers.total} customers, "
            f"{self.contracts.total} contracts, {self.usage_events.total} usage events "
            f"(created {self.created}, already present {self.already_present})"
        )


async def seed_demo(database_url: str) -> str:
    """Seed the database at `database_url` (migrated already) and return a summary line."""
    database = Database.connect(Settings(database_url=database_url))
    try:
        summary = await seed_database(database)
    finally:
        await database.dispose()
    return str(summary)


def demo_keys_text() -> str:
    """The demo API keys seed-demo creates, one line each (demo only: their secrets are
    public, in the README; revoke them with `pricing-graph keys revoke ID`)."""
    lines = ["demo API keys (demo only; send as Authorization: Bearer <key>):"]
    for demo in keys.DEMO_KEYS:
        owner = f" for {demo.partner}" if demo.partner else ""
        lines.append(f"  {demo.role.value:<8}{owner:<20} {demo.secret}")
    return "\n".join(lines)


async def seed_database(database: Database) -> SeedSummary:
    """Create whatever of the demo catalog `database` lacks; see the module docstring."""
    uow = UnitOfWork(database)
    try:
        summary = await _Seeder(uow).run()
        await keys.ensure_demo_keys(uow)
        await ensure_demo_promotion_codes(uow)
        return summary
    finally:
        await uow.close()


class _Seeder:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.plan_ids: dict[str, str] = {}  # plan key -> global ID of its published version

    async def run(self) -> SeedSummary:
        metrics = Tally()
        for metric in METRICS:
            label = _label(metric)
            found = await _read(
                "metric", label, catalog.metric_by_key(self.uow, SYSTEM, metric["key"])
            )
            if found is None:
                await _write(
                    "createMetric",
                    label,
                    catalog.create_metric(self.uow, SYSTEM, from_json(catalog.NewMetric, metric)),
                )
            metrics = metrics.count(created=found is None)

        products = Tally()
        product_ids: dict[str, str] = {}
        for product in PRODUCTS:
            label = _label(product)
            row = await _read(
                "product", label, catalog.product_by_key(self.uow, SYSTEM, product["key"])
            )
            products = products.count(created=row is None)
            if row is None:
                row = await _write(
                    "createProduct",
                    label,
                    catalog.create_product(
                        self.uow, SYSTEM, from_json(catalog.NewProduct, product)
                    ),
                )
            assert row.id is not None
            product_ids[product["key"]] = global_id("Product", row.id)

        plans = Tally()
        for product_key, demo_plans in PLANS.items():
            for plan in demo_plans:
                created = await self.plan(product_ids[product_key], plan)
                plans = plans.count(created=created)

        customer_tally, contract_tally, usage_events = Tally(), Tally(), Tally()
        for customer in CUSTOMERS:
            created, made = await self.customer(customer)
            customer_tally = customer_tally.count(created=created)
            for contract_created in made:
                contract_tally = contract_tally.count(created=contract_created)
            accepted, duplicates = await self.ingest(customer)
            usage_events = Tally(usage_events.created + accepted, usage_events.present + duplicates)
        return SeedSummary(
            products=products,
            metrics=metrics,
            plans=plans,
            customers=customer_tally,
            contracts=contract_tally,
            usage_events=usage_events,
        )

    async def plan(self, product_id: str, plan: DemoPlan) -> bool:
        """Create (and publish) `plan` unless its key exists; True when this call did work."""
        versions, _ = await _read(
            "plan",
            repr(plan.key),
            catalog.plans_page(self.uow, SYSTEM, 0, PAGE, catalog.PlanFilter(key=plan.key)),
        )
        if versions:
            statuses = {version.status for version in versions}
            drafts = [version for version in versions if version.status == "DRAFT"]
            if plan.publish and "PUBLISHED" not in statuses and drafts:
                assert drafts[0].id is not None
                await self.publish(global_id("Plan", drafts[0].id))
                return True
            return False
        given = {**plan.input, "productId": product_id}
        row = await _write(
            "createPlan",
            repr(plan.key),
            catalog.create_plan(self.uow, SYSTEM, from_json(catalog.NewPlan, given)),
        )
        if plan.publish:
            assert row.id is not None
            await self.publish(global_id("Plan", row.id))
        return True

    async def publish(self, plan_id: str) -> None:
        await _write(
            "publishPlan",
            f"id={plan_id!r}",
            catalog.publish_plan(self.uow, SYSTEM, catalog.ById(id=plan_id)),
        )

    async def customer(self, customer: DemoCustomer) -> tuple[bool, list[bool]]:
        """Create the customer and its contracts where missing: (customer created, per
        contract whether it was created)."""
        external_id = customer.external_id
        found = await _read(
            "customer",
            repr(external_id),
            customers.customer_by_external_id(self.uow, SYSTEM, external_id),
        )
        existing: set[tuple[str, date]] = set()
        if found is None:
            customer_id = await _write(
                "createCustomer",
                _label(customer.input),
                customers.create_customer(
                    self.uow, SYSTEM, from_json(customers.NewCustomer, customer.input)
                ),
            )
        else:
            assert found.id is not None
            customer_id = found.id
            existing = await self.contracts_of(customer_id)
        made = []
        for contract in customer.contracts:
            if (contract.plan_key, date.fromisoformat(contract.input["startDate"])) in existing:
                made.append(False)
                continue
            given = {
                **contract.input,
                "customerId": global_id("Customer", customer_id),
                "planId": await self.published_plan_id(contract.plan_key, external_id),
                "idempotencyKey": contract.idempotency_key(external_id),
            }
            await _write(
                "createContract",
                _label(given),
                contracts.create_contract(
                    self.uow, SYSTEM, from_json(contracts.NewContract, given)
                ),
            )
            made.append(True)
        return found is None, made

    async def contracts_of(self, customer_id: int) -> set[tuple[str, date]]:
        """(plan key, start date) of every plan version of the customer's contracts."""
        rows, _ = await contracts.contracts_page(self.uow, SYSTEM, 0, PAGE, customer_id=customer_id)
        records = await load_records(self.uow.read, [row.id for row in rows if row.id])
        plan_ids = sorted({version.plan_id for record in records for version in record.plans})
        keys = {
            plan.id: plan.key
            for plan in await rows_by_ids(self.uow.read, PlanRow, plan_ids)
            if plan is not None
        }
        return {
            (keys[version.plan_id], record.contract.start_date)
            for record in records
            for version in record.plans
        }

    async def published_plan_id(self, plan_key: str, external_id: str) -> str:
        if plan_key not in self.plan_ids:
            plan = await _read(
                "plan", repr(plan_key), catalog.plan_by_key(self.uow, SYSTEM, plan_key)
            )
            if plan is None or plan.id is None:
                raise SeedError(f"no published plan {plan_key!r} for {external_id}")
            self.plan_ids[plan_key] = global_id("Plan", plan.id)
        return self.plan_ids[plan_key]

    async def ingest(self, customer: DemoCustomer) -> tuple[int, int]:
        """Store the customer's demo usage: (accepted, duplicates)."""
        label = f"usage of {customer.external_id}"
        events = [from_json(UsageEvent, event) for event in customer.events]
        result = await _read(label, "", usage.ingest_events(self.uow, SYSTEM, events))
        if result.rejected or result.problems:
            errors = "; ".join(f"{p.code.value} at {p.field}: {p.message}" for p in result.problems)
            raise SeedError(f"ingestUsage {label} rejected {result.rejected} events: {errors}")
        if result.unbilled:
            raise SeedError(
                f"ingestUsage {label}: {result.unbilled} events fall outside every contract"
            )
        return result.accepted, result.duplicates


async def _read(what: str, label: str, lookup: Awaitable[ResultT]) -> ResultT:
    """A lookup (or ingestion); an unexpected failure becomes a SeedError."""
    try:
        return await lookup
    except Exception as failed:
        raise _failed(what, label, failed) from failed


async def _write(operation: str, label: str, write: Awaitable[ResultT]) -> ResultT:
    """A write; its DomainError becomes a SeedError quoting every problem."""
    try:
        return await write
    except DomainError as refused:
        errors = "; ".join(
            f"{p.code.value} at {p.field or 'input'}: {p.message}" for p in refused.problems
        )
        raise SeedError(f"{operation} {label} returned errors: {errors}") from None
    except Exception as failed:
        raise _failed(operation, label, failed) from failed


def _failed(what: str, label: str, failed: Exception) -> SeedError:
    """An unexpected failure, named by its first line (the traceback stays on the cause)."""
    first_line = next(iter(str(failed).splitlines()), "")
    return SeedError(
        f"seeding {' '.join(filter(None, (what, label)))} failed: "
        f"{type(failed).__name__}: {first_line} "
        "(is the database migrated? `pricing-graph migrate`)"
    )


def _label(given: Mapping[str, Any]) -> str:
    """An input by its key, or whole (as the GraphQL seeder named its variables)."""
    return repr(given["key"]) if "key" in given else f"input={dict(given)!r}"
