"""Builds the provider pool from Settings: one account per key, in PROVIDERS order."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp

from bot.provider.demo import DemoProvider
from bot.provider.pool import Account, ProviderPool, account_key, mask
from bot.provider.ttapi import TTApiClient
from bot.settings import Settings


@contextlib.asynccontextmanager
async def provider_pool(
    settings: Settings, session: aiohttp.ClientSession
) -> AsyncIterator[ProviderPool]:
    """Every configured account; the demo provider's image server is stopped on exit."""
    demo: DemoProvider | None = None
    accounts: list[Account] = []
    cap = settings.max_jobs_in_progress
    for name in settings.providers:
        if name == "ttapi":
            for key in settings.tt_api_keys:
                client = TTApiClient(session, key.get(), settings.tt_api_base_url)
                accounts.append(_account(name, key.get(), client, cap))
        elif name == "demo":
            demo = DemoProvider()
            accounts.append(Account(name, "demo:local", "", demo, cap))
        else:
            accounts.append(_other(name, settings, session))
    try:
        yield ProviderPool(accounts)
    finally:
        if demo is not None:
            await demo.close()


def _account(name: str, secret: str, client: object, cap: int) -> Account:
    return Account(name, account_key(name, secret), mask(secret), client, cap)  # type: ignore[arg-type]


def _other(name: str, settings: Settings, session: aiohttp.ClientSession) -> Account:
    raise ValueError(f"provider {name} is not available in this build")
