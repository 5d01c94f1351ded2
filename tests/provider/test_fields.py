"""The tolerant field readers every provider parser shares (bot/provider/fields.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.provider.fields import integer, number, text


@pytest.mark.parametrize(
    ("value", "expected"),
    [(" a ", "a"), (7, "7"), ("", None), ("   ", None), (None, None), ([], None), ({}, None)],
)
def test_text(value: Any, expected: str | None) -> None:
    assert text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("37", 37.0),
        (2.5, 2.5),
        (True, None),
        ("nan", None),
        ("inf", None),
        ("x", None),
        (None, None),
    ],
)
def test_number(value: Any, expected: float | None) -> None:
    assert number(value) == expected


@pytest.mark.parametrize(("value", "expected"), [("93", 93), (62.9, 62), (False, None), ("", None)])
def test_integer(value: Any, expected: int | None) -> None:
    assert integer(value) == expected
