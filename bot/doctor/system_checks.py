"""Doctor checks that need no Discord: settings, provider accounts, database, public URL."""

from __future__ import annotations

import dataclasses
import hmac
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp

from bot.doctor.network import NETWORK_ERRORS, describe
from bot.doctor.report import Finding, fail, ok, warn
from bot.jobs.store.health import database_health
from bot.jobs.translate import TranslateError, Translator
from bot.jobs.webhook import health_proof
from bot.provider import ErrorKind, ProviderError
from bot.provider.ttapi import TTApiClient
from bot.settings import Secret, Settings, SettingsError

LOW_BALANCE = 30.0  # quota units: about ten fast imagines
_VARIABLES = {"webhook_host": "WEBHOOK_BIND", "webhook_port": None}  # one variable, two fields
_NOTES = {
    "dev_guild_id": "commands are synced to this one server only; empty it for every server",
    "log_level": "DEBUG logs a lot; INFO is the usual level",
}


def check_settings(settings: Settings) -> list[Finding]:
    """Every setting as the bot reads it at start-up; secrets only say that they are set."""
    findings = []
    for field in dataclasses.fields(settings):
        name = _VARIABLES.get(field.name, field.name.upper())
        if name is None:
            continue
        value = getattr(settings, field.name)
        if field.name == "webhook_host":
            value = f"{settings.webhook_host}:{settings.webhook_port}"
        shown = _show(value)
        note = _NOTES.get(field.name)
        if note and (field.name != "log_level" or value == "DEBUG") and value:
            findings.append(warn(name, shown, note))
        else:
            findings.append(ok(name, shown))
    return findings


def settings_failures(error: SettingsError) -> list[Finding]:
    """The problems that stop the bot from starting, one ❌ line each."""
    fix = "set it in .env (see .env.example) or in the environment"
    return [fail(*_split(problem), fix) for problem in error.problems]


async def check_provider(
    session: aiohttp.ClientSession, settings: Settings, name: str = "TT API account"
) -> list[Finding]:
    """The key is accepted, the balance, and the account's cap against MAX_JOBS_IN_PROGRESS."""
    client = TTApiClient(session, settings.tt_api_key.get(), settings.tt_api_base_url, attempts=1)
    try:
        info = await client.info()
    except ProviderError as error:
        return [_provider_failure(name, error, settings.tt_api_base_url)]
    balance = "unknown" if info.balance is None else f"{info.balance:g} credits"
    findings = [ok(name, f"key accepted · balance {balance}")]
    if info.balance is not None and info.balance < LOW_BALANCE:
        status = fail if info.balance <= 0 else warn
        findings.append(status(name, f"balance is low ({balance})", "top up at https://ttapi.io"))
    cap = info.max_queue
    if cap is not None and settings.max_jobs_in_progress > cap:
        findings.append(
            warn(
                "MAX_JOBS_IN_PROGRESS",
                f"{settings.max_jobs_in_progress}, but the account runs {cap} at once",
                f"set MAX_JOBS_IN_PROGRESS={cap}: jobs past the cap are refused and re-queued",
            )
        )
    elif cap is not None:
        findings.append(ok(f"{name} cap", f"{cap} jobs at once"))
    return findings


def _provider_failure(name: str, error: ProviderError, base_url: str) -> Finding:
    fixes = {
        ErrorKind.AUTH: (
            "key rejected (401)",
            "copy the key again from https://ttapi.io into TT_API_KEY",
        ),
        ErrorKind.BALANCE: ("balance used up (402)", "top up at https://ttapi.io"),
        ErrorKind.BLOCKED: ("account blocked (403)", "contact TT API support"),
    }
    detail, fix = fixes.get(
        error.kind, (f"{base_url} failed: {error.message}", "check TT_API_BASE_URL and the network")
    )
    return fail(name, detail, fix)


async def check_database(path: Path) -> list[Finding]:
    """Writable, in WAL mode, passes quick_check; its size."""
    health = await database_health(path)
    subject = f"Database {path}"
    if not health.exists:
        if health.writable:
            return [ok(subject, "not created yet; the bot creates it at first start")]
        return [
            fail(subject, "its folder is not writable", "fix the folder's owner or DATABASE_PATH")
        ]
    if health.error:
        return [fail(subject, f"cannot be opened ({health.error})", "check the file's permissions")]
    size = f"{health.size_bytes / 1_048_576:.1f} MB"
    findings = [ok(subject, f"{size}, quick_check {health.quick_check}")]
    if not health.writable:
        findings.append(fail(subject, "read-only", "give the bot's user write access to it"))
    if health.quick_check != "ok":
        fix = "stop the bot and restore a backup (sqlite3 .recover can save what is left)"
        findings.append(fail(subject, "quick_check failed", fix))
    if health.journal_mode.lower() != "wal":
        fix = "start the bot once: it switches the file to WAL"
        findings.append(warn(subject, f"journal mode {health.journal_mode}", fix))
    return findings


async def check_public_url(
    session: aiohttp.ClientSession, base_url: str, secret: str | None
) -> Finding:
    """GET <PUBLIC_BASE_URL>/healthz with a fresh nonce; only this bot can answer it right."""
    subject = "PUBLIC_BASE_URL"
    nonce = secrets.token_urlsafe(16)
    fix = (
        "make that URL reach WEBHOOK_BIND on this machine (port forwarding, reverse proxy, "
        "firewall), or empty PUBLIC_BASE_URL to poll only"
    )
    try:
        timeout = aiohttp.ClientTimeout(total=10)
        async with session.get(
            f"{base_url}/healthz", params={"nonce": nonce}, timeout=timeout
        ) as r:
            body: Any = await r.json(content_type=None) if r.status == 200 else None
    except ValueError:
        return fail(subject, f"{base_url}/healthz does not answer JSON: not this bot", fix)
    except NETWORK_ERRORS as error:
        return fail(subject, describe(error, base_url), fix)
    if not isinstance(body, Mapping) or body.get("nonce") != nonce:
        return fail(subject, f"{base_url} answers, but it is not this bot", fix)
    proof = body.get("proof")
    if secret and not (
        isinstance(proof, str) and hmac.compare_digest(proof, health_proof(secret, nonce))
    ):
        return fail(subject, f"{base_url} is another mjbot (a different secret)", fix)
    return ok(subject, f"{base_url} reaches this bot from outside")


async def check_translation(session: aiohttp.ClientSession, settings: Settings) -> Finding:
    """TRANSLATE_URL answers a language detection with the configured key."""
    key = settings.translate_api_key.get() if settings.translate_api_key else None
    translator = Translator(session, settings.translate_url or "", key)
    try:
        language, _ = await translator.detect("Ein Hund läuft durch den Schnee")
    except TranslateError as error:
        fix = "check TRANSLATE_URL and TRANSLATE_API_KEY; until then prompts go as typed"
        return fail("TRANSLATE_URL", f"{settings.translate_url}: {error}", fix)
    return ok(
        "TRANSLATE_URL", f"{settings.translate_url} answers (German detected as {language!r})"
    )


def _show(value: Any) -> str:
    if isinstance(value, Secret):
        return "set (hidden)" if value else "not set"
    if value is None or value == frozenset():
        return "not set"
    if isinstance(value, frozenset | set | tuple | list):
        return ", ".join(str(v) for v in sorted(value))
    return str(value)


def _split(problem: str) -> tuple[str, str]:
    name, _, text = problem.partition(": ")
    return (name, text) if text else ("Settings", problem)
