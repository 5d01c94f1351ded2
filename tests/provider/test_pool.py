"""ProviderPool on its own: choice by order and free slots, health, back-off, masking."""

from __future__ import annotations

import pytest

from bot.provider.errors import ErrorKind, ProviderError
from bot.provider.models import AccountInfo, ActionRequest, ImagineRequest, JobSnapshot
from bot.provider.pool import Account, ProviderPool, account_key, mask, refused_by_account
from fakes.ttapi import ManualClock


class Scripted:
    """A client that answers submits from a script of ids and errors."""

    name = "scripted"

    def __init__(self, *answers: str | ProviderError) -> None:
        self.answers = list(answers)
        self.sent = 0

    async def submit(self, request: object) -> str:
        self.sent += 1
        answer = self.answers.pop(0)
        if isinstance(answer, ProviderError):
            raise answer
        return answer

    async def fetch(self, job_id: str) -> JobSnapshot:
        raise ProviderError(ErrorKind.UNAVAILABLE, "down", status=503)

    async def info(self) -> AccountInfo:
        return AccountInfo(12.5, None, None)


def acct(provider: str, secret: str, client: Scripted, cap: int = 2) -> Account:
    return Account(provider, account_key(provider, secret), mask(secret), client, cap)  # type: ignore[arg-type]


def test_keys_are_masked_and_hashed() -> None:
    assert mask("tt-secret-abcd") == "…abcd"
    assert mask("abc") == "…"
    key = account_key("ttapi", "tt-secret-abcd")
    assert key.startswith("ttapi:")
    assert "abcd" not in key


def test_order_first_then_free_slots_within_a_provider() -> None:
    a, b, c = (
        acct("ttapi", "k1", Scripted()),
        acct("ttapi", "k2", Scripted()),
        acct("mjproxy", "p", Scripted()),
    )
    pool = ProviderPool([a, b, c])
    pool.reserve(1, a)
    assert pool.choose() is b  # more free slots
    pool.reserve(2, b)
    pool.reserve(3, b)
    assert pool.choose() is a
    pool.reserve(4, a)
    assert pool.choose() is c  # every TT slot taken: the next provider
    assert pool.release(4) is True
    assert pool.release(4) is False
    assert pool.choose() is a


async def test_a_rejected_key_rests_with_a_doubling_cool_down() -> None:
    clock = ManualClock(100.0)
    denied = ProviderError(ErrorKind.AUTH, "Wrong key", status=401)
    client = Scripted(denied, denied, "ok-1")
    account = acct("ttapi", "k1", client)
    pool = ProviderPool([account], clock=clock)
    rests: list[float] = []
    pool.on_rest = lambda rested: rests.append(rested.pause)
    for _ in range(2):
        with pytest.raises(ProviderError):
            await pool.submit_to(account, ImagineRequest("x"))
        assert pool.choose() is None
        assert pool.waiting_reason() == "waiting until a Midjourney account is back (key rejected)"
        pool.wake(account)
    assert rests == [30.0, 60.0]
    assert await pool.submit_to(account, ImagineRequest("x")) == "ok-1"
    assert account.reason is None
    assert account.strikes == 0


async def test_three_5xx_in_a_row_take_an_account_out() -> None:
    account = acct("ttapi", "k1", Scripted())
    pool = ProviderPool([account])
    for _ in range(2):
        with pytest.raises(ProviderError):
            await pool.fetch("job")
        assert not account.resting
    with pytest.raises(ProviderError):
        await pool.fetch("job")
    assert account.resting
    assert account.reason is not None
    assert "503" in account.reason


async def test_a_broke_account_still_takes_follow_ups_until_one_is_refused() -> None:
    broke = ProviderError(ErrorKind.BALANCE, "no credits", status=402)
    account = acct("ttapi", "k1", Scripted(broke, "upscale-1", broke))
    pool = ProviderPool([account])
    with pytest.raises(ProviderError):
        await pool.submit_to(account, ImagineRequest("grid"))
    assert pool.choose() is None  # no new grids
    assert pool.choose(account) is account  # an upscale costs less: it may still work
    await pool.submit_to(account, ActionRequest("p", "upsample1"))
    assert account.resting  # the upscale working says nothing about grids
    with pytest.raises(ProviderError):
        await pool.submit_to(account, ActionRequest("p", "upsample2"))
    assert pool.choose(account) is None


@pytest.mark.parametrize(
    ("error", "elsewhere"),
    [
        (ProviderError(ErrorKind.BALANCE, "x", status=402), True),
        (ProviderError(ErrorKind.AUTH, "x", status=401), True),
        (ProviderError(ErrorKind.BLOCKED, "x", status=403), True),
        (ProviderError(ErrorKind.UNAVAILABLE, "cannot connect"), True),
        (ProviderError(ErrorKind.QUEUE_FULL, "x", status=499), True),
        (ProviderError(ErrorKind.UNKNOWN_OUTCOME, "x", status=502), False),
        (ProviderError(ErrorKind.BANNED_PROMPT, "x", status=400), False),
        (ProviderError(ErrorKind.INVALID_REQUEST, "x", status=400), False),
    ],
)
def test_only_refusals_that_cost_nothing_may_go_elsewhere(
    error: ProviderError, elsewhere: bool
) -> None:
    assert refused_by_account(error) is elsewhere
