"""Who is calling: every service operation takes an `Actor`.

An actor comes from an API key (`services.keys.authenticate`: its role, id and partner),
from a key of `PRICING_GRAPH_API_KEYS` (`Actor.from_scopes`, kept for compatibility), or is
anonymous. `caller_id` names the caller wherever something is scoped or recorded per
caller (idempotency keys, the audit log).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Role(Enum):
    ANONYMOUS = "anonymous"
    PARTNER = "partner"
    SALES = "sales"
    ADMIN = "admin"


# What each key role may do beyond its name: an admin also quotes draft plans, as sales.
ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.ANONYMOUS: frozenset(),
    Role.PARTNER: frozenset({"partner"}),
    Role.SALES: frozenset({"sales"}),
    Role.ADMIN: frozenset({"admin", "sales"}),
}


@dataclass(frozen=True, slots=True)
class Actor:
    role: Role = Role.ANONYMOUS
    scopes: frozenset[str] = field(default_factory=frozenset)
    key_id: int | None = None  # the api_key row the caller authenticated with
    partner: str | None = None  # the partner a PARTNER key acts for
    caller: str | None = None  # who acts when there is no key id: "env:<digest>", "system"

    @classmethod
    def from_scopes(cls, scopes: frozenset[str], *, caller: str | None = None) -> Actor:
        """The actor of a `PRICING_GRAPH_API_KEYS` key (or of a test): its highest role."""
        for role in (Role.ADMIN, Role.SALES, Role.PARTNER):
            if role.value in scopes:
                return cls(role=role, scopes=scopes, caller=caller)
        return cls(scopes=scopes, caller=caller)

    @classmethod
    def for_key(cls, key_id: int, role: Role, partner: str | None = None) -> Actor:
        """The actor of a stored API key."""
        return cls(role=role, scopes=ROLE_SCOPES[role], key_id=key_id, partner=partner)

    @property
    def caller_id(self) -> str:
        """'key:<id>' for a stored key, else the given caller, else 'anonymous'."""
        if self.key_id is not None:
            return f"key:{self.key_id}"
        return self.caller or "anonymous"

    def may_quote_drafts(self) -> bool:
        return "sales" in self.scopes


ANONYMOUS = Actor()
SYSTEM = Actor(role=Role.ADMIN, scopes=ROLE_SCOPES[Role.ADMIN], caller="system")
