"""Strawberry's schema-extension hooks, looked up once per extension class.

For every operation Strawberry's runner builds four context managers (operation, parsing,
validation, execution), and each inspects every extension's hook method again: is it the
default, a generator, an async generator, a coroutine; then it wraps it with
`contextlib.contextmanager`, whose `functools.update_wrapper` copies the method's
attributes each time. With our five extensions that was 20 inspections and 7 wrappers a
request, about a quarter of a `{ __typename }` execution. `LeanExtensionsRunner` makes the
same decisions once per (class, hook) and, per request, only binds the kept factories to
that request's extension instances: the same hooks, in the same order, entered and left by
the same `ExitStack`s as Strawberry's own context managers.
"""

from __future__ import annotations

import contextlib
import inspect
from asyncio import iscoroutinefunction
from collections.abc import AsyncIterator, Callable, Iterator
from functools import partial
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner

Factory = Callable[[SchemaExtension], Any]

# (extension class, hook name) -> (context manager factory, is async), None: no hook
_PLANS: dict[tuple[type, str], tuple[Factory, bool] | None] = {}


def _plan(cls: type, name: str) -> tuple[Factory, bool] | None:
    """What Strawberry's `ExtensionContextManagerBase.get_hook` decides, for a class."""
    key = (cls, name)
    if key in _PLANS:
        return _PLANS[key]
    hook = getattr(cls, name)
    plan: tuple[Factory, bool] | None
    if hook is getattr(SchemaExtension, name):
        plan = None
    elif inspect.isgeneratorfunction(hook):
        plan = (contextlib.contextmanager(hook), False)
    elif inspect.isasyncgenfunction(hook):
        plan = (contextlib.asynccontextmanager(hook), True)
    elif iscoroutinefunction(hook):
        plan = (_awaited(hook), True)
    elif callable(hook):
        plan = (_called(hook), False)
    else:
        raise ValueError(f"Hook {name} on {cls} must be callable, received {hook!r}")
    _PLANS[key] = plan
    return plan


def _awaited(hook: Callable[[SchemaExtension], Any]) -> Factory:
    @contextlib.asynccontextmanager
    async def entered(extension: SchemaExtension) -> AsyncIterator[None]:
        await hook(extension)
        yield

    return entered


def _called(hook: Callable[[SchemaExtension], Any]) -> Factory:
    @contextlib.contextmanager
    def entered(extension: SchemaExtension) -> Iterator[None]:
        hook(extension)
        yield

    return entered


def _hooks(extensions: list[SchemaExtension], name: str) -> list[WrappedHook]:
    hooks = []
    for extension in extensions:
        plan = _plan(type(extension), name)
        if plan is not None:
            factory, is_async = plan
            hooks.append(WrappedHook(extension, partial(factory, extension), is_async))
    return hooks


class _Operation(OperationContextManager):
    __slots__ = ()

    def __init__(self, extensions: list[SchemaExtension]) -> None:
        self.hooks = _hooks(extensions, self.HOOK_NAME)


class _Parsing(ParsingContextManager):
    __slots__ = ()

    def __init__(self, extensions: list[SchemaExtension]) -> None:
        self.hooks = _hooks(extensions, self.HOOK_NAME)


class _Validation(ValidationContextManager):
    __slots__ = ()

    def __init__(self, extensions: list[SchemaExtension]) -> None:
        self.hooks = _hooks(extensions, self.HOOK_NAME)


class _Executing(ExecutingContextManager):
    __slots__ = ()

    def __init__(self, extensions: list[SchemaExtension]) -> None:
        self.hooks = _hooks(extensions, self.HOOK_NAME)


class LeanExtensionsRunner(SchemaExtensionsRunner):
    """Strawberry's runner with each class's hooks looked up once."""

    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)
