"""Shared pieces of the services' typed inputs."""

from __future__ import annotations

from enum import Enum
from typing import Final


class _Unchanged(Enum):
    UNCHANGED = "UNCHANGED"

    def __repr__(self) -> str:
        return "UNCHANGED"


# An update input's field that the caller did not give (as distinct from null).
UNCHANGED: Final = _Unchanged.UNCHANGED
Unchanged = _Unchanged
