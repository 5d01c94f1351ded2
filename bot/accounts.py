"""Builds the provider pool from Settings: one account per key, in PROVIDERS order."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp

from bot.provider import Provider
from bot.provider.acedata import AceDataClient
from bot.provider.demo import DemoProvider
from bot.provider.mjproxy import MjProxyClient
from bot.provider.pool import Account, ProviderPool, account_key, mask
from bot.provider.ttapi import TTApiClient
from bot.settings import Settings


@contextlib.asynccontextmanager
async def provider_pool(
    settings: Settings, session: aiohttp.ClientSession
) -> AsyncIterator[ProviderPool]:
    """Every configured account; clients holding servers or streams are closed on exit."""
    accounts = [
        account for name in settings.providers for account in _accounts(name, settings, session)
    ]
    try:
        yield ProviderPool(accounts)
    finally:
        for account in accounts:
            close = getattr(account.client, "close", None)
            if close is not None:
                await close()


def _accounts(name: str, settings: Settings, session: aiohttp.ClientSession) -> list[Account]:
    cap = settings.max_jobs_in_progress
    if name == "ttapi":
        return [
            _account(
                name, key.get(), TTApiClient(session, key.get(), settings.tt_api_base_url), cap
            )
            for key in settings.tt_api_keys
        ]
    if name == "mjproxy":
        url = settings.mjproxy_base_url or ""
        secret = settings.mjproxy_secret.get() if settings.mjproxy_secret else ""
        # A proxy without a secret is still one account: its URL identifies it.
        return [_account(name, secret or url, MjProxyClient(session, url, secret or None), cap)]
    if name == "acedata":
        token = settings.acedata_token.get() if settings.acedata_token else ""
        client = AceDataClient(session, token, settings.acedata_base_url)
        return [_account(name, token, client, cap)]
    return [Account(name, "demo:local", "", DemoProvider(), cap)]


def _account(name: str, secret: str, client: Provider, cap: int) -> Account:
    return Account(name, account_key(name, secret), mask(secret), client, cap)
