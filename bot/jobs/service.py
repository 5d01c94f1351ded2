"""Submitting jobs: the row first, then the admission queue, then the provider.

At most `max_in_progress` jobs hold a slot on each provider account at once (the TT API
answers 499 past its cap); the rest wait in a persisted, fair queue and start as slots
free (bot/jobs/admission.py decides which job goes to which account).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from bot.errors import JobRejected, UserFacingError
from bot.jobs.admission import Admission
from bot.jobs.alerts import Alerts
from bot.jobs.budget import Budgets
from bot.jobs.display import blend_params, inherited
from bot.jobs.events import JobEvents
from bot.jobs.gate import Gate, Ticket
from bot.jobs.models import DEFAULT_TIMEOUTS, Job, JobKind, NewJob, Requester
from bot.jobs.orphans import Orphans
from bot.jobs.payments import Payments
from bot.jobs.policy import Policy, Verdict
from bot.jobs.prices import PriceBook
from bot.jobs.queue import FairQueue
from bot.jobs.recording import SubmitRecorder
from bot.jobs.requests import to_request
from bot.jobs.states import JobStatus
from bot.jobs.store import Store
from bot.jobs.watcher import Watcher
from bot.provider import AccountInfo, ErrorKind, Provider, ProviderError
from bot.provider.pool import Account, AccountStatus, ProviderPool

log = logging.getLogger(__name__)

UNKNOWN_SUBMIT = (
    "The bot stopped while sending this job and could not find it among Midjourney's recent "
    "jobs, so it will post no result. It was not sent again, so you are not charged twice; "
    "ask again if you still want it."
)
UNCONFIRMED = (
    "The TT API did not confirm this job, and it is not among Midjourney's recent jobs, so it "
    "was most likely not received. It was not sent again, so you are not charged twice."
)


class JobService:
    """Creates jobs, admits them within the provider's cap, and frees slots as they finish."""

    def __init__(
        self,
        store: Store,
        provider: Provider,
        events: JobEvents,
        watcher: Watcher,
        *,
        max_in_progress: int = 10,
        hook_url: str | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        policy: Policy | None = None,
        prices: PriceBook | None = None,
        low_balance_alert: float = 0.0,
    ) -> None:
        self._store = store
        self.prices = prices or PriceBook()
        self.budgets = Budgets(store, self.prices, clock)
        self._policy = policy or Policy(store, clock, budgets=self.budgets)
        self._gate = Gate(store, self._policy, clock, estimate=self.prices.estimate)
        self.alerts = Alerts(store, low_balance_alert, clock=clock)
        self.last_error: tuple[float, str] | None = None
        self._provider = provider
        self._events = events
        self._watcher = watcher
        self._hook_url = hook_url
        self._clock = clock
        self._sleep = sleep
        self._queue = FairQueue()
        pool = provider if isinstance(provider, ProviderPool) else None
        self._pool = pool or ProviderPool.single(provider, max_in_progress)
        self._admission = Admission(self._pool, self._queue, sleep=sleep, wake=self._admit)
        self._payments = Payments(self._pool, self.alerts, wake=self._admit)
        self._starting: dict[int, asyncio.Task[ProviderError | None]] = {}
        self._waiters: dict[int, list[asyncio.Future[Job]]] = {}
        # grid job id -> its seed look-up under way, shared by every click until it finishes
        self._seeding: dict[int, asyncio.Task[Job]] = {}
        # server -> (job, requester) held back by a pause until /mj-admin resume
        self._parked: dict[int, set[tuple[int, int]]] = {}
        self._callers: set[asyncio.Task[object]] = set()  # tasks inside submit()
        self._recorder = SubmitRecorder(store, watcher, events, sleep=sleep)
        self._orphans = Orphans(store, self._pool, self._recorder, on_lost=self._lost, sleep=sleep)
        self._unconfirmed_texts: dict[int, str] = {}
        watcher.on_settled = self._release
        events.subscribe(self._on_change)

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Recover every unfinished job from the store, then start watching and admitting."""
        await self._store.release_all_post_claims()
        for job in await self._store.unposted_jobs():
            await self._events.emit(job)  # the publisher's post claim prevents doubles
        orphans = []
        for job in await self._store.unfinished_jobs():
            if job.status is JobStatus.SUBMITTING:
                # Sent, id never stored: it may run at the provider, so it holds a slot while
                # it is looked for (bot/jobs/orphans.py). Never resent.
                self._admission.adopt(job)
                orphans.append(job)
            else:
                await self._recover(job)
        self._orphans.start(orphans)
        await self._recorder.sweep()
        await self.alerts.load()
        self._payments.start()
        if self.payment_hold:
            await self._announce_hold()
        self._watcher.start()
        self._admit()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop the watcher and wait for submits already in flight (they are paid for).

        Callers still inside `submit` get `grace` seconds to finish, so the store they are
        about to read is not closed under them on shutdown.
        """
        await self._admission.stop()
        await asyncio.gather(*self._starting.values(), return_exceptions=True)
        callers = self._callers - {asyncio.current_task()}
        if callers:
            await asyncio.wait(callers, timeout=grace)
        await self._orphans.stop()
        await self._recorder.stop()
        await self._payments.stop()
        await self._watcher.stop()
        await self._events.close()  # what the watcher reported still reaches Discord

    async def _recover(self, job: Job) -> None:
        if job.status is JobStatus.QUEUED:
            self._admission.pin(job)
            self._queue.add(job.id, job.user_id)
        else:
            self._admission.adopt(job)
            self._watcher.track(job, due_now=True)

    async def adopt(self, job_id: int, provider_job_id: str) -> bool:
        """A callback names this row as its owner: adopt the job if the row is an orphan."""
        return await self._orphans.adopt(job_id, provider_job_id, "named by a callback")

    async def _lost(self, job_id: int) -> None:
        """An orphan was not found at the provider: report it, free its slot."""
        await self._fail(job_id, self._unconfirmed_texts.pop(job_id, UNKNOWN_SUBMIT))
        self._release(job_id)

    def _unconfirmed(self, job: Job, error: ProviderError) -> None:
        """Maybe accepted (5xx, timeout): never resent; kept SUBMITTING and looked for."""
        log.warning(
            "job %d: submit not confirmed (%s); looking for it at the provider", job.id, error
        )
        self.last_error = (self._clock(), str(error))
        self._unconfirmed_texts[job.id] = UNCONFIRMED
        self._orphans.start([job])

    # -- submitting -------------------------------------------------------------------------

    async def imagine(
        self,
        requester: Requester,
        prompt: str,
        mode: str,
        ticket: Ticket | None = None,
        parent_id: int | None = None,
    ) -> Job:
        """Queue an /imagine (`parent_id`: the /describe result whose prompt it uses)."""
        new = NewJob(JobKind.IMAGINE, mode, requester, prompt=prompt, parent_id=parent_id)
        return await self.submit(new, ticket)

    async def blend(
        self,
        requester: Requester,
        images: Sequence[str],
        dimensions: str,
        mode: str,
        ticket: Ticket | None = None,
        *,
        names: Sequence[str] = (),
    ) -> Job:
        """Queue a /blend of 2 to 5 data URLs (`names`: the files', to name the result)."""
        params = {"images": list(images), "dimensions": dimensions.upper()}
        params |= blend_params(len(images), names)
        return await self.submit(NewJob(JobKind.BLEND, mode, requester, params=params), ticket)

    async def describe(
        self,
        requester: Requester,
        image: str,
        mode: str,
        ticket: Ticket | None = None,
        parent_id: int | None = None,
    ) -> Job:
        """Queue a /describe of one data URL, or of an image URL (re-describe)."""
        params = {"url": image} if image.startswith(("https://", "http://")) else {"image": image}
        new = NewJob(JobKind.DESCRIBE, mode, requester, params=params, parent_id=parent_id)
        return await self.submit(new, ticket)

    async def action(
        self, requester: Requester, parent: Job, action: str, ticket: Ticket | None = None
    ) -> Job:
        """Queue a button press (upsample2, variation1, ...) on a finished job."""
        _check_parent(parent, action)
        params = {"parent": parent.provider_job_id, **inherited(parent), **_refs(parent)}
        new = NewJob(
            JobKind.ACTION,
            parent.mode,
            requester,
            prompt=parent.prompt,
            action=action,
            parent_id=parent.id,
            params=params,
            provider=parent.provider,
            account=parent.account,
        )
        return await self.submit(new, ticket)

    async def seed(self, requester: Requester, parent: Job, ticket: Ticket | None = None) -> Job:
        """Queue a seed look-up on a finished job (callers check `parent.seed` first).

        A look-up already under way for the same grid is returned instead of paying twice:
        it is registered before the first await, so simultaneous clicks share it.
        """
        _check_parent(parent, None)
        pending = self._seeding.get(parent.id)
        if pending is None:
            params = {"parent": parent.provider_job_id, **_refs(parent)}
            new = NewJob(
                JobKind.SEED,
                parent.mode,
                requester,
                prompt=parent.prompt,
                parent_id=parent.id,
                params=params,
                provider=parent.provider,
                account=parent.account,
            )
            pending = asyncio.create_task(self.submit(new, ticket))
            self._seeding[parent.id] = pending
            pending.add_done_callback(lambda task: self._seed_sent(parent.id, task))
        elif ticket is not None:
            self._gate.release(ticket)  # shared: this click pays for nothing
        return await asyncio.shield(pending)

    def seeding(self, parent_id: int) -> bool:
        """True while a seed look-up of this grid is on its way (a click joins it for free)."""
        return parent_id in self._seeding

    def _seed_sent(self, parent_id: int, task: asyncio.Task[Job]) -> None:
        failed = task.cancelled() or task.exception() is not None
        if failed and self._seeding.get(parent_id) is task:
            del self._seeding[parent_id]  # refused: the next click may ask again

    async def inpaint(
        self,
        requester: Requester,
        parent: Job,
        mask: str,
        prompt: str,
        ticket: Ticket | None = None,
    ) -> Job:
        """Queue Vary (Region) on an upscaled job; `mask` is plain base64, white = repaint."""
        _check_parent(parent, None)
        params = {"parent": parent.provider_job_id, "mask": mask, **_refs(parent)}
        new = NewJob(
            JobKind.INPAINT,
            parent.mode,
            requester,
            prompt=prompt or parent.prompt,
            parent_id=parent.id,
            params=params,
            provider=parent.provider,
            account=parent.account,
        )
        return await self.submit(new, ticket)

    async def reserve(self, new: NewJob, batch: Sequence[NewJob] = ()) -> Ticket:
        """The one check of a request (pause, place, ban, words, mode, limits), under the
        member's lock; the ticket holds its place in the limits until `submit` or `release`."""
        return await self._gate.reserve(new, batch)

    def release(self, ticket: Ticket) -> None:
        """Give back the unused part of a ticket (the request failed or was shared)."""
        self._gate.release(ticket)

    async def check_button(self, clicker: Requester, parent: Job) -> None:
        """Whether this member may press the buttons of `parent`; raises NotAllowed."""
        await self._policy.check_button(clicker, parent)

    async def submit(self, new: NewJob, ticket: Ticket | None = None) -> Job:
        """Check (unless `ticket` covers it), write the job, queue it, and start it if a slot
        is free.

        Raises a UserFacingError when a check fails (nothing is written or spent), and
        JobRejected when the provider refuses it at once; later refusals of a job that had to
        wait are reported as a failed job through the events instead.
        """
        caller = asyncio.current_task()
        if caller is not None:
            self._callers.add(caller)
        try:
            return await self._submit(new, ticket)
        finally:
            if caller is not None:
                self._callers.discard(caller)

    async def _submit(self, new: NewJob, ticket: Ticket | None) -> Job:
        try:
            new = self._admission.prepare(new)
        except UserFacingError:
            if ticket is not None:
                self._gate.release(ticket)
            raise
        timeout = new.timeout_s or DEFAULT_TIMEOUTS.get(new.mode, 300)
        job = await self._gate.create(_with_timeout(new, timeout), ticket)
        log.info(
            "job %d created: %s %s by user %d", job.id, job.kind, job.action or "", job.user_id
        )
        self._admission.pin(job)
        self._queue.add(job.id, job.user_id)
        self._admit(waiting=job.id)
        task = self._starting.get(job.id)
        if task is None:
            await self._events.emit(job)  # stays queued: the position is worth showing
        elif (error := await asyncio.shield(task)) is not None:
            # The caller shows this refusal itself, so nothing is left to post; the event
            # still goes out (the audit log wants it), and the post claim stops a second post.
            await self._store.claim_post(job.id)
            await self._store.finish_post(job.id)
            await self._report(job.id)
            raise JobRejected(job.id, error)
        return await self._store.get_job(job.id) or job

    async def cancel(self, job_id: int, reason: str = "Cancelled by a moderator.") -> bool:
        """Stop a queued or running job; True if it was unfinished.

        A job the provider already has cannot be recalled: it keeps its slot, silently
        watched, until the provider is done with it, so the cap still holds.
        """
        queued = self._queue.remove(job_id)
        if queued:
            self._admission.release(job_id)  # drops a follow-up's pin; it held no slot
        if not await self._store.transition(job_id, JobStatus.CANCELLED, error=reason):
            return False
        log.info("job %d cancelled%s", job_id, "" if queued else " (still held by the provider)")
        await self._report(job_id)
        return True

    async def with_suffix(self, user_id: int, prompt: str) -> str:
        """The prompt with the member's suffix (/settings) appended, once."""
        suffix = (await self._store.user_settings(user_id)).prompt_suffix.strip()
        if not suffix or prompt.rstrip().endswith(suffix):
            return prompt
        return f"{prompt.rstrip()} {suffix}"

    async def attach_progress(self, job_id: int, message_id: int) -> bool:
        """Show a job's progress in `message_id` from now on; False if it already finished.

        The UI shows the progress line only once the provider took the job, so the events
        sent before it went unshown; this one lets the publisher pick the message up.
        """
        if not await self._store.attach_progress_message(job_id, message_id):
            return False  # finished first: its outcome was posted as a message of its own
        await self._report(job_id)
        return True

    async def used_actions(self, parent_id: int) -> dict[str, Job]:
        """The actions of a result that succeeded, each with its latest child (from the store)."""
        children = await self._store.succeeded_children(parent_id)
        return {child.action or child.kind.value: child for child in children}

    async def wait(self, job_id: int, within: float) -> Job | None:
        """The job once finished, or None if it is still running after `within` seconds."""
        future: asyncio.Future[Job] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(job_id, []).append(future)
        try:
            job = await self._store.get_job(job_id)
            if job is not None and job.finished:
                return job
            return await asyncio.wait_for(asyncio.shield(future), within)
        except TimeoutError:
            return None
        finally:
            waiters = self._waiters.get(job_id, [])
            if future in waiters:
                waiters.remove(future)
            if not waiters:
                self._waiters.pop(job_id, None)

    async def cancel_queued(self, guild_id: int, reason: str, user_id: int | None = None) -> int:
        """Cancel a server's (or one member's) jobs not yet sent: pause, ban; returns how many."""
        queued = [
            job
            for job in await self._store.unfinished_jobs()
            if job.guild_id == guild_id
            and job.status is JobStatus.QUEUED
            and user_id in (None, job.user_id)
        ]
        for job in queued:
            self._parked.get(guild_id, set()).discard((job.id, job.user_id))
        return sum([await self.cancel(job.id, reason) for job in queued])

    def resume(self, guild_id: int) -> int:
        """After a pause: jobs held back at the door (a 499 during the pause) queue again."""
        parked = sorted(self._parked.pop(guild_id, set()))
        for job_id, user_id in parked:
            self._queue.add(job_id, user_id)
        self._admit()
        return len(parked)

    async def account(self) -> AccountInfo:
        """The first account's balance (free call), fed to the alerts; raises ProviderError."""
        return await self._payments.look(self._pool.accounts[0])

    @property
    def payment_hold(self) -> bool:
        """True while a 402 (balance used up) holds every account, so nothing starts."""
        return self._payments.hold

    async def resume_payments(self) -> bool:
        """Lift the 402 holds by hand (a moderator or owner); True if there was one."""
        return await self._payments.resume()

    async def accounts(self) -> list[AccountStatus]:
        """Every provider account: health, balance, slots (free calls; a top-up is noticed)."""
        statuses = await self._pool.statuses()
        for account, status in zip(self._pool.accounts, statuses, strict=True):
            if status.balance is not None:
                await self._payments.observe(account, status.balance)
        return statuses

    @property
    def providers(self) -> tuple[str, ...]:
        """The configured providers, in failover order."""
        return self._pool.providers

    def waiting_reason(self) -> str | None:
        """Why queued jobs are not starting, when every provider account is resting."""
        if not self._queue or self.payment_hold:  # the hold has its own words (PAYMENT_HOLD)
            return None
        return self._admission.waiting_reason()

    def position(self, job_id: int) -> int | None:
        """How many queued jobs start before this one; None when it is not queued."""
        return self._queue.position(job_id)

    def eta(self, job_id: int) -> float | None:
        """Seconds until a running job should finish, as far as its progress tells."""
        return self._watcher.eta(job_id)

    def positions(self) -> dict[int, int]:
        """Every queued job's position, computed in one pass (for refreshing many at once)."""
        return self._queue.positions()

    @property
    def in_flight(self) -> int:
        """Jobs holding a provider slot."""
        return self._pool.in_flight

    @property
    def queued(self) -> int:
        """Jobs waiting for a slot."""
        return len(self._queue)

    # -- admission --------------------------------------------------------------------------

    def _admit(self, waiting: int | None = None) -> None:
        while (taken := self._admission.take()) is not None:
            job_id, account = taken
            task = asyncio.create_task(self._start(job_id, account, caller_waits=job_id == waiting))
            self._starting[job_id] = task
            task.add_done_callback(self._started)

    def _started(self, task: asyncio.Task[ProviderError | None]) -> None:
        # A refused job may already be starting again on another account under the same
        # id: forget only this attempt, so stop() still waits for the new one.
        for job_id, running in list(self._starting.items()):
            if running is task:
                del self._starting[job_id]

    async def _start(
        self, job_id: int, account: Account, *, caller_waits: bool
    ) -> ProviderError | None:
        job = await self._store.get_job(job_id)
        # Decisions taken while it waited (pause, ban, channel, role) apply before paying; a
        # job started the moment it was made was checked a moment ago, under the member's lock.
        if job is not None and job.status is JobStatus.QUEUED and not caller_waits:
            verdict = await self._policy.recheck(job)
            if verdict is not None:
                await self._held_back(job, verdict)
                return None
        where = {"provider": account.provider, "account": account.key}
        try:
            sending = job is not None and await self._store.transition(
                job_id, JobStatus.SUBMITTING, **where
            )
        except Exception:
            log.exception("job %d could not be prepared for sending; nothing was sent", job_id)
            sending = False
        if job is None or not sending:
            self._admission.release(job_id)  # cancelled while queued: the slot goes to the next
            self._admit()
            return None
        try:
            provider_job_id = await self._pool.submit_to(account, to_request(job, self._hook_url))
        except ProviderError as error:
            if error.kind is ErrorKind.UNKNOWN_OUTCOME:
                self._unconfirmed(job, error)
                return None
            return await self._refused(job, account, error, caller_waits=caller_waits)
        except Exception:
            log.exception("unexpected error submitting job %d", job_id)
            unexpected = ProviderError(ErrorKind.UNKNOWN_OUTCOME, "unexpected error while sending")
            self._unconfirmed(job, unexpected)
            return None
        # Stored with retries, else watched from memory: the watcher frees the slot either way.
        await self._recorder.record(job, provider_job_id, self._clock())
        return None

    async def _refused(
        self, job: Job, account: Account, error: ProviderError, *, caller_waits: bool
    ) -> ProviderError | None:
        if self._admission.refused(job.id, account, error):
            if error.kind is ErrorKind.BALANCE:
                await self._payment_required(job, account, error)
                return None
            # Refused without being accepted (queue full, key rejected, unreachable): back
            # in line; that account rests, and another one may take the job now.
            log.info("job %d refused by %s (%s): back in the queue", job.id, account.key, error)
            if await self._store.transition(job.id, JobStatus.QUEUED):
                self._queue.put_back(job.id, job.user_id)
                await self._report(job.id)
            self._admit()
            return None
        log.warning("job %d refused: %s", job.id, error)
        self.last_error = (self._clock(), str(error))
        failed = await self._store.transition(
            job.id, JobStatus.FAILED, error=JobRejected(job.id, error).text
        )
        self._admit()
        if not failed:
            return None  # cancelled while it was being sent: already reported as such
        if not caller_waits:
            await self._report(job.id)
        return error if caller_waits else None

    async def _payment_required(self, job: Job, account: Account, error: ProviderError) -> None:
        # A 402 charges nothing: the job waits in line (another account may take it at once)
        # instead of failing; the held account takes no new job until a top-up or a resume,
        # and the owners hear of it once.
        self.last_error = (self._clock(), str(error))
        requeued = await self._store.transition(job.id, JobStatus.QUEUED)
        if requeued:
            self._queue.put_back(job.id, job.user_id)
        if await self._payments.payment_required(account):
            await self._announce_hold()  # every account is held: every waiting member sees why
        elif requeued:  # else it was cancelled while being sent, and reported as such
            await self._report(job.id)
        self._admit()

    async def _announce_hold(self) -> None:
        """Report every queued job again, so their progress messages say why they wait."""
        for job in await self._store.unfinished_jobs():
            if job.status is JobStatus.QUEUED:
                await self._events.emit(job)

    async def _held_back(self, job: Job, verdict: Verdict) -> None:
        if verdict.wait and job.guild_id is not None:
            self._admission.free(job.id)  # no slot while parked; a follow-up keeps its account
            self._parked.setdefault(job.guild_id, set()).add((job.id, job.user_id))
            log.info("job %d held back: its server is paused", job.id)
            self._admit()
            return
        self._admission.release(job.id)
        if await self._store.transition(job.id, JobStatus.CANCELLED, error=verdict.reason):
            log.info("job %d cancelled before sending: %s", job.id, verdict.reason)
            await self._report(job.id)
        self._admit()

    # -- reacting to changes ------------------------------------------------------------------

    def _release(self, job_id: int) -> None:
        if self._admission.release(job_id):
            self._admit()

    async def _on_change(self, job: Job) -> None:
        if job.kind is JobKind.SEED and job.finished and job.parent_id is not None:
            if job.seed:  # stored first: a click between the two finds it cached
                await self._store.set_seed(job.parent_id, job.seed)
            self._seeding.pop(job.parent_id, None)
        if job.finished:
            for future in self._waiters.get(job.id, []):
                if not future.done():
                    future.set_result(job)

    async def _fail(self, job_id: int, reason: str) -> None:
        if await self._store.transition(job_id, JobStatus.FAILED, error=reason):
            log.warning("job %d failed: %s", job_id, reason)
            await self._report(job_id)

    async def _report(self, job_id: int) -> None:
        job = await self._store.get_job(job_id)
        if job is not None:
            await self._events.emit(job)


class InvalidAction(UserFacingError):
    """A button or command refers to an action the parent job does not offer."""

    def __init__(self, text: str, action: str | None = None) -> None:
        super().__init__(text)
        self.action = action  # the UI names it in the member's words (bot/ui/errors.py)


def _check_parent(parent: Job, action: str | None) -> None:
    if parent.status is not JobStatus.SUCCEEDED or not parent.provider_job_id:
        raise InvalidAction("That job has not finished successfully, so it has no buttons yet.")
    if action is not None and action not in parent.components:
        raise InvalidAction("That button is not available on that job.", action)


def _refs(parent: Job) -> dict[str, dict[str, str]]:
    """What the parent's provider needs to act on it (proxy custom ids, AceData image id)."""
    return {"refs": parent.refs} if parent.refs else {}


def _with_timeout(new: NewJob, timeout: int) -> NewJob:
    return replace(new, timeout_s=timeout)
