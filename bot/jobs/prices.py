"""Price tables: what a job is expected to cost, in the provider's credits, before it is sent.

One table per provider: a base price per kind of request (at fast speed) and a factor per
mode. The owner may override any of it in a JSON file (PRICES_FILE) or with
`/mj-admin prices`; the file is rewritten on every change, so the two never disagree.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from bot.jobs.models import Job, JobKind, NewJob

log = logging.getLogger(__name__)

# TT API quota units (100 = 1 USD). Sources in ../shared/reference/ttapi.md: 30 free credits buy
# "10 imagines" (B-devto, so ~3 an imagine; fetch then reports "2", D-fetch), an upsample was
# charged 2 (M-account). Nothing documents the other actions: those that render a new grid are
# priced like an imagine, the rest like the nearest documented one. The reported quota always
# replaces the estimate once a job ends.
TTAPI_PRICES: Final = MappingProxyType(
    {
        "imagine": 3.0,
        "imagine_v6": 4.5,  # "Imagine with Midjourney 6.0 costs 1.5 times" [S000]
        "reroll": 3.0,
        "variation": 3.0,  # V1-V4
        "vary": 3.0,  # Vary (Subtle/Strong)
        "zoom": 3.0,
        "pan": 3.0,
        "inpaint": 3.0,  # Vary (Region)
        "blend": 3.0,
        "upsample": 2.0,  # U1-U4
        "upscale": 3.0,  # Upscale (Subtle/Creative/2x/4x)
        "describe": 1.0,
        "seed": 0.5,
        "action": 3.0,  # any other button
    }
)
# Turbo costs double, relax half [S000 FAQ, the issue].
MODE_FACTORS: Final = MappingProxyType({"fast": 1.0, "turbo": 2.0, "relax": 0.5})
MAX_PRICE: Final = 10_000.0


class PricesError(ValueError):
    """A price file or a price change that makes no sense; the text says why."""


def price_key(kind: JobKind, action: str | None, prompt: str = "") -> str:
    """The price table row for a request: imagine, upsample, variation, zoom, ..."""
    if kind is JobKind.IMAGINE and _V6_0.search(prompt):
        return "imagine_v6"
    if kind is not JobKind.ACTION:
        return kind.value
    name = action or ""
    for pattern, key in _ACTION_KEYS:
        if re.fullmatch(pattern, name):
            return key
    return "action"


# --v 6 / --v 6.0 / --version 6.0, not 6.1 or later (the docs name 6.0 only).
_V6_0: Final = re.compile(r"--(?:v|version)\s+6(?:\.0)?(?![.\d])", re.IGNORECASE)
_ACTION_KEYS: Final = (
    (r"upsample\d", "upsample"),
    (r"upscale.*", "upscale"),
    (r"variation\d", "variation"),
    (r"(high|low)_variation", "vary"),
    (r"zoom.*", "zoom"),
    (r"pan_.*", "pan"),
    (r"reroll", "reroll"),
)


@dataclass(frozen=True, slots=True)
class PriceTable:
    """One provider's prices: base credits per request at fast speed, and mode factors."""

    prices: Mapping[str, float] = field(default_factory=lambda: dict(TTAPI_PRICES))
    modes: Mapping[str, float] = field(default_factory=lambda: dict(MODE_FACTORS))

    def estimate(self, kind: JobKind, action: str | None, mode: str, prompt: str = "") -> float:
        """Expected credits for one request."""
        base = self.prices.get(price_key(kind, action, prompt), self.prices.get("action", 3.0))
        return round(base * self.modes.get(mode, 1.0), 4)

    def to_json(self) -> dict[str, dict[str, float]]:
        """The file form of this table."""
        return {"prices": dict(self.prices), "modes": dict(self.modes)}


class PriceBook:
    """Every provider's table, the file they are kept in, and the one way to change them."""

    def __init__(
        self, tables: Mapping[str, PriceTable] | None = None, path: Path | None = None
    ) -> None:
        self._tables = dict(tables or {})
        self._path = path
        self._lock = asyncio.Lock()

    @classmethod
    def load(cls, path: Path | None) -> PriceBook:
        """Defaults, overridden by the file when it exists; PricesError when it is wrong."""
        if path is None or not path.exists():
            return cls(path=path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise PricesError(f"cannot read {path}: {error.strerror}") from None
        return cls(parse_prices(text), path)

    def table(self, provider: str = "ttapi") -> PriceTable:
        """A provider's table (the TT API defaults until the owner changes something)."""
        return self._tables.get(provider) or PriceTable()

    def estimate(self, job: NewJob | Job) -> float:
        """Expected credits for a job, by its provider's table."""
        return self.table(job.provider).estimate(job.kind, job.action, job.mode, job.prompt)

    async def set_price(self, provider: str, key: str, credits: float) -> PriceTable:
        """Change one base price (a key of TTAPI_PRICES) and save the file."""
        if key not in TTAPI_PRICES:
            raise PricesError(f"“{key}” is not a price; use one of {', '.join(TTAPI_PRICES)}.")
        _check_number(key, credits)
        table = self.table(provider)
        return await self._save(provider, replace(table, prices={**table.prices, key: credits}))

    async def set_mode_factor(self, provider: str, mode: str, factor: float) -> PriceTable:
        """Change a mode's factor (turbo 2 = twice the fast price) and save the file."""
        if mode not in MODE_FACTORS:
            raise PricesError(f"“{mode}” is not a mode; use fast, relax or turbo.")
        _check_number(mode, factor)
        table = self.table(provider)
        return await self._save(provider, replace(table, modes={**table.modes, mode: factor}))

    async def _save(self, provider: str, table: PriceTable) -> PriceTable:
        async with self._lock:
            tables = {**self._tables, provider: table}
            if self._path is not None:
                text = json.dumps({name: t.to_json() for name, t in tables.items()}, indent=2)
                try:
                    await asyncio.to_thread(_write_atomically, self._path, text)
                except OSError as error:  # the file first: a change that is not saved is not made
                    raise PricesError(
                        f"could not save {self._path} ({error.strerror}); nothing changed."
                    ) from None
                log.info("prices of %s saved to %s", provider, self._path)
            self._tables = tables
        return table


def parse_prices(text: str) -> dict[str, PriceTable]:
    """Tables from the file's JSON; anything missing keeps its default."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise PricesError(f"not valid JSON (line {error.lineno}: {error.msg}).") from None
    if not isinstance(data, dict):
        raise PricesError('expected a JSON object such as {"ttapi": {"prices": {"imagine": 3}}}.')
    return {str(provider): _table(str(provider), body) for provider, body in data.items()}


def _table(provider: str, body: Any) -> PriceTable:
    if not isinstance(body, dict) or set(body) - {"prices", "modes"}:
        raise PricesError(f"“{provider}” must hold only “prices” and “modes” objects.")
    prices = _numbers(f"{provider}.prices", body.get("prices", {}), TTAPI_PRICES)
    modes = _numbers(f"{provider}.modes", body.get("modes", {}), MODE_FACTORS)
    return PriceTable({**TTAPI_PRICES, **prices}, {**MODE_FACTORS, **modes})


def _numbers(where: str, values: Any, known: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(values, dict):
        raise PricesError(f"“{where}” must be an object of numbers.")
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise PricesError(f"“{where}” has unknown names {unknown}; known: {', '.join(known)}.")
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PricesError(f"“{where}.{name}” must be a number, got {value!r}.")
        _check_number(f"{where}.{name}", float(value))
    return {name: float(value) for name, value in values.items()}


def _check_number(name: str, value: float) -> None:
    if not 0 <= value <= MAX_PRICE:
        raise PricesError(f"“{name}” must be from 0 to {MAX_PRICE:g}, got {value:g}.")


def _write_atomically(path: Path, text: str) -> None:
    """Write next to the file, then rename over it: a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text + "\n", encoding="utf-8")
    os.replace(temporary, path)
