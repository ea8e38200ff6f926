"""Load the demo price book and demo customers through the GraphQL API, as any client would.

Every metric, product and plan of `pricing_graph.demo.catalog` is sent as a
createMetric / createProduct / createPlan mutation (then publishPlan) to
`pricing_graph.api.schema.schema`, one request context per operation, so the demo passes
the same validation as client input. Seeding is idempotent: each key is looked up first and
only what is missing is created. A plan whose key exists with a DRAFT but no PUBLISHED
version (an earlier run stopped between createPlan and publishPlan) has that draft
published; a plan key with any other history is left alone.

Then the customers of `pricing_graph.demo.customers` (seed 001): each is looked up by
external ID and created when missing; each contract is created unless the customer already
has one on that plan key from that start date, with an idempotency key derived from the
customer (`demo:<externalId>:<planKey>:<startDate>`), so a retry of a half-finished run
creates nothing twice; the usage goes through `ingestUsage`, whose event IDs are fixed, so a
re-run counts every event as a duplicate. A rejected event, or an accepted one no contract
covers (`unbilled`), is a `SeedError`.

Any GraphQL error or payload `errors` entry stops the seed with a `SeedError` that quotes
them. Writes that already succeeded stay: re-running after fixing the cause completes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pricing_graph.api.context import Context, Database
from pricing_graph.api.schema import schema
from pricing_graph.demo.catalog import METRICS, PLANS, PRODUCTS, DemoPlan
from pricing_graph.demo.customers import CUSTOMERS, DemoCustomer
from pricing_graph.store.engine import make_engine, make_session_factory

FIND_METRIC = "query SeedFindMetric($key: String!) { metric(key: $key) { key } }"
FIND_PRODUCT = "query SeedFindProduct($key: String!) { product(key: $key) { id key } }"
FIND_PLAN = """
query SeedFindPlan($key: String!) {
  plans(key: $key, first: 100) { nodes { id version status } }
}
"""
_PAYLOAD_ERRORS = "errors { field code message }"
CREATE_METRIC = f"""
mutation SeedCreateMetric($input: CreateMetricInput!) {{
  createMetric(input: $input) {{ metric {{ key }} {_PAYLOAD_ERRORS} }}
}}
"""
CREATE_PRODUCT = f"""
mutation SeedCreateProduct($input: CreateProductInput!) {{
  createProduct(input: $input) {{ product {{ id key }} {_PAYLOAD_ERRORS} }}
}}
"""
CREATE_PLAN = f"""
mutation SeedCreatePlan($input: CreatePlanInput!) {{
  createPlan(input: $input) {{ plan {{ id key status }} {_PAYLOAD_ERRORS} }}
}}
"""
PUBLISH_PLAN = f"""
mutation SeedPublishPlan($id: ID!) {{
  publishPlan(input: {{id: $id}}) {{ plan {{ id key status }} {_PAYLOAD_ERRORS} }}
}}
"""
PLAN_ID = "query SeedPlanId($key: String!) { plan(key: $key) { id key version } }"
FIND_CUSTOMER = """
query SeedFindCustomer($externalId: String!) {
  customer(externalId: $externalId) {
    id
    contracts(first: 100) { nodes { startDate planVersions { plan { key } } } }
  }
}
"""
CREATE_CUSTOMER = f"""
mutation SeedCreateCustomer($input: CreateCustomerInput!) {{
  createCustomer(input: $input) {{ customer {{ id externalId }} {_PAYLOAD_ERRORS} }}
}}
"""
CREATE_CONTRACT = f"""
mutation SeedCreateContract($input: CreateContractInput!) {{
  createContract(input: $input) {{ contract {{ id startDate }} {_PAYLOAD_ERRORS} }}
}}
"""
INGEST_USAGE = """
mutation SeedIngestUsage($events: [UsageEventInput!]!) {
  ingestUsage(events: $events) {
    accepted duplicates rejected unbilled errors { index field code message }
  }
}
"""


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
    usage event is present when `ingestUsage` reported it as a duplicate."""

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
    engine = make_engine(database_url)
    try:
        summary = await seed_database(Database(engine, make_session_factory(engine)))
    finally:
        await engine.dispose()
    return str(summary)


async def seed_database(database: Database) -> SeedSummary:
    """Create whatever of the demo catalog `database` lacks; see the module docstring."""
    metrics = Tally()
    for metric in METRICS:
        found = await _run(database, FIND_METRIC, "metric", key=metric["key"])
        if found["metric"] is None:
            await _mutate(database, CREATE_METRIC, "createMetric", input=metric)
        metrics = metrics.count(created=found["metric"] is None)

    products = Tally()
    product_ids: dict[str, str] = {}
    for product in PRODUCTS:
        found = (await _run(database, FIND_PRODUCT, "product", key=product["key"]))["product"]
        products = products.count(created=found is None)
        if found is None:
            found = (await _mutate(database, CREATE_PRODUCT, "createProduct", input=product))[
                "product"
            ]
        product_ids[product["key"]] = found["id"]

    plans = Tally()
    for product_key, demo_plans in PLANS.items():
        for plan in demo_plans:
            plans = plans.count(created=await _seed_plan(database, product_ids[product_key], plan))

    customers, contracts, usage_events = Tally(), Tally(), Tally()
    plan_ids: dict[str, str] = {}
    for customer in CUSTOMERS:
        created, made = await _seed_customer(database, customer, plan_ids)
        customers = customers.count(created=created)
        for contract_created in made:
            contracts = contracts.count(created=contract_created)
        accepted, duplicates = await _ingest(database, customer)
        usage_events = Tally(usage_events.created + accepted, usage_events.present + duplicates)
    return SeedSummary(
        products=products,
        metrics=metrics,
        plans=plans,
        customers=customers,
        contracts=contracts,
        usage_events=usage_events,
    )


async def _seed_plan(database: Database, product_id: str, plan: DemoPlan) -> bool:
    """Create (and publish) `plan` unless its key exists; True when this call did work."""
    found = await _run(database, FIND_PLAN, "plan", key=plan.key)
    versions = found["plans"]["nodes"]
    if versions:
        statuses = {version["status"] for version in versions}
        drafts = [version for version in versions if version["status"] == "DRAFT"]
        if plan.publish and "PUBLISHED" not in statuses and drafts:
            await _mutate(database, PUBLISH_PLAN, "publishPlan", id=drafts[0]["id"])
            return True
        return False
    created = await _mutate(
        database, CREATE_PLAN, "createPlan", input={**plan.input, "productId": product_id}
    )
    if plan.publish:
        await _mutate(database, PUBLISH_PLAN, "publishPlan", id=created["plan"]["id"])
    return True


async def _seed_customer(
    database: Database, customer: DemoCustomer, plan_ids: dict[str, str]
) -> tuple[bool, list[bool]]:
    """Create the customer and its contracts where missing: (customer created, per contract
    whether it was created)."""
    external_id = customer.external_id
    found = (await _run(database, FIND_CUSTOMER, "customer", externalId=external_id))["customer"]
    existing: set[tuple[str, str]] = set()
    customer_created = found is None
    if found is None:
        found = (await _mutate(database, CREATE_CUSTOMER, "createCustomer", input=customer.input))[
            "customer"
        ]
    else:
        for node in found["contracts"]["nodes"]:
            existing.update((v["plan"]["key"], node["startDate"]) for v in node["planVersions"])
    made = []
    for contract in customer.contracts:
        if (contract.plan_key, contract.input["startDate"]) in existing:
            made.append(False)
            continue
        if contract.plan_key not in plan_ids:
            plan = (await _run(database, PLAN_ID, "plan", key=contract.plan_key))["plan"]
            if plan is None:
                raise SeedError(f"no published plan {contract.plan_key!r} for {external_id}")
            plan_ids[contract.plan_key] = plan["id"]
        await _mutate(
            database,
            CREATE_CONTRACT,
            "createContract",
            input={
                **contract.input,
                "customerId": found["id"],
                "planId": plan_ids[contract.plan_key],
                "idempotencyKey": contract.idempotency_key(external_id),
            },
        )
        made.append(True)
    return customer_created, made


async def _ingest(database: Database, customer: DemoCustomer) -> tuple[int, int]:
    """Send the customer's demo usage: (accepted, duplicates)."""
    label = f"usage of {customer.external_id}"
    payload = (await _run(database, INGEST_USAGE, label, events=list(customer.events)))[
        "ingestUsage"
    ]
    if payload["rejected"] or payload["errors"]:
        errors = "; ".join(
            f"{error['code']} at {error['field']}: {error['message']}"
            for error in payload["errors"]
        )
        raise SeedError(f"ingestUsage {label} rejected {payload['rejected']} events: {errors}")
    if payload["unbilled"]:
        raise SeedError(
            f"ingestUsage {label}: {payload['unbilled']} events fall outside every contract"
        )
    accepted: int = payload["accepted"]
    duplicates: int = payload["duplicates"]
    return accepted, duplicates


async def _run(database: Database, query: str, what: str, **variables: Any) -> dict[str, Any]:
    result = await schema.execute(query, variable_values=variables, context_value=Context(database))
    if result.errors:
        messages = "; ".join(error.message for error in result.errors)
        hint = (
            " (the API masks unexpected errors; the pricing_graph.api log has the traceback. "
            "Is the database migrated? `pricing-graph migrate`)"
            if "Unexpected error" in messages
            else ""
        )
        raise SeedError(f"seeding {what} {_label(variables)} failed: {messages}{hint}")
    assert result.data is not None
    return result.data


async def _mutate(database: Database, query: str, field: str, **variables: Any) -> Any:
    payload = (await _run(database, query, field, **variables))[field]
    if payload["errors"]:
        errors = "; ".join(
            f"{error['code']} at {error['field'] or 'input'}: {error['message']}"
            for error in payload["errors"]
        )
        raise SeedError(f"{field} {_label(variables)} returned errors: {errors}")
    return payload


def _label(variables: Mapping[str, Any]) -> str:
    given = variables.get("input")
    if isinstance(given, Mapping) and "key" in given:
        return repr(given["key"])
    return ", ".join(f"{name}={value!r}" for name, value in variables.items())
