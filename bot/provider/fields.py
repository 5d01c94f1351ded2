"""Tolerant readers for fields of a provider's JSON: never raise, None when unusable.

A payload is data from outside, and a crash while reading one would lose a paid result, so
every parser (TT API, midjourney-proxy, AceData) reads its fields through these.
"""

from __future__ import annotations

import math
from typing import Any


def text(value: Any) -> str | None:
    """A non-empty, stripped string; None for null, containers and blanks."""
    if value is None or isinstance(value, (list, dict)):
        return None
    stripped = str(value).strip()
    return stripped or None


def number(value: Any) -> float | None:
    """A finite number from a number or numeric string; None for booleans and the rest."""
    if isinstance(value, bool):
        return None
    try:
        found = float(value)
    except (TypeError, ValueError):
        return None
    return found if math.isfinite(found) else None


def integer(value: Any) -> int | None:
    """`number`, truncated to an int."""
    found = number(value)
    return int(found) if found is not None else None
