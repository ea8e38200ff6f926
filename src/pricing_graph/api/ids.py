"""Relay global IDs at the GraphQL edge (the codec lives in `services.ids`)."""

from __future__ import annotations

import strawberry

from pricing_graph.services.ids import MAX_DB_ID, InvalidGlobalId, decode_id, global_id


def encode_id(type_name: str, db_id: int) -> strawberry.ID:
    return strawberry.ID(global_id(type_name, db_id))


__all__ = ["MAX_DB_ID", "InvalidGlobalId", "decode_id", "encode_id"]
