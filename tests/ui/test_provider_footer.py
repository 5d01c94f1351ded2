"""The result footer names the provider only when more than one is configured; the admin
status lines show every account with its key masked."""

from __future__ import annotations

import aiohttp
import pytest

from bot.provider.pool import AccountStatus
from bot.ui.accounts import account_lines
from bot.ui.results import render
from tests.ui.conftest import make_job


@pytest.mark.parametrize(
    ("providers", "footer"),
    [
        ((), "Job 7 · fast"),
        (("mjproxy",), "Job 7 · fast"),
        (("ttapi", "mjproxy"), "Job 7 · fast · midjourney-proxy"),
    ],
)
async def test_footer_names_the_provider_only_among_several(
    providers: tuple[str, ...], footer: str
) -> None:
    job = make_job(provider="mjproxy", image_url=None)
    async with aiohttp.ClientSession() as session:
        rendered = await render(job, session, providers=providers)
    assert rendered.embeds[-1].footer.text == footer


def test_status_lines_show_health_balance_and_slots() -> None:
    lines = account_lines(
        [
            AccountStatus("ttapi", "…1111", True, None, None, 980.0, 3, 10),
            AccountStatus("ttapi", "…2222", False, "out of credits", 42.4, 0.0, 0, 10),
            AccountStatus("mjproxy", "…3333", True, None, None, None, 1, 5),
        ]
    )
    assert lines == [
        "TT API …1111: healthy · balance 980 · 3/10 in flight",
        "TT API …2222: **unhealthy**: out of credits, retried in 42s · balance 0 · 0/10 in flight",
        "midjourney-proxy …3333: healthy · 1/5 in flight",
    ]
