"""Customers: create one (idempotent), and the reads behind the customer queries.

A partner acts on the customers it owns (`customer.partner_owner == actor.partner`, the
partner named by its key, never by an argument): its lists hold only those, and another
partner's customer reads exactly as a missing one. A customer a partner creates is owned
by it. Sales and admin read every customer (`services.access`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.services import access, audit
from pricing_graph.services.actor import Actor
from pricing_graph.services.catalog.products import Load, argument_id
from pricing_graph.services.errors import ErrorCode, problem, refuse, refuse_if
from pricing_graph.services.idempotency import idempotent_write
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.services.validation import text_errors
from pricing_graph.store.catalog_repo import session_reader
from pricing_graph.store.contracts import CustomerRow, insert_customer
from pricing_graph.store.contracts import customer_by_external_id as _by_external_id
from pricing_graph.store.contracts import customer_by_id as _by_id
from pricing_graph.store.contracts import customers_page as _customers_page

PARTNER_OWNER_LENGTH = 100  # the customer.partner_owner column


@dataclass(frozen=True, slots=True)
class NewCustomer:
    external_id: str
    name: str
    partner_owner: str | None = None  # the partner that brought the customer, if any
    idempotency_key: str | None = None


def _taken(external_id: str) -> tuple[tuple[str], ErrorCode, str]:
    return (
        ("external_id",),
        ErrorCode.DUPLICATE_KEY,
        f"a customer with external ID {external_id!r} exists",
    )


def _owned_by_caller(actor: Actor, given: NewCustomer) -> NewCustomer:
    """A partner's new customer is its own: `partnerOwner` may be omitted or name the
    partner itself; another partner's name is FORBIDDEN on that field."""
    if actor.partner is None:
        raise access.forbidden("createCustomer without a partner of its own", actor)
    if given.partner_owner is not None and given.partner_owner != actor.partner:
        raise refuse(
            ("partner_owner",),
            ErrorCode.FORBIDDEN,
            f"a partner key creates customers for its own partner {actor.partner!r} only",
        )
    return replace(given, partner_owner=actor.partner)


async def create_customer(uow: UnitOfWork, actor: Actor, given: NewCustomer) -> int:
    """Create a customer; returns its id. A retry with the same idempotency key (from the
    same caller) returns the first customer's id."""
    if access.authorize(actor, "createCustomer") is not access.ALL:  # OWN: its own customer
        given = _owned_by_caller(actor, given)

    async def work(session: AsyncSession) -> int:
        refuse_if(
            text_errors(("external_id",), given.external_id)
            + text_errors(("name",), given.name)
            + text_errors(
                ("partner_owner",),
                given.partner_owner or "",
                max_length=PARTNER_OWNER_LENGTH,
                required=False,
            )
        )
        if await _by_external_id(session_reader(session), given.external_id) is not None:
            raise refuse(*_taken(given.external_id))
        customer_id = await insert_customer(
            session, given.external_id, given.name, given.partner_owner
        )
        audit.record(
            session,
            actor,
            "createCustomer",
            object_type="Customer",
            object_id=customer_id,
            given=given,
        )
        return customer_id

    return await idempotent_write(
        uow,
        "createCustomer",
        given,
        work,
        conflict=problem(*_taken(given.external_id)),
        caller=actor.caller_id,
    )


# Reads


def visible(actor: Actor, rule: access.Rule, row: CustomerRow | None) -> CustomerRow | None:
    """`row` if the caller may see it under `rule`, else None (as if it did not exist)."""
    if row is None or rule is access.ALL:
        return row
    return row if access.owns(actor, row.partner_owner) else None


async def customer_by_external_id(
    uow: UnitOfWork, actor: Actor, external_id: str | None
) -> CustomerRow | None:
    rule = access.authorize(actor, "customer")
    if external_id is None:
        return None
    return visible(actor, rule, await _by_external_id(uow.read, external_id))


async def customer_by_id(
    uow: UnitOfWork,
    actor: Actor,
    global_id: str,
    load: Load[CustomerRow] | None = None,
    *,
    operation: str = "customer",
) -> CustomerRow | None:
    """The customer `global_id` names, if the caller may see it; `operation` is `customer`
    or `node:Customer`."""
    rule = access.authorize(actor, operation)
    customer_id = argument_id("id", global_id, "Customer")
    if load is None:
        row = await _by_id(uow.read, customer_id)
    else:
        row = await load(customer_id)
    return visible(actor, rule, row)


async def customers_page(
    uow: UnitOfWork, actor: Actor, offset: int, limit: int, *, partner_owner: str | None = None
) -> tuple[list[CustomerRow], int]:
    """A page of customers ordered by external ID, and how many there are in all. A
    partner's page holds its own customers; `partner_owner` may only narrow to itself
    (another partner's name matches nothing)."""
    if access.authorize(actor, "customers") is not access.ALL:  # OWN: the partner's only
        if actor.partner is None or partner_owner not in (None, actor.partner):
            return [], 0
        partner_owner = actor.partner
    return await _customers_page(uow.read, offset, limit, partner_owner=partner_owner)
