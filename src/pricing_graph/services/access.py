"""Who may do what: one table for every GraphQL root field, mutation, `node(id:)` type and
HTTP endpoint, checked by the services (so no edge can forget it).

A cell says how much of an operation a role gets:
- ALL: everything.
- PUBLIC: the public price book only: PUBLISHED, PUBLIC plans (and their products, ramps,
  prices), priced without saving anything.
- OWN: a partner's own customers (owner taken from its key, never from an argument);
  another partner's object is NOT_FOUND, exactly as a missing one.
- DENY: refused with FORBIDDEN (a mutation's typed error; a read's field is null with an error).
"""

from __future__ import annotations

from enum import Enum

from pricing_graph.services.actor import Actor, Role
from pricing_graph.services.errors import DomainError, ErrorCode, Problem


class Rule(Enum):
    ALL = "all"
    PUBLIC = "public"
    OWN = "own"
    DENY = "deny"


ALL, PUBLIC, OWN, DENY = Rule.ALL, Rule.PUBLIC, Rule.OWN, Rule.DENY
ROLES = (Role.ANONYMOUS, Role.PARTNER, Role.SALES, Role.ADMIN)

# operation: (anonymous, partner, sales, admin)
POLICY: dict[str, tuple[Rule, Rule, Rule, Rule]] = {
    # catalog reads
    "products": (PUBLIC, PUBLIC, ALL, ALL),
    "product": (PUBLIC, PUBLIC, ALL, ALL),
    "metrics": (ALL, ALL, ALL, ALL),
    "metric": (ALL, ALL, ALL, ALL),
    "plans": (PUBLIC, PUBLIC, ALL, ALL),
    "plan": (PUBLIC, PUBLIC, ALL, ALL),
    # pricing without saving
    "quote": (PUBLIC, PUBLIC, ALL, ALL),
    "comparePlans": (PUBLIC, PUBLIC, ALL, ALL),
    # customers, contracts and what they cost
    "customers": (DENY, OWN, ALL, ALL),
    "customer": (DENY, OWN, ALL, ALL),
    "contracts": (DENY, OWN, ALL, ALL),
    "contract": (DENY, OWN, ALL, ALL),
    "estimateCost": (DENY, OWN, ALL, ALL),
    # saved quotes
    "savedQuote": (DENY, DENY, ALL, ALL),
    "savedQuotes": (DENY, DENY, ALL, ALL),
    # operator
    "auditEvents": (DENY, DENY, DENY, ALL),
    "GET /metrics": (DENY, DENY, DENY, ALL),  # or anyone: PRICING_GRAPH_METRICS_PUBLIC=true
    "GET /healthz": (ALL, ALL, ALL, ALL),
    "GET /readyz": (ALL, ALL, ALL, ALL),
    # what a browser loads: public pages and assets, no data of their own
    "GET /pricing/{productKey}": (ALL, ALL, ALL, ALL),
    "GET /embed/pricing-table.js": (ALL, ALL, ALL, ALL),
    "GET /static/graphiql": (ALL, ALL, ALL, ALL),  # not served when PRICING_GRAPH_ENV=production
    # catalog writes
    "createProduct": (DENY, DENY, DENY, ALL),
    "updateProduct": (DENY, DENY, DENY, ALL),
    "archiveProduct": (DENY, DENY, DENY, ALL),
    "createMetric": (DENY, DENY, DENY, ALL),
    "createPlan": (DENY, DENY, DENY, ALL),
    "updatePlan": (DENY, DENY, DENY, ALL),
    "publishPlan": (DENY, DENY, DENY, ALL),
    "createPlanVersion": (DENY, DENY, DENY, ALL),
    "archivePlan": (DENY, DENY, DENY, ALL),
    # customer and contract writes
    "createCustomer": (DENY, OWN, ALL, ALL),
    "createContract": (DENY, DENY, DENY, ALL),
    "amendContract": (DENY, DENY, DENY, ALL),
    "endContract": (DENY, DENY, DENY, ALL),
    "moveContractToPlanVersion": (DENY, DENY, DENY, ALL),
    # plan changes (issue 12): a partner's checkout upgrades its own customers
    "changeContractPlan": (DENY, OWN, ALL, ALL),
    "previewContractChange": (DENY, OWN, ALL, ALL),
    # usage
    "ingestUsage": (DENY, OWN, DENY, ALL),
    "POST /v1/usage/events": (DENY, OWN, DENY, ALL),
    # the saved-quote lifecycle
    "createQuote": (DENY, DENY, ALL, ALL),
    "updateQuote": (DENY, DENY, ALL, ALL),
    "approveQuote": (DENY, DENY, ALL, ALL),
    "voidQuote": (DENY, DENY, ALL, ALL),
    "acceptQuote": (DENY, DENY, ALL, ALL),
    # discounts: promotion codes (sales and admin) and plan default discounts (admin)
    "promotionCodes": (DENY, DENY, ALL, ALL),
    "planDiscounts": (PUBLIC, PUBLIC, ALL, ALL),
    "createPromotionCode": (DENY, DENY, ALL, ALL),
    "setPlanDiscounts": (DENY, DENY, DENY, ALL),
    # node(id:) by the type its ID names
    "node": (ALL, ALL, ALL, ALL),
    "node:Product": (PUBLIC, PUBLIC, ALL, ALL),
    "node:Metric": (ALL, ALL, ALL, ALL),
    "node:Plan": (PUBLIC, PUBLIC, ALL, ALL),
    "node:PricingRamp": (PUBLIC, PUBLIC, ALL, ALL),
    "node:Price": (PUBLIC, PUBLIC, ALL, ALL),
    "node:Customer": (DENY, OWN, ALL, ALL),
    "node:Contract": (DENY, OWN, ALL, ALL),
    "node:ContractAdjustment": (DENY, OWN, ALL, ALL),
    "node:SavedQuote": (DENY, DENY, ALL, ALL),
    # entitlements (issue 14): what a customer may use, and a contract's overrides
    "entitlements": (DENY, OWN, ALL, ALL),
    "checkEntitlement": (DENY, OWN, ALL, ALL),
    "setContractEntitlement": (DENY, DENY, DENY, ALL),
}


def rule(actor: Actor, operation: str) -> Rule:
    """The cell of the table for this caller; an operation missing from it is denied."""
    cells = POLICY.get(operation)
    return DENY if cells is None else cells[ROLES.index(actor.role)]


def forbidden(operation: str, actor: Actor) -> DomainError:
    who = "an anonymous caller" if actor.role is Role.ANONYMOUS else f"a {actor.role.value} key"
    return DomainError(
        [Problem(field=None, code=ErrorCode.FORBIDDEN, message=f"{who} may not use {operation}")]
    )


def authorize(actor: Actor, operation: str) -> Rule:
    """The caller's rule for `operation`, or FORBIDDEN."""
    found = rule(actor, operation)
    if found is DENY:
        raise forbidden(operation, actor)
    return found


def sees_all_plans(actor: Actor) -> bool:
    """Drafts, archived and PRIVATE plans: sales and admin; the rest see the public book."""
    return actor.role in (Role.SALES, Role.ADMIN)


def owns(actor: Actor, partner_owner: str | None) -> bool:
    """Whether a customer with this owner is visible to the caller (for reads that are
    allowed at all)."""
    if actor.role is Role.PARTNER:
        return actor.partner is not None and partner_owner == actor.partner
    return actor.role in (Role.SALES, Role.ADMIN)


def policy_table() -> str:
    """The table as Markdown (docs/security.md carries it; a test keeps them equal)."""
    lines = [
        "| operation | anonymous | partner | sales | admin |",
        "| --- | --- | --- | --- | --- |",
    ]
    for operation, cells in POLICY.items():
        lines.append(f"| `{operation}` | " + " | ".join(c.value for c in cells) + " |")
    return "\n".join(lines)
