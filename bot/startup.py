"""Start-up that speaks: one clear line for each way the first contact can fail, no traceback.

Before the bot logs in for real, a throwaway discord.py HTTP client tries the token
(GET /users/@me). A network failure names the host and its likely cause, then waits and tries
again with back-off (a server that boots before its network is common); a rejected token is
final. The TT API key is tried once too: a refusal is a warning, jobs report it as they fail.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import discord
from discord.http import HTTPClient, Route

from bot.doctor.network import NETWORK_ERRORS, describe
from bot.provider import ErrorKind, Provider, ProviderError
from bot.provider.pool import ProviderPool

log = logging.getLogger(__name__)

EXIT_LOGIN_REFUSED = 2
FIRST_DELAY = 1.0
MAX_DELAY = 60.0
LOGIN_REFUSED = (
    "Discord rejected DISCORD_TOKEN (401 Unauthorized). Reset it: "
    "https://discord.com/developers/applications → your app → Bot → Reset Token, "
    "put the new token in DISCORD_TOKEN, then start again."
)


class StartupError(Exception):
    """The bot cannot start; `text` is the one line the owner reads."""

    def __init__(self, text: str, exit_code: int) -> None:
        self.text = text
        self.exit_code = exit_code
        super().__init__(text)


async def wait_for_discord(
    token: str,
    *,
    http_factory: Callable[[], HTTPClient] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Return once Discord accepts the token; retry network failures, raise on a rejection."""
    make = http_factory or (lambda: HTTPClient(asyncio.get_running_loop()))
    delay = FIRST_DELAY
    while True:
        problem = await _try_login(make(), token)
        if problem is None:
            return
        log.warning("%s; retrying in %g s", problem, delay)
        await sleep(delay)
        delay = min(delay * 2, MAX_DELAY)


async def _try_login(http: HTTPClient, token: str) -> str | None:
    """None when the token is accepted, else why it could not be tried."""
    try:
        await http.static_login(token)
    except discord.LoginFailure:
        raise StartupError(LOGIN_REFUSED, EXIT_LOGIN_REFUSED) from None
    except discord.DiscordServerError as error:
        return f"Discord is having trouble (HTTP {error.status})"
    except NETWORK_ERRORS as error:
        return describe(error, Route.BASE)
    finally:
        await http.close()
    return None


async def check_provider_key(provider: Provider, base_url: str) -> str | None:
    """Try the key once (a free call); the problem, also logged as a warning, or None."""
    try:
        await provider.info()
    except ProviderError as error:
        problem = provider_problem(error, base_url)
        log.warning("%s", problem)
        return problem
    return None


# A key check must not hold the start-up long when a provider is slow to answer.
KEY_CHECK_TIMEOUT = 15.0


async def check_accounts(pool: ProviderPool, tt_base_url: str) -> str | None:
    """Ask every account once (free calls): a refused key is a warning, and the pool rests
    that account so new jobs go to the next; the problems in one line, or None."""
    problems = []
    for account in pool.accounts:
        try:
            await asyncio.wait_for(account.client.info(), KEY_CHECK_TIMEOUT)
            continue
        except ProviderError as error:
            pool.note_failure(account, error)
            if account.provider == "ttapi":  # the owner's usual case: say exactly what to do
                problem = provider_problem(error, tt_base_url)
            else:
                problem = f"{account.provider} ({account.label}): {error}"
        except TimeoutError:
            problem = f"{account.provider} did not answer within {KEY_CHECK_TIMEOUT:g} s"
        log.warning("%s", problem)
        problems.append(problem)
    return "; ".join(problems) or None


def provider_problem(error: ProviderError, base_url: str) -> str:
    """One line for a failed provider check; the account is then treated as unhealthy."""
    if error.kind is ErrorKind.AUTH:
        return (
            "the TT API rejected TT_API_KEY (401): jobs will fail until you copy the key again "
            "from https://ttapi.io into TT_API_KEY and restart"
        )
    if error.kind is ErrorKind.BALANCE:
        return "the TT API balance is used up: jobs will fail until you top up at https://ttapi.io"
    cause = error.__cause__
    if isinstance(cause, NETWORK_ERRORS):
        return f"TT API: {describe(cause, base_url)}; jobs wait and retry"
    return f"TT API check failed ({error.kind.value}): {error.message}"
