"""API keys: the `keys` CLI, authentication, and 401 for a key that names no active key."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from tests.support.server import running_server

from pricing_graph.app import PricingGraphQL
from pricing_graph.cli import main
from pricing_graph.services import keys
from pricing_graph.services.actor import ANONYMOUS, SYSTEM, Actor, Role
from pricing_graph.services.audit import audit_events
from pricing_graph.services.errors import DomainError, ErrorCode, Problem
from pricing_graph.services.unit_of_work import Database, UnitOfWork
from pricing_graph.settings import Settings, parse_api_keys
from pricing_graph.store.engine import make_engine, make_session_factory

TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ")
SECRET = re.compile(r"pgk_([a-z0-9]{10})_[A-Za-z0-9_-]{43}")


def _cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str, *argv: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("PRICING_GRAPH_DATABASE_URL", url)
    code = main(["keys", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_keys_create_list_revoke_through_the_cli(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = _cli(
        capsys, monkeypatch, database_url, "create", "--role", "partner",
        "--partner", "acme-reseller", "--name", "Checkout",
    )  # fmt: skip
    assert (code, err) == (0, "")
    description, secret = out.splitlines()
    match = SECRET.fullmatch(secret)
    assert match, secret
    partner_prefix = match.group(1)
    assert description == (
        f"created key 1 (prefix {partner_prefix}, role partner, partner acme-reseller); "
        "its secret, shown only this once:"
    )

    code, out, err = _cli(capsys, monkeypatch, database_url, "create", "--role", "sales")
    assert (code, err) == (0, "")
    sales_match = SECRET.fullmatch(out.splitlines()[-1])
    assert sales_match, out
    sales_prefix = sales_match.group(1)
    assert out.splitlines()[0] == (
        f"created key 2 (prefix {sales_prefix}, role sales); its secret, shown only this once:"
    )

    code, out, err = _cli(capsys, monkeypatch, database_url, "revoke", "2")
    assert (code, err) == (0, "")
    assert TIME.sub("<time>", out) == (
        f"revoked key 2 (prefix {sales_prefix}, role sales) at <time>\n"
    )

    code, out, err = _cli(capsys, monkeypatch, database_url, "list")
    assert (code, err) == (0, "")
    assert TIME.sub("<time>", out) == (
        "ID  PREFIX      ROLE     PARTNER        NAME      CREATED               REVOKED\n"
        f"1   {partner_prefix}  partner  acme-reseller  Checkout  <time>  -\n"
        f"2   {sales_prefix}  sales    -              -         <time>  <time>\n"
    )
    assert "pgk_" not in out


def test_keys_list_of_an_empty_database(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _cli(capsys, monkeypatch, database_url, "list") == (
        0,
        "no API keys (create one: pricing-graph keys create --role ...)\n",
        "",
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("create", "--role", "partner"),
            "pricing-graph keys create: --partner: a partner key names its partner\n",
        ),
        (
            ("create", "--role", "admin", "--partner", "acme-reseller"),
            "pricing-graph keys create: --partner: only a partner key names a partner\n",
        ),
        (("revoke", "7"), "pricing-graph keys revoke: no API key with id 7\n"),
    ],
)
def test_keys_cli_refusals_are_one_line_and_exit_2(
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: tuple[str, ...],
    message: str,
) -> None:
    assert _cli(capsys, monkeypatch, database_url, *argv) == (2, "", message)


def test_revoking_twice_keeps_the_first_time(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _cli(capsys, monkeypatch, database_url, "create", "--role", "admin")
    first = _cli(capsys, monkeypatch, database_url, "revoke", "1")
    again = _cli(capsys, monkeypatch, database_url, "revoke", "1")
    assert first == again
    assert first[0] == 0


def test_an_empty_env_key_is_ignored() -> None:
    """PRICING_GRAPH_API_KEYS=":sales" used to make every anonymous caller sales."""
    assert parse_api_keys(":sales") == {}
    assert parse_api_keys(" :sales, k1:sales|partner ,k2:") == {
        "k1": frozenset({"sales", "partner"}),
        "k2": frozenset(),
    }


# --- the services ---------------------------------------------------------------------------


def _database(url: str, **settings: Any) -> Database:
    engine = make_engine(url)
    return Database(
        engine=engine, sessions=make_session_factory(engine), settings=Settings(**settings)
    )


async def test_authenticate(database: Database) -> None:
    uow = UnitOfWork(database)
    partner, partner_secret = await keys.create_key(uow, "partner", partner="acme-reseller")
    sales, sales_secret = await keys.create_key(uow, Role.SALES, name="desk")
    revoked, revoked_secret = await keys.create_key(uow, Role.ADMIN)
    await keys.revoke_key(uow, revoked.id)
    wrong_secret = sales_secret[:-4] + ("aaaa" if not sales_secret.endswith("aaaa") else "bbbb")
    unknown_prefix = "pgk_zzzzzzzzzz_" + sales_secret.split("_", 2)[2]

    assert await keys.authenticate(uow, partner_secret) == Actor(
        role=Role.PARTNER, scopes=frozenset({"partner"}), key_id=partner.id, partner="acme-reseller"
    )
    found = await keys.authenticate(uow, sales_secret)
    assert found is not None
    assert (found.role, found.key_id, found.caller_id, found.may_quote_drafts()) == (
        Role.SALES,
        sales.id,
        f"key:{sales.id}",
        True,
    )
    for refused in (
        wrong_secret,  # the right prefix, a wrong secret
        revoked_secret,
        unknown_prefix,
        "",
        "pgk_",
        "pgk__x",
        sales_secret + " ",
        sales_secret.replace("pgk_", "PGK_"),
        "not-a-key",
        "pgk_short_" + "a" * 43,  # a 5-character prefix
        "pgk_é" * 20,
    ):
        assert await keys.authenticate(uow, refused) is None, refused
    await uow.close()


async def test_identify_reads_the_authorization_header(database_url: str) -> None:
    database = _database(database_url, api_keys={"env-sales": frozenset({"sales"})})
    uow = UnitOfWork(database)
    try:
        admin, secret = await keys.create_key(uow, "admin")
        assert await keys.identify(uow, None) is ANONYMOUS
        assert await keys.identify(uow, "  ") is ANONYMOUS
        stored = await keys.identify(uow, f"Bearer {secret}")
        assert stored is not None
        assert (stored.role, stored.caller_id) == (Role.ADMIN, f"key:{admin.id}")
        assert await keys.identify(uow, f"bearer  {secret} ") == stored
        env = await keys.identify(uow, "Bearer env-sales")
        assert env is not None
        assert (env.role, env.key_id) == (Role.SALES, None)
        assert re.fullmatch(r"env:[0-9a-f]{12}", env.caller_id)
        assert "env-sales" not in env.caller_id
        for refused in ("Bearer", "Bearer ", "Bearer unknown", f"Basic {secret}", secret):
            assert await keys.identify(uow, refused) is None, refused
    finally:
        await uow.close()
        await database.dispose()


BAD_ROLE = Problem(
    "input.role", ErrorCode.INVALID_VALUE, "a key's role is one of admin, sales, partner"
)


async def test_create_key_refusals(database: Database) -> None:
    uow = UnitOfWork(database)
    cases: list[tuple[dict[str, Any], list[Problem]]] = [
        (
            {"role": "partner"},
            [Problem("input.partner", ErrorCode.REQUIRED, "a partner key names its partner")],
        ),
        (
            {"role": "anonymous"},
            [BAD_ROLE],
        ),
        (
            {"role": "root"},
            [BAD_ROLE],
        ),
        (
            {"role": "partner", "partner": "p" * 101, "name": "n" * 201},
            [
                Problem("input.partner", ErrorCode.INVALID_VALUE, "at most 100 characters"),
                Problem("input.name", ErrorCode.INVALID_VALUE, "at most 200 characters"),
            ],
        ),
    ]
    for arguments, problems in cases:
        role = arguments.pop("role")
        with pytest.raises(DomainError) as refused:
            await keys.create_key(uow, role, **arguments)
        assert refused.value.problems == problems
    with pytest.raises(DomainError) as refused:
        await keys.revoke_key(uow, 41)
    assert refused.value.problems == [
        Problem("input.id", ErrorCode.NOT_FOUND, "no API key with id 41")
    ]
    assert await keys.list_keys(uow) == []
    await uow.close()


async def test_demo_keys_are_created_once_with_their_published_secrets(
    database: Database,
) -> None:
    uow = UnitOfWork(database)
    first = await keys.ensure_demo_keys(uow)
    again = await keys.ensure_demo_keys(uow)
    assert first == again
    assert [(info.role, info.partner, info.prefix, secret) for info, secret in first] == [
        (Role.ADMIN, None, "demoadmin", "pgk_demoadmin_demo-only-admin-secret"),
        (Role.SALES, None, "demosales", "pgk_demosales_demo-only-sales-secret"),
        (
            Role.PARTNER,
            "acme-reseller",
            "demopartner",
            "pgk_demopartner_demo-only-partner-secret",
        ),
    ]
    for info, secret in first:
        actor = await keys.authenticate(uow, secret)
        assert actor is not None
        assert (actor.key_id, actor.role, actor.partner) == (info.id, info.role, info.partner)
    # Key creation is audited: three events, by the system, none on the second run.
    page = await audit_events(uow, object_type="ApiKey")
    assert [(e.operation, e.object_id, e.caller, e.role) for e in page.events] == [
        ("createApiKey", info.id, "system", "admin") for info, _ in reversed(first)
    ]
    assert page.events[-1].input == {"role": "ADMIN", "partner": None, "name": "demo admin"}
    await uow.close()


def test_actor_caller_ids() -> None:
    assert ANONYMOUS.caller_id == "anonymous"
    assert SYSTEM.caller_id == "system"
    assert Actor.for_key(12, Role.PARTNER, "p").caller_id == "key:12"
    assert Actor.from_scopes(frozenset({"sales"})).role is Role.SALES
    assert Actor.from_scopes(frozenset()).caller_id == "anonymous"


# --- over HTTP ------------------------------------------------------------------------------

QUERY = {"query": "{ __typename }"}


def _is_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer ")
    body = response.json()
    assert "data" not in body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


async def test_a_key_that_names_no_active_key_is_401(database_url: str) -> None:
    database = _database(database_url, api_keys={"env-sales": frozenset({"sales"})})
    uow = UnitOfWork(database)
    _, secret = await keys.create_key(uow, "sales")
    revoked, revoked_secret = await keys.create_key(uow, "sales")
    await keys.revoke_key(uow, revoked.id)
    await uow.close()
    transport = httpx.ASGITransport(app=PricingGraphQL(database))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def send(authorization: str | None) -> httpx.Response:
                headers = {} if authorization is None else {"authorization": authorization}
                return await client.post("/graphql", json=QUERY, headers=headers)

            for accepted in (None, f"Bearer {secret}", "Bearer env-sales"):
                response = await send(accepted)
                assert response.status_code == 200, (accepted, response.text)
                assert response.json() == {"data": {"__typename": "Query"}}
            for refused in (
                "Bearer pgk_abcdefghij_" + "x" * 43,
                f"Bearer {revoked_secret}",
                "Bearer unknown",
                "Bearer ",
                f"Basic {secret}",
            ):
                _is_unauthenticated(await send(refused))
            # GraphiQL (GET) is refused alike: the key is checked before anything runs.
            _is_unauthenticated(
                await client.get("/graphql", headers={"authorization": "Bearer unknown"})
            )
    finally:
        await database.dispose()


def test_keys_over_real_http(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn serving the app: a key made with the CLI works at once; revoked, it is 401."""
    code, out, _ = _cli(capsys, monkeypatch, database_url, "create", "--role", "admin")
    assert code == 0
    secret = out.splitlines()[-1]
    with running_server(database_url) as base:

        def post(key: str) -> httpx.Response:
            headers = {"authorization": f"Bearer {key}"}
            return httpx.post(f"{base}/graphql", json=QUERY, headers=headers)

        assert post(secret).json() == {"data": {"__typename": "Query"}}
        _is_unauthenticated(post("pgk_abcdefghij_" + "x" * 43))
        assert _cli(capsys, monkeypatch, database_url, "revoke", "1")[0] == 0
        _is_unauthenticated(post(secret))
