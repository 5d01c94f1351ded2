"""The doctor against local fakes: each problem it must find, with its fix, and exit codes."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.doctor.report import Finding, Status, exit_code, render
from bot.doctor.run import collect
from bot.jobs.store import Store
from bot.jobs.webhook import HookServer, health_proof
from fakes.discord import CHANNEL_ID
from fakes.discord_rest import FakeDiscordRest
from fakes.libretranslate import FakeLibreTranslate
from fakes.ttapi import FakeTTApi
from tests.doctor.conftest import BOT_TOKEN, MakeSettings, free_port

ATTACH_FILES = 1 << 15
ROOT = Path(__file__).resolve().parents[2]


def failures(findings: list[Finding]) -> list[str]:
    return [f.line() for f in findings if f.status is Status.FAIL]


def warnings(findings: list[Finding]) -> list[str]:
    return [f.line() for f in findings if f.status is Status.WARN]


async def test_a_healthy_setup_has_no_failure(
    discord_fake: FakeDiscordRest, make_settings: MakeSettings
) -> None:
    findings = await collect(make_settings())
    assert failures(findings) == []
    assert exit_code(findings) == 0
    text = render(findings)
    assert "✅ Discord token: accepted" in text
    assert "✅ TT API account: key accepted · balance 1000 credits" in text
    assert "can post in all 1 text channel(s)" in text
    assert "✅ DATABASE_PATH" in text
    assert "✅ TT_API_KEY: set (hidden)" in text
    assert "right-key" not in text
    assert BOT_TOKEN not in text


async def test_wrong_provider_key_is_a_failure_with_its_fix(
    discord_fake: FakeDiscordRest, make_settings: MakeSettings
) -> None:
    findings = await collect(make_settings(TT_API_KEY="wrong-key"))
    assert failures(findings) == [
        "❌ TT API account: key rejected (401) → copy the key again from https://ttapi.io "
        "into TT_API_KEY"
    ]
    assert exit_code(findings) == 1


async def test_rejected_discord_token_says_to_reset_it(
    discord_fake: FakeDiscordRest, make_settings: MakeSettings
) -> None:
    discord_fake.bot_token = BOT_TOKEN + "x"  # the real one was reset since
    findings = await collect(make_settings())
    [line] = failures(findings)
    assert line.startswith("❌ Discord token: rejected by Discord (401) → reset the token")
    assert "Reset Token" in line


async def test_missing_channel_permission_names_channel_and_fix(
    discord_fake: FakeDiscordRest, make_settings: MakeSettings
) -> None:
    discord_fake.deny(CHANNEL_ID, ATTACH_FILES)
    findings = await collect(make_settings())
    [line] = failures(findings)
    assert "Test Server #general: missing Attach Files" in line
    assert "Edit Channel → Permissions: allow Attach Files" in line


async def test_only_allowed_channels_are_checked(
    discord_fake: FakeDiscordRest, make_settings: MakeSettings, tmp_path: Path
) -> None:
    other = CHANNEL_ID + 1
    discord_fake.add_channel(other, name="art")
    discord_fake.deny(CHANNEL_ID, ATTACH_FILES)  # not allowed, so it does not matter
    store = await Store.open(tmp_path / "mjbot.db")
    await store.migrate()
    await store.allow_channel(discord_fake.guild_id, other)
    await store.allow_channel(discord_fake.guild_id, other + 5)  # deleted since
    await store.close()
    findings = await collect(make_settings())
    assert failures(findings) == [
        f"❌ Test Server: channel {other + 5}: is allowed but no longer exists → "
        "/mj-admin channels deny"
    ]


async def test_public_application_is_a_warning(
    discord_fake: FakeDiscordRest, make_settings: MakeSettings
) -> None:
    discord_fake.bot_public = True
    findings = await collect(make_settings())
    assert any(line.startswith("⚠️ Application: public") for line in warnings(findings))
    assert exit_code(findings) == 0


async def test_unreachable_public_url_is_a_failure(
    discord_fake: FakeDiscordRest, make_settings: MakeSettings
) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    findings = await collect(
        make_settings(PUBLIC_BASE_URL=base, WEBHOOK_BIND=f"127.0.0.1:{free_port()}")
    )
    [line] = failures(findings)
    assert line.startswith("❌ PUBLIC_BASE_URL: cannot reach 127.0.0.1: the connection was refused")
    assert "WEBHOOK_BIND" in line


async def test_public_url_reaching_this_machine_passes(
    discord_fake: FakeDiscordRest, make_settings: MakeSettings
) -> None:
    port = free_port()  # the public URL leads to WEBHOOK_BIND: the doctor's stand-in answers
    settings = make_settings(
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", WEBHOOK_BIND=f"127.0.0.1:{port}"
    )
    findings = await collect(settings)
    assert failures(findings) == []
    assert f"✅ PUBLIC_BASE_URL: http://127.0.0.1:{port} reaches this bot" in render(findings)


async def test_another_server_behind_the_public_url_fails(
    discord_fake: FakeDiscordRest, make_settings: MakeSettings
) -> None:
    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "nonce": "guessed-nonce"})

    app = web.Application()
    app.router.add_get("/healthz", health)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        findings = await collect(
            make_settings(
                PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
                WEBHOOK_BIND=f"127.0.0.1:{free_port()}",
            )
        )
    finally:
        await runner.cleanup()
    [line] = failures(findings)
    assert "answers, but it is not this bot" in line


async def test_hook_server_healthz_echoes_nonce_with_proof() -> None:
    server = HookServer(None, "s" * 24)  # type: ignore[arg-type] - /healthz needs no watcher
    await server.start("127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{server.port}/healthz"
            async with session.get(url, params={"nonce": "n0nce-123"}) as response:
                body = await response.json()
            async with session.get(url, params={"nonce": "<script>"}) as response:
                hostile = await response.json()
    finally:
        await server.stop()
    assert body["nonce"] == "n0nce-123"
    assert body["proof"] == health_proof("s" * 24, "n0nce-123")
    assert "nonce" not in hostile  # only doctor-shaped nonces are echoed


async def test_unreadable_or_corrupt_database_fails(
    discord_fake: FakeDiscordRest, make_settings: MakeSettings, tmp_path: Path
) -> None:
    path = tmp_path / "broken.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    findings = await collect(make_settings(DATABASE_PATH=str(path)))
    assert any("Database" in line and "broken.db" in line for line in failures(findings))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files anyway")
async def test_read_only_database_fails(
    discord_fake: FakeDiscordRest, make_settings: MakeSettings, tmp_path: Path
) -> None:
    path = tmp_path / "ro.db"
    store = await Store.open(path)
    await store.migrate()
    await store.close()
    path.chmod(0o444)
    try:
        findings = await collect(make_settings(DATABASE_PATH=str(path)))
    finally:
        path.chmod(0o644)
    assert any("read-only" in line for line in failures(findings))


async def test_low_balance_and_cap_above_the_account(
    discord_fake: FakeDiscordRest, make_settings: MakeSettings, tt: FakeTTApi
) -> None:
    tt.max_in_progress = 3
    findings = await collect(make_settings(MAX_JOBS_IN_PROGRESS="10"))
    assert any(
        line.startswith("⚠️ MAX_JOBS_IN_PROGRESS: 10, but the account runs 3 at once")
        for line in warnings(findings)
    )


# -- the command line --------------------------------------------------------------------


async def run_doctor(cwd: Path, discord_base: str, **env: str) -> tuple[int, str, str]:
    """`python -m bot doctor` in a subprocess, with discord.py pointed at the fake."""
    code = (
        "import sys; from fakes.e2e.launcher import point_discord_at; "
        f"point_discord_at({discord_base!r}); sys.argv = ['bot', 'doctor']; "
        "from bot.__main__ import main; sys.exit(main())"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_cli_exit_codes(discord_fake: FakeDiscordRest, tt: FakeTTApi, tmp_path: Path) -> None:
    env = {
        "DISCORD_TOKEN": BOT_TOKEN,
        "TT_API_KEY": "right-key",
        "TT_API_BASE_URL": tt.base_url,
        "DATABASE_PATH": str(tmp_path / "mjbot.db"),
    }
    good = await run_doctor(tmp_path, discord_fake.base_url, **env)
    assert good[0] == 0, good
    assert "Everything looks good" in good[1] or "No problems" in good[1]
    bad = await run_doctor(tmp_path, discord_fake.base_url, **(env | {"TT_API_KEY": "nope"}))
    assert bad[0] == 1
    assert "❌ TT API account: key rejected" in bad[1]
    invalid = await run_doctor(tmp_path, discord_fake.base_url, DEFAULT_MODE="slow")
    assert invalid[0] == 2
    assert "❌ DISCORD_TOKEN" in invalid[2]
    assert "❌ DEFAULT_MODE" in invalid[2]
    assert "Traceback" not in good[2] + bad[2] + invalid[2]


async def test_translation_service_with_a_wrong_key_fails(
    discord_fake: FakeDiscordRest, make_settings: MakeSettings
) -> None:
    async with FakeLibreTranslate(api_key="lt-right") as lt:
        good = await collect(make_settings(TRANSLATE_URL=lt.base_url, TRANSLATE_API_KEY="lt-right"))
        bad = await collect(make_settings(TRANSLATE_URL=lt.base_url, TRANSLATE_API_KEY="lt-wrong"))
    assert failures(good) == []
    assert f"✅ TRANSLATE_URL: {lt.base_url} answers" in render(good)
    [line] = failures(bad)
    assert "refused the API key" in line
    assert "lt-wrong" not in render(bad)
