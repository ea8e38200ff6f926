"""DataLoaders, one per relation, built fresh per request (`Context.loaders`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pricing_graph.api.loaders.base import Reader
from pricing_graph.api.loaders.catalog import (
    DomainPlanByIdLoader,
    MetricByIdLoader,
    PlanByIdLoader,
    PlanCache,
    PlansByProductIdLoader,
    PriceByIdLoader,
    PricesByRampIdLoader,
    ProductByIdLoader,
    RampByIdLoader,
    RampsByPlanIdLoader,
    RatesByPriceIdLoader,
    TiersByRateIdLoader,
    UsageLimitsByPlanIdLoader,
)
from pricing_graph.api.loaders.contracts import (
    AmendmentsByContractIdLoader,
    ContractRecordByIdLoader,
    ContractsByCustomerIdLoader,
    CustomerByIdLoader,
)
from pricing_graph.api.loaders.quotes import RevisionsByQuoteIdLoader
from pricing_graph.api.loaders.usage import SessionOpener, UsageByRequestLoader
from pricing_graph.store.usage_store import SqlUsageStore, UsageStore


@dataclass
class Loaders:
    read: Reader
    reader: SessionOpener
    plan_cache: PlanCache
    usage_store: UsageStore = field(default_factory=SqlUsageStore)
    product_by_id: ProductByIdLoader = field(init=False)
    plan_by_id: PlanByIdLoader = field(init=False)
    metric_by_id: MetricByIdLoader = field(init=False)
    ramp_by_id: RampByIdLoader = field(init=False)
    price_by_id: PriceByIdLoader = field(init=False)
    plans_by_product_id: PlansByProductIdLoader = field(init=False)
    ramps_by_plan_id: RampsByPlanIdLoader = field(init=False)
    prices_by_ramp_id: PricesByRampIdLoader = field(init=False)
    rates_by_price_id: RatesByPriceIdLoader = field(init=False)
    tiers_by_rate_id: TiersByRateIdLoader = field(init=False)
    usage_limits_by_plan_id: UsageLimitsByPlanIdLoader = field(init=False)
    domain_plan_by_id: DomainPlanByIdLoader = field(init=False)
    usage_by_request: UsageByRequestLoader = field(init=False)
    revisions_by_quote_id: RevisionsByQuoteIdLoader = field(init=False)
    customer_by_id: CustomerByIdLoader = field(init=False)
    contracts_by_customer_id: ContractsByCustomerIdLoader = field(init=False)
    contract_record_by_id: ContractRecordByIdLoader = field(init=False)
    amendments_by_contract_id: AmendmentsByContractIdLoader = field(init=False)

    def __post_init__(self) -> None:
        # Catalog rows that can no longer change come from the process's cache.
        sealed = self.plan_cache.rows
        self.product_by_id = ProductByIdLoader(self.read, sealed)
        self.plan_by_id = PlanByIdLoader(self.read, sealed)
        self.metric_by_id = MetricByIdLoader(self.read, sealed)
        self.ramp_by_id = RampByIdLoader(self.read, sealed)
        self.price_by_id = PriceByIdLoader(self.read, sealed)
        self.plans_by_product_id = PlansByProductIdLoader(self.read, sealed, self.plan_by_id)
        self.ramps_by_plan_id = RampsByPlanIdLoader(self.read, sealed)
        self.prices_by_ramp_id = PricesByRampIdLoader(self.read, sealed)
        self.rates_by_price_id = RatesByPriceIdLoader(self.read, sealed)
        self.tiers_by_rate_id = TiersByRateIdLoader(self.read, sealed)
        self.usage_limits_by_plan_id = UsageLimitsByPlanIdLoader(self.read, sealed)
        self.domain_plan_by_id = DomainPlanByIdLoader(self.read, self.plan_cache, self.plan_by_id)
        self.usage_by_request = UsageByRequestLoader(self.reader, self.usage_store)
        self.revisions_by_quote_id = RevisionsByQuoteIdLoader(self.read)
        self.customer_by_id = CustomerByIdLoader(self.read)
        self.contracts_by_customer_id = ContractsByCustomerIdLoader(self.read)
        self.contract_record_by_id = ContractRecordByIdLoader(self.read)
        self.amendments_by_contract_id = AmendmentsByContractIdLoader(self.read)


__all__ = ["Loaders", "Reader"]
