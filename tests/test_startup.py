"""Start-up that speaks: no network, a refused token and a refused key, each in one line."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
from pathlib import Path

import aiohttp
import discord
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from discord.http import HTTPClient

from bot.provider.ttapi import TTApiClient
from bot.startup import StartupError, check_provider_key, wait_for_discord
from fakes.discord import FakeDiscord
from fakes.ttapi import FakeTTApi

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "MTE4NjM1MDAwMDAwMDAwMDAwMQ.GfAkEs.fake-token-for-tests-only_0123456789abc"


class FlakyDns(AbstractResolver):
    """A resolver that fails like a machine without network, then resolves to 127.0.0.1."""

    def __init__(self, failures: int, port: int) -> None:
        self.failures = failures
        self.port = port
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if len(self.asked) <= self.failures:
            raise OSError(socket.EAI_NONAME, "Name or service not known")
        return [
            ResolveResult(
                hostname=host, host="127.0.0.1", port=self.port, family=socket.AF_INET,
                proto=0, flags=socket.AI_NUMERICHOST,
            )
        ]  # fmt: skip

    async def close(self) -> None:
        """Nothing to release."""


async def test_dns_failure_is_one_line_then_backs_off_until_it_works(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeDiscord(bot_token=TOKEN) as fake:
        port = int(fake.base_url.rsplit(":", 1)[1])
        monkeypatch.setattr(discord.http.Route, "BASE", f"http://discord.example:{port}/api/v10")
        dns = FlakyDns(failures=3, port=port)
        loop = asyncio.get_running_loop()
        delays: list[float] = []

        async def sleep(delay: float) -> None:
            delays.append(delay)

        def http() -> HTTPClient:
            return HTTPClient(loop, connector=aiohttp.TCPConnector(resolver=dns))

        with caplog.at_level(logging.WARNING, logger="bot.startup"):
            await wait_for_discord(TOKEN, http_factory=http, sleep=sleep)

    assert delays == [1, 2, 4]
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "cannot reach discord.example: the name could not be resolved: no network, or DNS is "
        f"not working; retrying in {delay:g} s"
        for delay in (1, 2, 4)
    ]
    assert all(record.exc_info is None for record in caplog.records)  # no traceback
    assert len(fake.requests_to("GET", "^/users/@me$")) == 1


async def test_back_off_is_capped_at_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    async with FakeDiscord(bot_token=TOKEN) as fake:
        port = int(fake.base_url.rsplit(":", 1)[1])
        monkeypatch.setattr(discord.http.Route, "BASE", f"http://discord.example:{port}/api/v10")
        dns = FlakyDns(failures=9, port=port)
        loop = asyncio.get_running_loop()
        delays: list[float] = []

        async def sleep(delay: float) -> None:
            delays.append(delay)

        await wait_for_discord(
            TOKEN,
            http_factory=lambda: HTTPClient(loop, connector=aiohttp.TCPConnector(resolver=dns)),
            sleep=sleep,
        )
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]


async def test_rejected_token_is_final(monkeypatch: pytest.MonkeyPatch) -> None:
    async with FakeDiscord(bot_token=TOKEN) as fake:
        monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
        with pytest.raises(StartupError) as caught:
            await wait_for_discord(TOKEN + "old")
    assert caught.value.exit_code == 2
    assert "Reset Token" in caught.value.text


async def test_rejected_provider_key_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    async with FakeTTApi(api_key="right") as tt, aiohttp.ClientSession() as session:
        client = TTApiClient(session, "wrong", tt.base_url, attempts=1)
        with caplog.at_level(logging.WARNING, logger="bot.startup"):
            problem = await check_provider_key(client, tt.base_url)
    [record] = caplog.records
    assert record.getMessage() == problem
    assert problem.startswith("the TT API rejected TT_API_KEY (401)")
    async with FakeTTApi(api_key="right") as tt, aiohttp.ClientSession() as session:
        assert await check_provider_key(TTApiClient(session, "right", tt.base_url), "") is None


async def test_unreachable_provider_names_the_host(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with aiohttp.ClientSession() as session:
        base = f"http://127.0.0.1:{port}"
        with caplog.at_level(logging.WARNING, logger="bot.startup"):
            assert await check_provider_key(TTApiClient(session, "k", base, attempts=1), base)
    assert caplog.records[0].getMessage() == (
        "TT API: cannot reach 127.0.0.1: the connection was refused: nothing listens there, "
        "or a firewall says no; jobs wait and retry"
    )


# -- the real process --------------------------------------------------------------------


async def start_bot(tmp_path: Path, discord_base: str, **env: str) -> asyncio.subprocess.Process:
    """`python -m bot` through the e2e launcher, with discord.py pointed at `discord_base`."""
    variables = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "MJBOT_FAKE_DISCORD": discord_base,
        "DISCORD_TOKEN": TOKEN,
        "TT_API_KEY": "key",
        "TT_API_BASE_URL": "http://127.0.0.1:1",
        "DATABASE_PATH": str(tmp_path / "mjbot.db"),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "fakes" / "e2e" / "launcher.py"),
        cwd=tmp_path,
        env=variables | env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_process_with_a_rejected_token_exits_2_in_one_line(tmp_path: Path) -> None:
    async with FakeDiscord(bot_token=TOKEN + "new") as fake:
        process = await start_bot(tmp_path, fake.base_url)
        out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    text = err.decode()
    assert "Traceback" not in text + out.decode()
    lines = [line for line in text.splitlines() if "cannot start" in line]
    assert lines == [
        "mjbot cannot start: Discord rejected DISCORD_TOKEN (401 Unauthorized). Reset it: "
        "https://discord.com/developers/applications → your app → Bot → Reset Token, put the "
        "new token in DISCORD_TOKEN, then start again."
    ]


async def test_process_without_network_says_so_and_keeps_trying(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = await start_bot(tmp_path, f"http://127.0.0.1:{port}")
    assert process.stderr is not None
    seen: list[str] = []
    try:
        while len(seen) < 2:
            line = await asyncio.wait_for(process.stderr.readline(), 30)
            assert line, "the bot exited instead of retrying"
            seen.append(line.decode())
    finally:
        process.terminate()
        rest = (await asyncio.wait_for(process.communicate(), 30))[1].decode()
    assert "cannot reach 127.0.0.1: the connection was refused" in seen[0]
    assert seen[0].rstrip().endswith("retrying in 1 s")
    assert seen[1].rstrip().endswith("retrying in 2 s")
    assert "Traceback" not in "".join(seen) + rest
