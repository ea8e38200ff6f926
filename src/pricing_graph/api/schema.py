"""The GraphQL schema, composed from per-domain query and mutation mixins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import strawberry
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext

from pricing_graph.api.audit.queries import AuditQuery
from pricing_graph.api.catalog.mutations import CatalogMutation
from pricing_graph.api.catalog.queries import CatalogQuery
from pricing_graph.api.catalog.types import CATALOG_TYPES
from pricing_graph.api.contracts.mutations import ContractMutation
from pricing_graph.api.contracts.plan_changes import PlanChangeMutation, PlanChangeQuery
from pricing_graph.api.contracts.queries import ContractQuery
from pricing_graph.api.discounts.mutations import DiscountMutation
from pricing_graph.api.discounts.queries import DiscountQuery
from pricing_graph.api.entitlements.mutations import EntitlementMutation
from pricing_graph.api.entitlements.queries import EntitlementQuery
from pricing_graph.api.errors import PublicErrors
from pricing_graph.api.execution import PlainValueExecutor
from pricing_graph.api.extension_hooks import LeanExtensionsRunner
from pricing_graph.api.input_builders import install_input_builders
from pricing_graph.api.limits import RequestLimits
from pricing_graph.api.node import NodeQuery
from pricing_graph.api.quotes.queries import QuoteQuery
from pricing_graph.api.quotes.saved import SavedQuoteMutation, SavedQuoteQuery
from pricing_graph.api.rating.queries import RatingQuery
from pricing_graph.api.scalars import schema_config
from pricing_graph.api.selection import reads_catalog_version
from pricing_graph.api.usage.mutations import UsageMutation
from pricing_graph.api.validated_documents import ValidatedDocuments
from pricing_graph.services.unit_of_work import UnitOfWork


@strawberry.type(
    description="Reads: the price book (products, metrics, plans), customers and contracts "
    "with their invoices, quotes and plan comparisons, saved quotes, the audit log."
)
class Query(
    NodeQuery,
    CatalogQuery,
    ContractQuery,
    RatingQuery,
    QuoteQuery,
    SavedQuoteQuery,
    AuditQuery,
    DiscountQuery,
    PlanChangeQuery,
    EntitlementQuery,
):
    pass


@strawberry.type(
    description="Writes: each runs in one transaction and returns its object and `errors` "
    "(ingestUsage: counts and per-event errors); a refused write changes nothing."
)
class Mutation(
    CatalogMutation,
    ContractMutation,
    UsageMutation,
    SavedQuoteMutation,
    DiscountMutation,
    PlanChangeMutation,
    EntitlementMutation,
):
    pass


class RequestSession(SchemaExtension):
    """The request's unit of work around the operation: the catalog version read started
    as soon as the document shows a field that reads the catalog per version, and the
    read connection returned to the pool when the operation ends."""

    async def on_parse(self) -> AsyncIterator[None]:  # type: ignore[override]
        yield
        execution = self.execution_context
        document = execution.graphql_document
        context = execution.context
        if document is not None and reads_catalog_version(document, execution.operation_name):
            uow = getattr(context, "uow", None)
            if isinstance(uow, UnitOfWork) and uow.prefetch_catalog_version():
                # One turn of the event loop: the read is sent now, not at the first await
                # that suspends (the service's), and its round trip overlaps what follows.
                await asyncio.sleep(0)

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        try:
            yield
        finally:  # also when the request's time limit cancels the operation
            context = self.execution_context.context
            if context is not None and hasattr(context, "close"):
                await context.close()


class PricingSchema(strawberry.Schema):
    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        """Expected errors are answers, not incidents: `PublicErrors` logs the rest."""

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return LeanExtensionsRunner(execution_context=execution_context, extensions=extensions)


def build_schema() -> strawberry.Schema:
    built = PricingSchema(
        query=Query,
        mutation=Mutation,
        types=list(CATALOG_TYPES),
        config=schema_config(),
        execution_context_class=PlainValueExecutor,
        extensions=[
            PublicErrors,
            RequestSession,
            lambda: ParserCache(maxsize=256),
            ValidatedDocuments,
            RequestLimits,  # after PublicErrors: limit and scalar errors get their codes first
        ],
    )
    install_input_builders(built)
    return built


schema = build_schema()
