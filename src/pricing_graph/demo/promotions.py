"""Demo promotion codes, in the exact shape of `createPromotionCode`'s input.

`LAUNCH20` is what the checkout contract's ApplyPromotionCode case sends
(frontend-contract/checkout): 20% off the whole invoice for the first 3 billing periods,
up to 1,000 redemptions, no expiry (so the case reads the same on any date).
"""

from __future__ import annotations

from typing import Any

from pricing_graph.demo.inputs import from_json
from pricing_graph.services import promotions
from pricing_graph.services.actor import SYSTEM
from pricing_graph.services.errors import DomainError, ErrorCode
from pricing_graph.services.unit_of_work import UnitOfWork

PROMOTION_CODES: tuple[dict[str, Any], ...] = (
    {
        "code": "LAUNCH20",
        "kind": "PERCENT",
        "value": "20",
        "duration": "PERIODS",
        "periods": 3,
        "description": "LAUNCH20: 20% off your first 3 months",
        "maxRedemptions": 1000,
    },
)


async def ensure_demo_promotion_codes(uow: UnitOfWork) -> int:
    """Create the demo codes a database lacks; returns how many this call created."""
    created = 0
    for code in PROMOTION_CODES:
        given = from_json(promotions.NewPromotionCode, code)
        try:
            await promotions.create_promotion_code(uow, SYSTEM, given)
        except DomainError as refused:
            if [p.code for p in refused.problems] != [ErrorCode.DUPLICATE_KEY]:
                raise
            continue
        created += 1
    return created
