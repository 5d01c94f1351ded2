"""Price tables: the estimate of each request, the owner's file, and changes to it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.jobs.models import JobKind
from bot.jobs.prices import PriceBook, PricesError, PriceTable, parse_prices, price_key
from tests.jobs.conftest import new_job


@pytest.mark.parametrize(
    ("kind", "action", "key"),
    [
        (JobKind.IMAGINE, None, "imagine"),
        (JobKind.BLEND, None, "blend"),
        (JobKind.DESCRIBE, None, "describe"),
        (JobKind.SEED, None, "seed"),
        (JobKind.INPAINT, None, "inpaint"),
        (JobKind.ACTION, "upsample3", "upsample"),
        (JobKind.ACTION, "upscale_creative", "upscale"),
        (JobKind.ACTION, "upscale4", "upscale"),
        (JobKind.ACTION, "variation2", "variation"),
        (JobKind.ACTION, "high_variation", "vary"),
        (JobKind.ACTION, "zoom_out_1_5", "zoom"),
        (JobKind.ACTION, "pan_left", "pan"),
        (JobKind.ACTION, "reroll", "reroll"),
        (JobKind.ACTION, "something_new", "action"),
    ],
)
def test_every_request_has_a_price_row(kind: JobKind, action: str | None, key: str) -> None:
    assert price_key(kind, action) == key


@pytest.mark.parametrize(
    ("mode", "imagine", "upsample"), [("fast", 3.0, 2.0), ("turbo", 6.0, 4.0), ("relax", 1.5, 1.0)]
)
def test_turbo_costs_double_and_relax_half(mode: str, imagine: float, upsample: float) -> None:
    table = PriceTable()
    assert table.estimate(JobKind.IMAGINE, None, mode) == imagine
    assert table.estimate(JobKind.ACTION, "upsample1", mode) == upsample


@pytest.mark.parametrize(
    ("prompt", "key"),
    [
        ("a cat --v 6", "imagine_v6"),
        ("a cat --v 6.0 --ar 3:2", "imagine_v6"),
        ("a cat --version 6.0", "imagine_v6"),
        ("a cat --v 6.1", "imagine"),
        ("a cat --v 7", "imagine"),
        ("a cat --v 60", "imagine"),
        ("a cat", "imagine"),
    ],
)
def test_an_imagine_with_midjourney_6_0_costs_half_as_much_again(prompt: str, key: str) -> None:
    assert price_key(JobKind.IMAGINE, None, prompt) == key
    expected = {"imagine_v6": 4.5, "imagine": 3.0}[key]
    assert PriceTable().estimate(JobKind.IMAGINE, None, "fast", prompt) == expected


def test_a_missing_file_means_the_built_in_prices(tmp_path: Path) -> None:
    book = PriceBook.load(tmp_path / "nothing.json")
    assert book.estimate(new_job(mode="turbo")) == 6.0


def test_the_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"ttapi": {"prices": {"imagine": 4}, "modes": {"turbo": 3}}}))

    book = PriceBook.load(path)

    assert book.estimate(new_job(mode="turbo")) == 12.0
    assert book.table().prices["describe"] == 1.0
    assert book.table().modes["relax"] == 0.5


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("{", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"ttapi": {"prices": {"imagine": "three"}}}', "must be a number"),
        ('{"ttapi": {"prices": {"imagine": -1}}}', "from 0 to"),
        ('{"ttapi": {"prices": {"imagin": 3}}}', "unknown names ['imagin']"),
        ('{"ttapi": {"modes": {"warp": 3}}}', "unknown names ['warp']"),
        ('{"ttapi": {"price": {}}}', "only “prices” and “modes”"),
        ('{"ttapi": {"prices": {"imagine": true}}}', "must be a number"),
    ],
)
def test_a_wrong_file_says_what_is_wrong(text: str, complaint: str) -> None:
    with pytest.raises(PricesError) as caught:
        parse_prices(text)
    assert complaint in str(caught.value)


async def test_changes_are_saved_and_survive_a_reload(tmp_path: Path) -> None:
    path = tmp_path / "data" / "prices.json"
    book = PriceBook.load(path)

    await book.set_price("ttapi", "imagine", 6.0)
    await book.set_mode_factor("ttapi", "relax", 0.25)

    reloaded = PriceBook.load(path)
    assert reloaded.estimate(new_job(mode="turbo")) == 12.0
    assert reloaded.estimate(new_job(mode="relax")) == 1.5
    assert not path.with_name("prices.json.tmp").exists()


@pytest.mark.parametrize(
    ("key", "value", "complaint"),
    [("imagin", 3.0, "is not a price"), ("imagine", -2.0, "from 0 to"), ("imagine", 1e9, "from 0")],
)
async def test_a_wrong_change_changes_nothing(
    tmp_path: Path, key: str, value: float, complaint: str
) -> None:
    path = tmp_path / "prices.json"
    book = PriceBook.load(path)
    with pytest.raises(PricesError) as caught:
        await book.set_price("ttapi", key, value)
    assert complaint in str(caught.value)
    assert not path.exists()
    assert book.table().prices["imagine"] == 3.0


async def test_a_change_that_cannot_be_saved_is_not_made(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the prices folder should be")
    book = PriceBook.load(blocker / "prices.json")

    with pytest.raises(PricesError) as caught:
        await book.set_price("ttapi", "imagine", 9.0)

    assert "could not save" in str(caught.value)
    assert book.table().prices["imagine"] == 3.0
