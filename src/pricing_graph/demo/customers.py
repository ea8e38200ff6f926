"""Demo customers, their contracts and their usage, in the exact shape of the GraphQL inputs.

Every dict is a `createCustomer`, `createContract` (without `customerId`, `planId` and
`idempotencyKey`, which the seed fills in) or `UsageEventInput`; `pricing_graph.demo.seed`
reads them into the services' inputs and creates them after the catalog. All dates are
fixed, in 2026, so every invoice of the demo is the same whenever it is read.

Seed 001 ("Enterprise billing patterns", `/shared/seeds/001_*.txt`):

- Pattern 1, one rate card, three customers: Startup Inc, Acme Corp and Mega Enterprise on
  the `pro-plan` (product `ai-api`: gpt-4 $0.03, gpt-3.5 $0.002 per model unit), monthly
  from 2026-01-01, open-ended. Startup pays list; Acme has an OVERRIDE gpt-4 = $0.02 and
  Mega gpt-4 = $0.015 and gpt-3.5 = $0.001, each limited to its model by a dimension
  `match`. Each uses 1,000,000 gpt-4 and 5,000,000 gpt-3.5 units in January 2026, so the
  January invoices are the seed's $40,000.00, $30,000.00 and $20,000.00, and 500,000 gpt-4 +
  2,000,000 gpt-3.5 units in February ($19,000.00, $14,000.00, $9,500.00). Nothing after:
  the period covering today has no usage, which `estimateCost` examples rely on.
- "Example: Full Enterprise Setup", Acme's second contract: 50% off (a PERCENT -50
  adjustment on each usage price), a $100,000 annual PREPAID commitment that grants
  $125,000.00 of credits ("20% discount", pricing-semantics' worked example), QUARTERLY
  billing and net 45, for one year (2026-01-01 to 2027-01-01, exclusive).

  **Why `llm-platform` / `llm-enterprise` and not a second `pro-plan` contract:** a
  customer may hold one contract per product at a time (OVERLAPPING_CONTRACT), and Acme's
  rate-card contract already covers `ai-api` for 2026. Seed 001 says to "create a new plan"
  when the enterprise package differs in structure (a platform fee, other meters, premium
  support), which is what the Enterprise plan of the Neural Language Engine is: token
  meters, fine-tuning, a $2,000.00 platform fee billed in advance each billing period (so
  $2,000.00 a quarter on this contract; the 50% applies to the usage rates only), no rate
  limits. Usage meters are per product, so Acme's model units never reach this contract and
  its tokens never reach the rate-card one.

  Acme's token usage (a quarter's charges after the discount: input $0.0004 and output
  $0.0012 per 1K tokens, fine-tuning $1.50 an hour, plus the $2,000.00 fee):
  Q1 20B input + 5B output tokens + 2,000 hours = $8,000 + $6,000 + $3,000 + $2,000 =
  $19,000.00; Q2 and Q3 twice the usage, $36,000.00 each; Q4 (October only) as Q1,
  $19,000.00. Credits pay all of it ($110,000.00), so the invoices total $100,000.00 (the
  prepaid commitment, on Q1's invoice), then $0.00, $0.00, $0.00, and the $15,000.00 left
  expires unused on 2027-01-01 (breakage on Q4's invoice).

Issue 12's checkout upgrade: Dev Studio, signed directly on the `llm-developer` plan monthly
from 2026-01-01, uses 10M input + 2M output tokens on 2026-03-05 and 20M + 4M on 2026-03-20
(March on Developer: 29,990 x $0.002 + 6,000 x $0.006 = $95.98, the first 10K input tokens
free). Upgrading it to `llm-enterprise` on 2026-03-10 prorates the $2,000.00 platform fee
over the 22 of 31 days left ($1,419.35, invoiced that day) and prices the tokens after the
change at the Enterprise rates (frontend-contract/checkout/PreviewUpgrade, ConfirmUpgrade).

Partners: Acme Corp and Mega Enterprise were brought by the reseller `acme-reseller`
(`customers(partnerOwner: "acme-reseller")`); Startup Inc and Dev Studio signed directly.

Event IDs are `demo-<customer>-<metric>[-<model>]-<date>-<n>`, so a re-run is deduplicated by
ingestion (one event per (customer, event ID), for ever).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]

START = "2026-01-01"
PARTNER = "acme-reseller"


@dataclass(frozen=True, slots=True)
class DemoContract:
    """A `createContract` input minus `customerId`, `planId` and `idempotencyKey`."""

    plan_key: str
    input: Json

    def idempotency_key(self, external_id: str) -> str:
        """Derived from the customer, the plan key and the start: stable across runs."""
        return f"demo:{external_id}:{self.plan_key}:{self.input['startDate']}"


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    """A `createCustomer` input, the customer's contracts and its usage events."""

    input: Json
    contracts: tuple[DemoContract, ...]
    events: tuple[Json, ...]

    @property
    def external_id(self) -> str:
        external_id = self.input["externalId"]
        assert isinstance(external_id, str)
        return external_id


def _model_override(model: str, value: str) -> Json:
    return {
        "priceKey": "model_usage",
        "kind": "OVERRIDE",
        "value": value,
        "match": [{"name": "model", "value": model}],
    }


def _pro_plan(*adjustments: Json) -> DemoContract:
    return DemoContract("pro-plan", {"startDate": START, "adjustments": list(adjustments)})


def _event(
    external_id: str, metric_key: str, day: str, value: str, *, model: str | None = None, n: int = 0
) -> Json:
    name = metric_key if model is None else f"{metric_key}-{model}"
    event: Json = {
        "eventId": f"demo-{external_id}-{name}-{day}-{n}",
        "customerId": external_id,
        "metricKey": metric_key,
        "timestamp": f"{day}T12:00:00Z",
        "value": value,
    }
    if model is not None:
        event["dimensions"] = [{"name": "model", "value": model}]
    return event


# (model, day, events, units per event) for each pro-plan customer: January 1,000,000 gpt-4
# + 5,000,000 gpt-3.5 units, February 500,000 + 2,000,000.
MODEL_UNITS: tuple[tuple[str, str, int, str], ...] = (
    ("gpt-4", "2026-01-05", 4, "250000"),
    ("gpt-3.5", "2026-01-20", 5, "1000000"),
    ("gpt-4", "2026-02-09", 2, "250000"),
    ("gpt-3.5", "2026-02-16", 2, "1000000"),
)


def _model_units(external_id: str) -> tuple[Json, ...]:
    return tuple(
        _event(external_id, "model_units", day, value, model=model, n=n)
        for model, day, count, value in MODEL_UNITS
        for n in range(count)
    )


# Acme's monthly token usage on the enterprise contract: (input tokens, output tokens,
# fine-tuning hours). Quarters: 20B/5B/2,000 h; 40B/10B/4,000 h twice; 20B/5B/2,000 h.
ACME_LLM_MONTHS: tuple[tuple[str, str, str, str], ...] = (
    ("2026-01-15", "6000000000", "1500000000", "600"),
    ("2026-02-15", "6000000000", "1500000000", "600"),
    ("2026-03-15", "8000000000", "2000000000", "800"),
    ("2026-04-15", "12000000000", "3000000000", "1200"),
    ("2026-05-15", "14000000000", "3500000000", "1400"),
    ("2026-06-15", "14000000000", "3500000000", "1400"),
    ("2026-07-15", "12000000000", "3000000000", "1200"),
    ("2026-08-15", "14000000000", "3500000000", "1400"),
    ("2026-09-15", "14000000000", "3500000000", "1400"),
    ("2026-10-15", "20000000000", "5000000000", "2000"),
)


def _acme_llm_usage() -> tuple[Json, ...]:
    events = []
    for day, input_tokens, output_tokens, hours in ACME_LLM_MONTHS:
        events.append(_event("acme-corp", "input_tokens", day, input_tokens))
        events.append(_event("acme-corp", "output_tokens", day, output_tokens))
        events.append(_event("acme-corp", "fine_tuning_hours", day, hours))
    return tuple(events)


def _half_off(price_key: str) -> Json:
    return {"priceKey": price_key, "kind": "PERCENT", "value": "-50"}


ACME_ENTERPRISE = DemoContract(
    "llm-enterprise",
    {
        "startDate": START,
        "endDate": "2027-01-01",
        "billingInterval": "QUARTERLY",
        "settings": {"netPaymentDays": 45},
        "adjustments": [
            _half_off("input_tokens"),
            _half_off("output_tokens"),
            _half_off("fine_tuning"),
        ],
        "commitments": [
            {
                "key": "annual-prepaid",
                "kind": "PREPAID",
                "amount": "100000.00",
                "creditAmount": "125000.00",
            }
        ],
    },
)

# Dev Studio's March tokens on the Developer plan (issue 12's checkout upgrade): before
# and after March 10, the day the checkout's PreviewUpgrade / ConfirmUpgrade cases move it
# to Enterprise. (day, input tokens, output tokens)
DEV_STUDIO_TOKENS: tuple[tuple[str, str, str], ...] = (
    ("2026-03-05", "10000000", "2000000"),
    ("2026-03-20", "20000000", "4000000"),
)


def _dev_studio_usage() -> tuple[Json, ...]:
    events = []
    for day, input_tokens, output_tokens in DEV_STUDIO_TOKENS:
        events.append(_event("dev-studio", "input_tokens", day, input_tokens))
        events.append(_event("dev-studio", "output_tokens", day, output_tokens))
    return tuple(events)


CUSTOMERS: tuple[DemoCustomer, ...] = (
    DemoCustomer(
        {"externalId": "startup-inc", "name": "Startup Inc"},
        (_pro_plan(),),
        _model_units("startup-inc"),
    ),
    DemoCustomer(
        {"externalId": "acme-corp", "name": "Acme Corp", "partnerOwner": PARTNER},
        (_pro_plan(_model_override("gpt-4", "0.02")), ACME_ENTERPRISE),
        _model_units("acme-corp") + _acme_llm_usage(),
    ),
    DemoCustomer(
        {"externalId": "mega-enterprise", "name": "Mega Enterprise", "partnerOwner": PARTNER},
        (_pro_plan(_model_override("gpt-4", "0.015"), _model_override("gpt-3.5", "0.001")),),
        _model_units("mega-enterprise"),
    ),
    DemoCustomer(
        {"externalId": "dev-studio", "name": "Dev Studio"},
        (DemoContract("llm-developer", {"startDate": START}),),
        _dev_studio_usage(),
    ),
)
