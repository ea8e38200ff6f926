"""Limits every GraphQL operation meets before it costs anything.

`RequestLimits` (a schema extension) reads the limits from the request's settings and caller
(`limits_for`), and:

- caps the tokens the parser reads (`max_tokens`: what Strawberry's MaxTokensLimiter sets);
- as soon as the document is parsed, before validation (`document_refusal`, cheapest first):
  the fields it expands to once fragments are inlined, the pairs of repeated selections
  (graphql-core's OverlappingFieldsCanBeMergedRule is quadratic in them), the query depth
  (Strawberry's QueryDepthLimiter rule), the aliases (counted as Strawberry's
  MaxAliasesLimiter does) and NUL characters in string literals;
- in production, adds a validation rule refusing introspection to callers that are not admins;
- before execution, refuses NUL characters in variables and estimates the operation's cost
  with its variables (`estimate_cost`), refusing it over budget;
- gives the errors it knows a code: the parser's token and nesting limits, a Date or DateTime
  that does not parse, a PostgreSQL statement timeout.

Each refusal is a `LimitError`: `extensions.code` names the limit, `extensions.field` the
argument or variable when there is one, and `status` is the HTTP status of the response
when the operation was refused as a whole (`http_status`). docs/security.md lists them.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter, OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from graphql import (
    BREAK,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    TypeInfo,
    ValidationContext,
    ValidationRule,
    Visitor,
    get_named_type,
    value_from_ast_untyped,
    visit,
)
from graphql.language import ArgumentNode, ObjectFieldNode, ValueNode
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import count_fields_with_alias
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator
from strawberry.types import ExecutionResult as StrawberryResult

from pricing_graph.api.document_memo import DocumentMemo
from pricing_graph.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from pricing_graph.api.scalars import ScalarInputError
from pricing_graph.services.actor import Role
from pricing_graph.services.billing import MAX_PERIOD_INDEX
from pricing_graph.services.errors import ErrorCode
from pricing_graph.settings import Settings
from pricing_graph.store.engine import is_statement_timeout

log = logging.getLogger("pricing_graph.api")

# A billing period priced or walked weighs as much as ten objects of a connection page.
PERIOD_WEIGHT = 10
#: Fields that walk billing periods no argument counts, and their fixed cost: a change
#: preview rates the contract up to the change's period twice (as it is and as it would
#: be), at most 2 x (MAX_PERIOD_INDEX + 2) periods, one unit each (so about 40 previews fit
#: in the default budget; the service refuses a change past MAX_PERIOD_INDEX).
WALKS_WITHOUT_COUNT = {"previewContractChange": 2 * (MAX_PERIOD_INDEX + 2)}
#: Fields whose `periods` is a discount's duration, not billing periods priced.
NOT_PRICED = frozenset({"createPromotionCode"})
# Selections a document may expand to (fragments inlined), per token the parser allows.
EXPANSION_PER_TOKEN = 10
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
# Pairs of same-named selections at one place (see `repeated_selections`); documents that
# repeat nothing have none, 100 copies of one field have 4,950.
MAX_REPEATED_PAIRS = 1000


class LimitError(GraphQLError):
    """A refusal by one of the limits: a code naming the limit, the argument or variable it
    concerns (None: the request as a whole) and the HTTP status of a whole refusal."""

    def __init__(
        self,
        code: ErrorCode,
        field: str | None,
        message: str,
        *,
        status: int = 400,
        nodes: Any = None,
        path: Any = None,
    ) -> None:
        super().__init__(message, nodes, path=path, extensions={"code": code.value, "field": field})
        self.status = status


@dataclass(frozen=True, slots=True)
class QueryLimits:
    max_depth: int
    max_aliases: int
    max_tokens: int
    max_cost: int
    introspection: bool

    @classmethod
    def of(cls, settings: Settings, role: Role) -> QueryLimits:
        return cls(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            max_cost=settings.max_query_cost,
            introspection=not settings.production or role is Role.ADMIN,
        )

    def rules(self) -> tuple[type[ValidationRule], ...]:
        return () if self.introspection else (NoIntrospection,)


def limits_for(context: Any) -> QueryLimits:
    """The limits of the request's settings and caller (defaults without a Context)."""
    database = getattr(context, "database", None)
    settings = getattr(database, "settings", None)
    actor = getattr(context, "actor", None)
    return QueryLimits.of(
        settings if isinstance(settings, Settings) else Settings(),
        getattr(actor, "role", Role.ANONYMOUS),
    )


def http_status(result: ExecutionResult | StrawberryResult) -> int | None:
    """The status of an operation refused as a whole by a limit (no data), else None."""
    if result.data is not None or not result.errors:
        return None
    statuses = [error.status for error in result.errors if isinstance(error, LimitError)]
    return max(statuses) if statuses else None


# --- the document alone, as soon as it is parsed -------------------------------------------


# Documents that passed, with the limits they passed (api/document_memo.py).
_PASSED: DocumentMemo[bool] = DocumentMemo(256)


def document_refusal(
    schema: GraphQLSchema, document: DocumentNode, limits: QueryLimits
) -> LimitError | None:
    """The first limit the document breaks, checked before validation (some of
    graphql-core's rules take time quadratic in repeated selections), cheapest first."""
    if _PASSED.get(document, limits, False):
        return None
    try:
        refusal = _document_refusal(schema, document, limits)
    except RecursionError:
        refusal = LimitError(
            ErrorCode.QUERY_TOO_DEEP, None, "the document nests fragments too deeply"
        )
    if refusal is None:
        _PASSED.keep(document, limits, True)
    return refusal


def _document_refusal(
    schema: GraphQLSchema, document: DocumentNode, limits: QueryLimits
) -> LimitError | None:
    max_selections = EXPANSION_PER_TOKEN * limits.max_tokens
    selections = expanded_selections(document)
    if selections > max_selections:
        return LimitError(
            ErrorCode.QUERY_TOO_COSTLY,
            None,
            f"the document selects {selections} fields once its fragments are expanded; at "
            f"most {max_selections} are allowed",
        )
    repeated = repeated_selections(document)
    if repeated > MAX_REPEATED_PAIRS:
        return LimitError(
            ErrorCode.QUERY_TOO_COSTLY,
            None,
            f"the document selects the same fields over and over ({repeated} pairs of "
            f"selections with one name at one place; at most {MAX_REPEATED_PAIRS}): select "
            "each field once",
        )
    found: list[GraphQLError] = []
    context = ValidationContext(schema, document, TypeInfo(schema), found.append)
    try:
        _depth_rule(limits.max_depth)(context)
    except KeyError:  # an unknown fragment, which validation reports as such
        found.clear()
    if found:
        return LimitError(
            ErrorCode.QUERY_TOO_DEEP,
            None,
            f"the operation nests selections more than {limits.max_depth} levels deep "
            f"({found[0].message})",
            nodes=found[0].nodes,
        )
    count = aliases(document)
    if count > limits.max_aliases:
        return LimitError(
            ErrorCode.TOO_MANY_ALIASES,
            None,
            f"the document uses {count} aliases; at most {limits.max_aliases} are allowed",
        )
    nul = _NulLiterals()
    visit(document, nul)
    return nul.found


@cache
def _depth_rule(max_depth: int) -> type[ValidationRule]:
    """Strawberry's QueryDepthLimiter rule (introspection fields not counted)."""
    return depth_validator(max_depth, None)


class _NulLiterals(Visitor):
    """The first string literal holding a NUL character, named by its argument path."""

    def __init__(self) -> None:
        super().__init__()
        self.found: LimitError | None = None

    def enter_string_value(
        self, node: StringValueNode, _key: Any, parent: Any, _path: Any, ancestors: Any
    ) -> Any:
        if "\x00" not in node.value:
            return None
        names = [
            n.name.value
            for n in [*ancestors, parent]
            if isinstance(n, ArgumentNode | ObjectFieldNode)
        ]
        self.found = LimitError(
            ErrorCode.INVALID_VALUE,
            ".".join(names) or None,
            "strings may not contain NUL characters (\\u0000)",
            nodes=[node],
        )
        return BREAK


class NoIntrospection(ValidationRule):
    """Production: `__schema` and `__type` are for admin keys only (`__typename` is fine)."""

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        if node.name.value in INTROSPECTION_FIELDS:
            self.report_error(
                LimitError(
                    ErrorCode.FORBIDDEN,
                    node.name.value,
                    "introspection is disabled in production for callers without an admin key",
                    status=403,
                    nodes=[node],
                )
            )


def repeated_selections(document: DocumentNode) -> int:
    """Pairs of selections that share a response name where they meet (fragments inlined,
    same-named fields merged level by level): the work of graphql-core's
    OverlappingFieldsCanBeMergedRule, which compares each such pair."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }

    def collect(
        selection_set: SelectionSetNode, into: dict[str, list[FieldNode]], seen: frozenset[str]
    ) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = (selection.alias or selection.name).value
                into.setdefault(name, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                collect(selection.selection_set, into, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:
                    collect(fragments[name].selection_set, into, seen | {name})

    def pairs(selection_sets: list[SelectionSetNode]) -> int:
        groups: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            collect(selection_set, groups, frozenset())
        total = 0
        for fields in groups.values():
            total += len(fields) * (len(fields) - 1) // 2
            below = [f.selection_set for f in fields if f.selection_set is not None]
            if below:
                total += pairs(below)
        return total

    return sum(
        pairs([d.selection_set])
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )


def aliases(document: DocumentNode) -> int:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return sum(
        count_fields_with_alias(d, fragments)
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )


def expanded_selections(document: DocumentNode) -> int:
    """How many fields the document selects with every fragment spread inlined (each
    fragment counted once, then reused: linear in the document, even for fragment bombs)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    sizes: dict[str, int] = {}
    visiting: set[str] = set()

    def size(selection_set: SelectionSetNode | None) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += 1 + size(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                total += size(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += fragment(selection.name.value)
        return total

    def fragment(name: str) -> int:
        if name not in sizes:
            if name in visiting or name not in fragments:
                return 0  # a cycle or an unknown fragment: validation reports it
            visiting.add(name)
            sizes[name] = size(fragments[name].selection_set)
            visiting.discard(name)
        return sizes[name]

    return sum(
        size(d.selection_set)
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )


# --- before execution: the operation with its variables -------------------------------------


@dataclass(frozen=True, slots=True)
class Cost:
    total: int
    field: str | None  # the argument that contributes most, e.g. "input.periods"


class _CostWalker:
    """The static cost of an operation: the objects its connections may return and the
    billing periods it prices, multiplied through connection pages and aliases.

    - a field with a `first` argument (a connection) counts its page (`first`, else its
      default page size, at most MAX_PAGE_SIZE) times the pages above it, and multiplies
      everything below it by its page;
    - a field with `periods`, `periodIndex` or `count` (also inside its `input`) prices or
      walks that many billing periods (periodIndex + count, or + 1), each PERIOD_WEIGHT
      (WALKS_WITHOUT_COUNT: a fixed number; NOT_PRICED: none), times the
      number of `usage` lines given, times the pages above it;
    - a root field counts 1; aliases count as often as they appear.

    Every cost is linear in the pages above it, so a fragment is costed once and scaled.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.fragment_costs: dict[str, Counter[str | None]] = {}
        self.visiting: set[str] = set()

    def operation(self, operation: OperationDefinitionNode) -> Counter[str | None]:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return Counter()
        total = self.selections(operation.selection_set, root)
        total[None] += sum(
            1 for s in operation.selection_set.selections if isinstance(s, FieldNode)
        )
        return total

    def selections(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType
    ) -> Counter[str | None]:
        total: Counter[str | None] = Counter()
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total.update(self.field(selection, parent))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                named = self.schema.get_type(condition.name.value) if condition else parent
                total.update(self.selections(selection.selection_set, named or parent))
            elif isinstance(selection, FragmentSpreadNode):
                total.update(self.fragment(selection.name.value))
        return total

    def fragment(self, name: str) -> Counter[str | None]:
        if name not in self.fragment_costs:
            definition = self.fragments.get(name)
            if definition is None or name in self.visiting:
                return Counter()
            named = self.schema.get_type(definition.type_condition.name.value)
            if named is None:
                return Counter()
            self.visiting.add(name)
            self.fragment_costs[name] = self.selections(definition.selection_set, named)
            self.visiting.discard(name)
        return self.fragment_costs[name]

    def field(self, node: FieldNode, parent: GraphQLNamedType) -> Counter[str | None]:
        fields = getattr(parent, "fields", None)
        definition = fields.get(node.name.value) if isinstance(fields, Mapping) else None
        if definition is None or node.selection_set is None:
            return Counter()
        given = {a.name.value: self.value(a.value) for a in node.arguments or ()}
        arguments = {
            name: given.get(name, argument.default_value)
            for name, argument in definition.args.items()
        }
        cost: Counter[str | None] = Counter()
        name = node.name.value
        periods = None if name in NOT_PRICED else self.periods(arguments)
        if periods is None and name in WALKS_WITHOUT_COUNT:
            cost["input.effectiveDate"] += WALKS_WITHOUT_COUNT[name]
        if periods is not None:
            count, reason = periods
            cost[reason] += PERIOD_WEIGHT * count * self.lines(arguments)
        below = self.selections(node.selection_set, get_named_type(definition.type))
        if "first" in definition.args:
            page = _count(arguments.get("first"))
            page = DEFAULT_PAGE_SIZE if page is None else min(page, MAX_PAGE_SIZE)
            cost["first"] += page
            cost.update({reason: page * units for reason, units in below.items()})
        else:
            cost.update(below)
        return cost

    def value(self, node: ValueNode) -> Any:
        return value_from_ast_untyped(node, dict(self.variables))

    @staticmethod
    def periods(arguments: Mapping[str, Any]) -> tuple[int, str] | None:
        for prefix, values in _argument_scopes(arguments):
            periods, index = _count(values.get("periods")), _count(values.get("periodIndex"))
            count = _count(values.get("count"))
            if periods is not None:
                return periods, prefix + "periods"
            if index is not None:  # periods 0 .. periodIndex + count - 1 are walked
                return index + max(count or 1, 1), prefix + "periodIndex"
            if count is not None:
                return count, prefix + "count"
        return None

    @staticmethod
    def lines(arguments: Mapping[str, Any]) -> int:
        for _, values in _argument_scopes(arguments):
            usage = values.get("usage")
            if isinstance(usage, list):
                return max(1, len(usage))
        return 1


def _argument_scopes(arguments: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The field's arguments, then those of its `input` object."""
    yield "", arguments
    nested = arguments.get("input")
    if isinstance(nested, Mapping):
        yield "input.", nested


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return max(value, 0)


def estimate_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> Cost:
    """The cost of the operation that will run (0 when it cannot be told which)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        o
        for o in operations
        if (operation_name is None and len(operations) == 1)
        or (o.name is not None and o.name.value == operation_name)
    ]
    if len(chosen) != 1:
        return Cost(0, None)
    operation = chosen[0]
    given = dict(variables or {})
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in given and definition.default_value is not None:
            given[name] = value_from_ast_untyped(definition.default_value)
    costs = _CostWalker(schema, document, given).operation(operation)
    named = {reason: units for reason, units in costs.items() if reason is not None}
    field = max(named, key=lambda reason: named[reason]) if named else None
    return Cost(sum(costs.values()), field)


def nul_variable(variables: Any, path: str = "") -> str | None:
    """The dotted path of the first variable value (or JSON object key) holding a NUL
    character, if any."""
    pending: list[tuple[str, Any]] = [(path, variables)]
    while pending:
        where, value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return where
        elif isinstance(value, Mapping):
            for key, item in value.items():
                inner = f"{where}.{key}" if where else str(key)
                if "\x00" in str(key):
                    return inner.replace("\x00", "\\u0000")
                pending.append((inner, item))
        elif isinstance(value, list):
            pending.extend((f"{where}.{index}", item) for index, item in enumerate(value))
    return None


# --- errors the limits (and the scalars) give a code ----------------------------------------


_TOKENS = re.compile(r"Document contains more than (\d+) tokens")
_VARIABLE = re.compile(r"Variable '\$(\w+)' has invalid value(?: at (\S*?))?:")


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        yield cause
        original = getattr(cause, "original_error", None)
        cause = original if isinstance(original, BaseException) else cause.__cause__


def typed(error: GraphQLError) -> GraphQLError:
    """`error` with a code when it is one a limit or a scalar explains, else unchanged."""
    if isinstance(error, LimitError):
        return error
    if isinstance(error, GraphQLSyntaxError):
        if "nested too deeply" in error.message:
            return LimitError(
                ErrorCode.QUERY_TOO_DEEP, "query", "the document nests too deeply to be read"
            )
        found = _TOKENS.search(error.message)
        if found is not None:
            return LimitError(
                ErrorCode.TOO_MANY_TOKENS,
                "query",
                f"the document has more than {found.group(1)} tokens; send a smaller "
                "document (use variables for large inputs)",
            )
        return error
    causes = list(_causes(error))
    if any(isinstance(cause, ScalarInputError) for cause in causes):
        variable = _VARIABLE.search(error.message)
        field = None
        if variable is not None:
            field = re.sub(r"\[(\d+)\]", r".\1", variable.group(1) + (variable.group(2) or ""))
        return GraphQLError(
            error.message,
            error.nodes,
            path=error.path,
            extensions={"code": ErrorCode.INVALID_VALUE.value, "field": field},
        )
    if any(is_statement_timeout(cause) for cause in causes):
        log.warning("statement timeout at %s", ".".join(map(str, error.path or ())))
        return LimitError(
            ErrorCode.TIME_LIMIT_EXCEEDED,
            None,
            "the database took longer than this server allows for one statement; ask for "
            "less (fewer periods, smaller pages)",
            nodes=error.nodes,
            path=error.path,
        )
    return error


class CostMemo:
    """Costs of recent operations by (schema, document text, operation, variables): the same
    request (a page asked again and again) is walked once, not on every call. Keyed by a
    digest of the text and the variables, so a memo of large bodies holds 256 small keys."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._costs: OrderedDict[tuple[int, str | None, bytes], Cost] = OrderedDict()

    def cost(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        query: str | None,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
    ) -> Cost:
        try:
            given = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # not JSON (a caller in process): walked, not kept
            return estimate_cost(schema, document, operation_name, variables)
        if query is None:
            return estimate_cost(schema, document, operation_name, variables)
        digest = hashlib.blake2b(query.encode(), digest_size=16)
        digest.update(b"\0" + given)
        key = (id(schema), operation_name, digest.digest())
        found = self._costs.get(key)
        if found is not None:
            self._costs.move_to_end(key)
            return found
        found = self._costs[key] = estimate_cost(schema, document, operation_name, variables)
        if len(self._costs) > self.size:
            self._costs.popitem(last=False)
        return found


COSTS = CostMemo(256)


class RequestLimits(SchemaExtension):
    """The limits, per operation; list it after PublicErrors, so errors get their codes
    before anything unexpected is masked."""

    def on_operation(self) -> Iterator[None]:
        execution = self.execution_context
        self.limits = limits = limits_for(execution.context)
        execution.parse_options["max_tokens"] = limits.max_tokens
        execution.validation_rules = execution.validation_rules + limits.rules()
        try:
            yield
        except GraphQLSyntaxError as error:
            # With ParserCache the parser runs inside an extension hook, so its errors
            # (the token and nesting limits' too) reach the operation as exceptions.
            raise typed(error) from None
        result = execution.result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [typed(error) for error in errors]  # type: ignore[union-attr]

    def on_parse(self) -> Iterator[None]:
        yield
        execution = self.execution_context
        if execution.graphql_document is not None:
            refusal = document_refusal(
                execution.schema._schema, execution.graphql_document, self.limits
            )
            if refusal is not None:
                raise refusal  # before validation; answered as a pre-execution error

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        refusal = self._refusal()
        if refusal is not None:
            execution.result = ExecutionResult(data=None, errors=[refusal])
        yield

    def _refusal(self) -> LimitError | None:
        execution = self.execution_context
        nul = nul_variable(execution.variables or {})
        if nul is not None:
            return LimitError(
                ErrorCode.INVALID_VALUE,
                nul,
                "strings may not contain NUL characters (\\u0000)",
            )
        document = execution.graphql_document
        if document is None:
            return None
        cost = COSTS.cost(
            execution.schema._schema,
            document,
            execution.query,
            execution.operation_name,
            execution.variables,
        )
        if cost.total <= self.limits.max_cost:
            return None
        because = f" (most of it from {cost.field})" if cost.field else ""
        return LimitError(
            ErrorCode.QUERY_TOO_COSTLY,
            cost.field,
            f"this operation would cost about {cost.total} units{because}; at most "
            f"{self.limits.max_cost} are allowed per request: ask for fewer periods, smaller pages "
            "or fewer aliases",
        )
