"""API keys: created, listed and revoked by an operator (the CLI); checked on every request.

A secret reads `pgk_<prefix>_<random>`: the prefix (10 random lowercase letters and
digits) finds the row and is shown in listings; the random part is 32 bytes from
`secrets`. Only the SHA-256 of the whole secret is stored (a fast hash is right for 256
random bits: there is nothing to guess), and it is compared in constant time. The secret is
returned once, by `create_key`; nothing can show it again.

The demo keys (`ensure_demo_keys`, for `seed-demo`) have fixed, published secrets: they are
for a local demo database only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.services import audit
from pricing_graph.services.actor import ANONYMOUS, SYSTEM, Actor, Role
from pricing_graph.services.errors import (
    DomainError,
    ErrorCode,
    Problem,
    problem,
    refuse,
    refuse_if,
)
from pricing_graph.services.unit_of_work import DUPLICATE, UnitOfWork
from pricing_graph.services.validation import text_errors
from pricing_graph.store.access import (
    KEY_NAME_LENGTH,
    PARTNER_LENGTH,
    ApiKeyRow,
    add_key,
    all_keys,
    key_by_id,
    key_by_prefix,
    revoke,
)
from pricing_graph.store.catalog import utcnow

SECRET_PREFIX = "pgk"
PREFIX_LENGTH = 10
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
# The prefix of a created key has 10 characters; the demo keys' have 9 to 11 (8-12 allowed).
_SECRET = re.compile(r"pgk_([a-z0-9]{8,12})_([A-Za-z0-9_-]{16,100})")
KEY_ROLES = (Role.ADMIN, Role.SALES, Role.PARTNER)


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """A key as listed: everything but its secret."""

    id: int
    prefix: str
    role: Role
    partner: str | None
    name: str | None
    created_at: datetime
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class DemoKey:
    role: Role
    partner: str | None
    name: str
    secret: str

    @property
    def prefix(self) -> str:
        return self.secret.split("_")[1]


DEMO_PARTNER = "acme-reseller"
# Demo only: these secrets are published (README); never seed them into a real database.
DEMO_KEYS = (
    DemoKey(Role.ADMIN, None, "demo admin", "pgk_demoadmin_demo-only-admin-secret"),
    DemoKey(Role.SALES, None, "demo sales", "pgk_demosales_demo-only-sales-secret"),
    DemoKey(Role.PARTNER, DEMO_PARTNER, "demo partner", "pgk_demopartner_demo-only-partner-secret"),
)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> tuple[str, str]:
    """(prefix, secret) for a new key."""
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    return prefix, f"{SECRET_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"


async def create_key(
    uow: UnitOfWork,
    role: Role | str,
    *,
    partner: str | None = None,
    name: str | None = None,
    actor: Actor = SYSTEM,
) -> tuple[ApiKeyInfo, str]:
    """A new key and its secret (shown once). A partner key names its partner; no other
    key does. Problems name `input.role`, `input.partner`, `input.name`."""
    found_role = _role(role)
    name = (name or "").strip() or None
    refuse_if(_key_problems(found_role, partner, name))
    prefix, secret = new_secret()
    row = ApiKeyRow(
        prefix=prefix,
        secret_hash=secret_hash(secret),
        role=found_role.value,
        partner=partner,
        name=name,
    )

    async def work(session: AsyncSession) -> ApiKeyInfo:
        return await _insert(session, row, actor)

    return await uow.run(work), secret


async def list_keys(uow: UnitOfWork) -> list[ApiKeyInfo]:
    """Every key, revoked ones included, oldest first."""
    return [_info(row) for row in await all_keys(uow.read)]


async def revoke_key(uow: UnitOfWork, key_id: int, *, actor: Actor = SYSTEM) -> ApiKeyInfo:
    """Revoke a key at once (its next request is refused); revoking it again changes
    nothing. NOT_FOUND (on `input.id`) for an unknown id."""

    async def work(session: AsyncSession) -> ApiKeyInfo:
        row = await key_by_id(session, key_id)
        if row is None:
            raise refuse(("id",), ErrorCode.NOT_FOUND, f"no API key with id {key_id}")
        if row.revoked_at is None:
            await revoke(session, row, utcnow())
            audit.record(session, actor, "revokeApiKey", object_type="ApiKey", object_id=row.id)
        return _info(row)

    return await uow.run(work)


async def authenticate(uow: UnitOfWork, bearer: str) -> Actor | None:
    """The actor of a bearer secret, or None when it is malformed, unknown or revoked (the
    edges answer 401). The stored hash is compared in constant time."""
    match = _SECRET.fullmatch(bearer)
    if match is None:
        return None
    row = await key_by_prefix(uow.read, match.group(1))
    if row is None or row.revoked_at is not None or not _same(row.secret_hash, bearer):
        return None
    assert row.id is not None
    return Actor.for_key(row.id, Role(row.role), row.partner)


async def ensure_demo_keys(uow: UnitOfWork) -> list[tuple[ApiKeyInfo, str]]:
    """The demo keys (admin, sales, and a partner key for `acme-reseller`) with their fixed
    secrets, created when missing: safe to run twice, or twice at once. A demo key an
    operator revoked stays revoked."""
    made = []
    for demo in DEMO_KEYS:
        row = await key_by_prefix(uow.read, demo.prefix)
        if row is None:
            row = await _create_demo_key(uow, demo)
        made.append((_info(row), demo.secret))
    return made


async def _create_demo_key(uow: UnitOfWork, demo: DemoKey) -> ApiKeyRow:
    row = ApiKeyRow(
        prefix=demo.prefix,
        secret_hash=secret_hash(demo.secret),
        role=demo.role.value,
        partner=demo.partner,
        name=demo.name,
    )

    async def work(session: AsyncSession) -> ApiKeyRow:
        await _insert(session, row, SYSTEM)
        return row  # still readable after the commit: sessions do not expire on commit

    try:
        return await uow.run(work)
    except DomainError as refused:
        if refused.problems != [DUPLICATE]:
            raise
    # A concurrent seed created it first.
    existing = await key_by_prefix(uow.read, demo.prefix)
    assert existing is not None
    return existing


async def _insert(session: AsyncSession, row: ApiKeyRow, actor: Actor) -> ApiKeyInfo:
    await add_key(session, row)
    info = _info(row)
    audit.record(
        session,
        actor,
        "createApiKey",
        object_type="ApiKey",
        object_id=info.id,
        given={"role": info.role, "partner": info.partner, "name": info.name},
    )
    return info


def _same(stored_hash: str, bearer: str) -> bool:
    return hmac.compare_digest(stored_hash.encode(), secret_hash(bearer).encode())


def _role(role: Role | str) -> Role:
    try:
        found = role if isinstance(role, Role) else Role(role)
    except ValueError:
        found = Role.ANONYMOUS
    if found not in KEY_ROLES:
        names = ", ".join(r.value for r in KEY_ROLES)
        raise refuse(("role",), ErrorCode.INVALID_VALUE, f"a key's role is one of {names}")
    return found


def _key_problems(role: Role, partner: str | None, name: str | None) -> list[Problem]:
    problems: list[Problem] = []
    if role is Role.PARTNER:
        if partner is None:
            problems.append(
                problem(("partner",), ErrorCode.REQUIRED, "a partner key names its partner")
            )
        else:
            problems += text_errors(("partner",), partner, max_length=PARTNER_LENGTH)
    elif partner is not None:
        problems.append(
            problem(("partner",), ErrorCode.INVALID_VALUE, "only a partner key names a partner")
        )
    if name is not None:
        problems += text_errors(("name",), name, max_length=KEY_NAME_LENGTH, required=False)
    return problems


def _info(row: ApiKeyRow) -> ApiKeyInfo:
    assert row.id is not None
    return ApiKeyInfo(
        id=row.id,
        prefix=row.prefix,
        role=Role(row.role),
        partner=row.partner,
        name=row.name,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


async def identify(uow: UnitOfWork, authorization: str | None) -> Actor | None:
    """The caller of a request from its `Authorization` header: ANONYMOUS without one; the
    actor of an active stored key, else of a `PRICING_GRAPH_API_KEYS` key (compared in
    constant time; its caller id is a digest, never the key); None for anything else (an
    unknown, revoked or malformed key, another scheme), which the edges answer with 401."""
    if authorization is None or not authorization.strip():
        return ANONYMOUS
    scheme, _, bearer = authorization.strip().partition(" ")
    bearer = bearer.strip()
    if scheme.lower() != "bearer" or not bearer:
        return None
    actor = await authenticate(uow, bearer)
    if actor is not None:
        return actor
    for key, scopes in uow.settings.api_keys.items():
        if key and hmac.compare_digest(key.encode(), bearer.encode()):
            return Actor.from_scopes(scopes, caller=f"env:{secret_hash(key)[:12]}")
    return None
