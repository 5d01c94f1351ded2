"""The SQLite store on a real file: migrations, transitions, races for the right to post."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.jobs.models import GuildSettings, Job, JobKind, NewJob, Requester, UserSettings
from bot.jobs.states import FINISHED, TRANSITIONS, JobStatus
from bot.jobs.store import Store, migrations

S = JobStatus
LATEST = max(number for number, _name, _sql in migrations())
TABLES = {"jobs", "messages", "guild_settings", "user_settings", "meta"}
# How to walk a fresh (queued) job to each status through legal transitions.
PATHS: dict[JobStatus, list[JobStatus]] = {
    S.QUEUED: [],
    S.SUBMITTING: [S.SUBMITTING],
    S.SUBMITTED: [S.SUBMITTING, S.SUBMITTED],
    S.RUNNING: [S.SUBMITTING, S.SUBMITTED, S.RUNNING],
    S.SUCCEEDED: [S.SUBMITTING, S.SUBMITTED, S.RUNNING, S.SUCCEEDED],
    S.FAILED: [S.SUBMITTING, S.FAILED],
    S.CANCELLED: [S.CANCELLED],
}
LEGAL = [(source, target) for source, targets in TRANSITIONS.items() for target in targets]
ILLEGAL = [
    (source, target)
    for source, target in itertools.product(JobStatus, repeat=2)
    if target not in TRANSITIONS[source]
]


class Clock:
    """A hand-driven clock for the store."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "sub" / "db.sqlite"


@pytest.fixture
async def store(db_path: Path, clock: Clock) -> AsyncIterator[Store]:
    opened = await Store.open(db_path, clock=clock)
    await opened.migrate()
    yield opened
    await opened.close()


@pytest.fixture
async def other_store(store: Store, db_path: Path, clock: Clock) -> AsyncIterator[Store]:
    """A second Store (its own connection) on the same, already migrated file."""
    opened = await Store.open(db_path, clock=clock)
    yield opened
    await opened.close()


def new_job(prompt: str = "a lighthouse at dusk", **overrides: object) -> NewJob:
    values: dict[str, object] = {
        "kind": JobKind.IMAGINE,
        "mode": "fast",
        "requester": Requester(user_id=42, guild_id=7, channel_id=9),
        "prompt": prompt,
    }
    values.update(overrides)
    return NewJob(**values)  # type: ignore[arg-type]


async def job_in(store: Store, status: JobStatus, prompt: str = "a lighthouse at dusk") -> Job:
    """A new job walked to `status` through the store."""
    job = await store.create_job(new_job(prompt))
    for step in PATHS[status]:
        assert await store.transition(job.id, step)
    moved = await store.get_job(job.id)
    assert moved is not None
    assert moved.status is status
    return moved


async def reload(store: Store, job: Job) -> Job:
    fresh = await store.get_job(job.id)
    assert fresh is not None
    return fresh


def raw(db_path: Path, sql: str) -> list[tuple[object, ...]]:
    """Run a query on a plain sqlite3 connection of its own."""
    connection = sqlite3.connect(db_path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


# -- opening and migrations ------------------------------------------------------------------


def test_migrations_are_numbered_sql_files_in_order() -> None:
    found = migrations()
    assert found
    numbers = [number for number, _name, _sql in found]
    assert numbers == sorted(set(numbers))
    assert numbers[0] == 1
    for number, name, sql in found:
        assert name.endswith(".sql")
        assert name.startswith(f"{number:03d}_")
        assert sql.strip()


async def test_open_creates_the_folder_and_migrates_from_empty(db_path: Path, clock: Clock) -> None:
    assert not db_path.parent.exists()
    store = await Store.open(db_path, clock=clock)
    try:
        assert db_path.parent.is_dir()
        assert await store.version() == 0
        assert await store.migrate() == LATEST
        assert await store.version() == LATEST
    finally:
        await store.close()
    names = {row[0] for row in raw(db_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert names >= TABLES
    assert raw(db_path, "PRAGMA user_version") == [(LATEST,)]


async def test_second_migrate_is_a_no_op(store: Store) -> None:
    job = await store.create_job(new_job())
    await store.set_meta("webhook_secret", "kept")
    assert await store.migrate() == LATEST
    assert await store.version() == LATEST
    assert await store.get_job(job.id) == job
    assert await store.get_meta("webhook_secret") == "kept"


async def test_restart_keeps_schema_and_data(db_path: Path, clock: Clock) -> None:
    first = await Store.open(db_path, clock=clock)
    try:
        await first.migrate()
        job = await first.create_job(new_job())
        await first.set_meta("webhook_secret", "kept")
    finally:
        await first.close()
    second = await Store.open(db_path, clock=clock)
    try:
        assert await second.version() == LATEST
        assert await second.migrate() == LATEST
        assert await second.get_job(job.id) == job
        assert await second.get_meta("webhook_secret") == "kept"
    finally:
        await second.close()
    names = {row[0] for row in raw(db_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert names >= TABLES


async def test_database_is_in_wal_mode(store: Store, db_path: Path) -> None:
    assert raw(db_path, "PRAGMA journal_mode") == [("wal",)]


async def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await store.create_job(new_job(parent_id=9999))
    assert await store.unfinished_jobs() == []


async def test_message_for_missing_job_is_refused(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await store.map_message(555, 9999, 1)


# -- jobs and transitions --------------------------------------------------------------------


async def test_create_job_writes_a_queued_row(store: Store, clock: Clock) -> None:
    job = await store.create_job(
        new_job(params={"prompt": "x", "images": ["a", "b"]}, timeout_s=600, mode="relax")
    )
    assert job.status is S.QUEUED
    assert job.kind is JobKind.IMAGINE
    assert job.provider == "ttapi"
    assert job.provider_job_id is None
    assert job.progress is None
    assert job.params == {"prompt": "x", "images": ["a", "b"]}
    assert job.mode == "relax"
    assert job.timeout_s == 600
    assert job.requester == Requester(42, 7, 9)
    assert job.created_at == job.updated_at == clock.now
    assert (job.components, job.images, job.prompts) == ((), (), ())
    assert job.finished_at is None
    assert not job.finished
    assert await store.get_job(job.id) == job


async def test_create_job_defaults_the_timeout(store: Store) -> None:
    job = await store.create_job(new_job())
    assert job.timeout_s == 300


async def test_get_unknown_job_is_none(store: Store) -> None:
    assert await store.get_job(12345) is None
    assert await store.get_job_by_provider_id("nope") is None


async def test_happy_path_round_trips_results(store: Store, clock: Clock) -> None:
    job = await store.create_job(new_job())
    clock.advance(1)
    assert await store.transition(job.id, S.SUBMITTING)
    clock.advance(1)
    assert await store.transition(
        job.id, S.SUBMITTED, provider_job_id="tt-abc", submitted_at=clock.now
    )
    submitted = await reload(store, job)
    assert submitted.status is S.SUBMITTED
    assert submitted.submitted_at == clock.now
    assert await store.get_job_by_provider_id("tt-abc") == submitted

    clock.advance(5)
    assert await store.record_progress(job.id, 35, next_poll_at=clock.now + 10)
    running = await reload(store, job)
    assert (running.status, running.progress) == (S.RUNNING, 35)
    assert running.next_poll_at == clock.now + 10
    assert running.updated_at == clock.now

    clock.advance(30)
    components = ["upsample1", "upsample2", "variation1", "reroll"]
    images = [f"https://cdn.example/{n}.png" for n in range(4)]
    assert await store.transition(
        job.id,
        S.SUCCEEDED,
        components=components,
        images=tuple(images),
        image_url="https://cdn.example/grid.png",
        seed="1234567",
        quota=2.5,
        progress=100,
    )
    done = await reload(store, job)
    assert done.status is S.SUCCEEDED
    assert done.finished
    assert done.components == tuple(components)
    assert done.images == tuple(images)
    assert done.image_url == "https://cdn.example/grid.png"
    assert done.seed == "1234567"
    assert done.quota == 2.5
    assert done.progress == 100
    assert done.finished_at == done.updated_at == clock.now
    assert done.provider_job_id == "tt-abc"
    assert done.created_at == job.created_at


async def test_describe_prompts_round_trip(store: Store) -> None:
    job = await job_in(store, S.SUBMITTED)
    prompts = ["one --ar 1:1", "two", "three", "four"]
    assert await store.transition(job.id, S.SUCCEEDED, prompts=prompts)
    assert (await reload(store, job)).prompts == tuple(prompts)


async def test_failure_keeps_its_error_and_explicit_finish_time(store: Store) -> None:
    job = await job_in(store, S.RUNNING)
    assert await store.transition(job.id, S.FAILED, error="banned prompt", finished_at=123.0)
    failed = await reload(store, job)
    assert failed.error == "banned prompt"
    assert failed.finished_at == 123.0


@pytest.mark.parametrize(("source", "target"), LEGAL, ids=str)
async def test_each_legal_transition_through_the_store(
    store: Store, clock: Clock, source: JobStatus, target: JobStatus
) -> None:
    job = await job_in(store, source)
    clock.advance(3)
    assert await store.transition(job.id, target)
    moved = await reload(store, job)
    assert moved.status is target
    assert moved.updated_at == clock.now
    if target in FINISHED:
        assert moved.finished_at == clock.now
    else:
        assert moved.finished_at is None


@pytest.mark.parametrize(("source", "target"), ILLEGAL, ids=str)
async def test_each_illegal_transition_changes_nothing(
    store: Store, clock: Clock, source: JobStatus, target: JobStatus
) -> None:
    job = await job_in(store, source)
    clock.advance(3)
    assert not await store.transition(job.id, target, error="should not be written")
    assert await reload(store, job) == job


async def test_transition_of_unknown_job_is_false(store: Store) -> None:
    assert not await store.transition(999, S.SUBMITTING)


async def test_transition_refuses_columns_it_may_not_change(store: Store) -> None:
    job = await store.create_job(new_job())
    for column in ("status", "user_id", "posted_at", "prompt"):
        with pytest.raises(ValueError, match=column):
            await store.transition(job.id, S.SUBMITTING, **{column: "x"})
    assert await reload(store, job) == job


async def test_only_one_of_two_racing_transitions_wins(store: Store) -> None:
    """The webhook and the poller both report the end: one of them wins."""
    job = await job_in(store, S.RUNNING)
    results = await asyncio.gather(
        store.transition(job.id, S.SUCCEEDED, seed="1"),
        store.transition(job.id, S.FAILED, error="late"),
        store.transition(job.id, S.CANCELLED),
    )
    assert results.count(True) == 1
    assert (await reload(store, job)).status is [S.SUCCEEDED, S.FAILED, S.CANCELLED][
        results.index(True)
    ]


async def test_provider_job_id_is_unique(store: Store) -> None:
    first = await job_in(store, S.SUBMITTING)
    second = await job_in(store, S.SUBMITTING)
    assert await store.transition(first.id, S.SUBMITTED, provider_job_id="tt-same")
    with pytest.raises(sqlite3.IntegrityError):
        await store.transition(second.id, S.SUBMITTED, provider_job_id="tt-same")
    assert (await reload(store, second)).status is S.SUBMITTING
    assert (await store.get_job_by_provider_id("tt-same")) == await reload(store, first)


# -- progress ----------------------------------------------------------------------------------


async def test_record_progress_ignores_stale_and_equal_values(store: Store, clock: Clock) -> None:
    job = await job_in(store, S.SUBMITTED)
    assert await store.record_progress(job.id, 50, next_poll_at=2000.0)
    before = await reload(store, job)
    clock.advance(1)
    assert not await store.record_progress(job.id, 20, next_poll_at=3000.0)  # out of order
    assert not await store.record_progress(job.id, 50, next_poll_at=3000.0)  # duplicate
    assert await reload(store, job) == before
    clock.advance(1)
    assert await store.record_progress(job.id, 80, next_poll_at=4000.0)
    after = await reload(store, job)
    assert (after.progress, after.next_poll_at, after.updated_at) == (80, 4000.0, clock.now)


async def test_record_progress_from_submitted_accepts_zero(store: Store) -> None:
    job = await job_in(store, S.SUBMITTED)
    assert await store.record_progress(job.id, 0, next_poll_at=1.0)
    moved = await reload(store, job)
    assert (moved.status, moved.progress) == (S.RUNNING, 0)


@pytest.mark.parametrize("status", [S.QUEUED, S.SUBMITTING, S.SUCCEEDED, S.FAILED, S.CANCELLED])
async def test_record_progress_only_moves_accepted_jobs(store: Store, status: JobStatus) -> None:
    """A late progress callback never revives a finished job nor skips the submit."""
    job = await job_in(store, status)
    assert not await store.record_progress(job.id, 99, next_poll_at=1.0)
    assert await reload(store, job) == job


async def test_small_setters(store: Store) -> None:
    job = await job_in(store, S.SUCCEEDED)
    await store.set_progress_message(job.id, 777)
    await store.set_seed(job.id, "424242")
    updated = await reload(store, job)
    assert (updated.progress_message_id, updated.seed) == (777, "424242")
    await store.set_progress_message(job.id, None)
    assert (await reload(store, job)).progress_message_id is None


# -- queue views -------------------------------------------------------------------------------


async def test_unfinished_jobs_in_id_order(store: Store) -> None:
    order = [S.RUNNING, S.SUCCEEDED, S.QUEUED, S.CANCELLED, S.SUBMITTED, S.FAILED, S.SUBMITTING]
    jobs = [await job_in(store, status) for status in order]
    unfinished = await store.unfinished_jobs()
    assert [job.id for job in unfinished] == [
        job.id for job in jobs if job.status in {S.QUEUED, S.SUBMITTING, S.SUBMITTED, S.RUNNING}
    ]
    assert [job.status for job in unfinished] == [S.RUNNING, S.QUEUED, S.SUBMITTED, S.SUBMITTING]


async def test_empty_store_views(store: Store) -> None:
    assert await store.unfinished_jobs() == []
    assert await store.unposted_jobs() == []


# -- posting -----------------------------------------------------------------------------------


async def test_claim_only_works_on_finished_jobs(store: Store) -> None:
    for status in (S.QUEUED, S.SUBMITTING, S.SUBMITTED, S.RUNNING):
        job = await job_in(store, status)
        assert not await store.claim_post(job.id)
    for status in (S.SUCCEEDED, S.FAILED, S.CANCELLED):
        job = await job_in(store, status)
        assert await store.claim_post(job.id)
    assert not await store.claim_post(9999)


async def test_concurrent_claims_on_one_store_have_one_winner(store: Store) -> None:
    job = await job_in(store, S.SUCCEEDED)
    results = await asyncio.gather(*(store.claim_post(job.id) for _ in range(10)))
    assert results.count(True) == 1


async def test_concurrent_claims_from_two_connections_have_one_winner(
    store: Store, other_store: Store
) -> None:
    """Two processes on the same database (e.g. an old one not yet dead) never both post."""
    jobs = [await job_in(store, S.SUCCEEDED) for _ in range(5)]
    for job in jobs:
        results = await asyncio.gather(
            *(target.claim_post(job.id) for target in [store, other_store] * 4)
        )
        assert results.count(True) == 1


async def test_other_connection_sees_committed_writes(store: Store, other_store: Store) -> None:
    job = await job_in(store, S.RUNNING)
    assert (await other_store.get_job(job.id)) == job
    assert await other_store.transition(job.id, S.SUCCEEDED)
    assert not await store.transition(job.id, S.FAILED)
    assert (await reload(store, job)).status is S.SUCCEEDED


async def test_release_post_lets_it_be_claimed_again(store: Store) -> None:
    job = await job_in(store, S.SUCCEEDED)
    assert await store.claim_post(job.id)
    assert not await store.claim_post(job.id)
    await store.release_post(job.id)
    assert (await reload(store, job)).post_claimed_at is None
    assert await store.claim_post(job.id)


async def test_expired_claim_can_be_reclaimed(store: Store, clock: Clock) -> None:
    job = await job_in(store, S.SUCCEEDED)
    assert await store.claim_post(job.id, lease_seconds=120)
    claimed_at = clock.now
    clock.advance(119)
    assert not await store.claim_post(job.id, lease_seconds=120)
    assert (await reload(store, job)).post_claimed_at == claimed_at
    clock.advance(2)
    assert await store.claim_post(job.id, lease_seconds=120)
    assert (await reload(store, job)).post_claimed_at == clock.now
    assert not await store.claim_post(job.id, lease_seconds=120)


async def test_finish_post_maps_the_message_and_leaves_the_unposted_list(
    store: Store, clock: Clock
) -> None:
    running = await job_in(store, S.RUNNING)
    first = await job_in(store, S.SUCCEEDED)
    second = await job_in(store, S.FAILED)
    assert [job.id for job in await store.unposted_jobs()] == [first.id, second.id]
    assert running.id not in {job.id for job in await store.unposted_jobs()}

    assert await store.claim_post(first.id)
    clock.advance(4)
    await store.finish_post(first.id, message_id=111_222_333, channel_id=9)
    posted = await reload(store, first)
    assert posted.posted_at == clock.now
    assert posted.result_message_id == 111_222_333
    assert await store.job_for_message(111_222_333) == posted
    assert [job.id for job in await store.unposted_jobs()] == [second.id]
    assert not await store.claim_post(first.id)
    await store.release_post(first.id)  # too late: it is posted
    assert not await store.claim_post(first.id)
    clock.advance(3600)  # long after the lease: still never posted twice
    assert not await store.claim_post(first.id)


async def test_finish_post_without_a_message(store: Store) -> None:
    job = await job_in(store, S.CANCELLED)
    await store.finish_post(job.id)
    done = await reload(store, job)
    assert done.posted_at is not None
    assert done.result_message_id is None
    assert await store.unposted_jobs() == []
    assert not await store.claim_post(job.id)  # posted without a claim: nothing left to claim


async def test_unknown_message_is_none(store: Store) -> None:
    job = await job_in(store, S.SUCCEEDED)
    await store.finish_post(job.id, message_id=1, channel_id=2)
    assert await store.job_for_message(404) is None


async def test_map_message_adds_a_second_message(store: Store) -> None:
    job = await job_in(store, S.SUCCEEDED)
    await store.finish_post(job.id, message_id=10, channel_id=2)
    await store.map_message(20, job.id, 3)
    assert (await store.job_for_message(10)) == (await store.job_for_message(20))
    assert (await store.job_for_message(20)).id == job.id  # type: ignore[union-attr]


async def test_release_all_post_claims(store: Store) -> None:
    stuck, posted, fresh = [await job_in(store, S.SUCCEEDED) for _ in range(3)]
    assert await store.claim_post(stuck.id)
    assert await store.claim_post(posted.id)
    await store.finish_post(posted.id, message_id=5, channel_id=6)
    assert await store.release_all_post_claims() == 1
    assert await store.claim_post(stuck.id)  # at once, without waiting out the lease
    assert await store.claim_post(fresh.id)
    assert not await store.claim_post(posted.id)
    assert await store.release_all_post_claims() == 2


# -- settings and meta -------------------------------------------------------------------------


async def test_user_settings_default_and_round_trip(store: Store) -> None:
    assert await store.user_settings(5) == UserSettings(5, None, "", False)
    saved = UserSettings(5, default_mode="relax", prompt_suffix=" --ar 16:9", dm_copy=True)
    await store.save_user_settings(saved)
    assert await store.user_settings(5) == saved
    changed = UserSettings(5, default_mode=None, prompt_suffix="", dm_copy=False)
    await store.save_user_settings(changed)
    assert await store.user_settings(5) == changed
    assert await store.user_settings(6) == UserSettings(6)


async def test_guild_settings_default_and_round_trip(store: Store) -> None:
    assert await store.guild_settings(77) == GuildSettings(77, None)
    await store.save_guild_settings(GuildSettings(77, "turbo"))
    assert await store.guild_settings(77) == GuildSettings(77, "turbo")
    await store.save_guild_settings(GuildSettings(77, None))
    assert await store.guild_settings(77) == GuildSettings(77, None)
    assert await store.guild_settings(78) == GuildSettings(78)


async def test_meta(store: Store, other_store: Store) -> None:
    assert await store.get_meta("missing") is None
    assert await store.meta_or_create("webhook_secret", lambda: "first") == "first"
    assert await store.meta_or_create("webhook_secret", lambda: "second") == "first"
    assert await other_store.meta_or_create("webhook_secret", lambda: "third") == "first"
    assert await store.get_meta("webhook_secret") == "first"
    await store.set_meta("tree_hash", "abc")
    await store.set_meta("tree_hash", "def")
    assert await other_store.get_meta("tree_hash") == "def"


async def test_a_migration_numbered_below_the_newest_still_runs(
    db_path: Path, clock: Clock
) -> None:
    """Branches merged out of order: a database that ran 008 before 007 existed gets 007."""
    store = await Store.open(db_path, clock=clock)
    try:
        await store.migrate()
        skipped = {number: name for number, name, _ in migrations()}[7]
    finally:
        await store.close()
    # The state of a database migrated by a build that did not ship 007 yet.
    con = sqlite3.connect(db_path)
    con.executescript(
        """DROP TABLE editor_links;
           DROP INDEX jobs_parent;
           ALTER TABLE jobs DROP COLUMN thread_id;
           ALTER TABLE guild_settings DROP COLUMN threads;"""
    )
    con.execute("DELETE FROM schema_migrations WHERE number = 7")
    con.commit()
    con.close()

    again = await Store.open(db_path, clock=clock)
    try:
        assert await again.migrate() == LATEST
    finally:
        await again.close()
    names = {row[0] for row in raw(db_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert "editor_links" in names, skipped
    assert (7,) in raw(db_path, "SELECT number FROM schema_migrations")


async def test_a_database_from_before_the_record_keeps_what_it_ran(
    db_path: Path, clock: Clock
) -> None:
    """Last round's database: user_version 3, no record. 1-3 count as run; 4 on are applied."""
    db_path.parent.mkdir(parents=True)
    con = sqlite3.connect(db_path)
    for number, _name, sql in migrations()[:3]:
        con.executescript(f"{sql}\nPRAGMA user_version = {number};")
    con.commit()
    con.close()

    store = await Store.open(db_path, clock=clock)
    try:
        assert await store.migrate() == LATEST  # 001 run again would fail: tables exist
        assert await store.migrate() == LATEST
    finally:
        await store.close()
    numbers = [row[0] for row in raw(db_path, "SELECT number FROM schema_migrations")]
    assert numbers == [number for number, _name, _sql in migrations()]
    names = {row[0] for row in raw(db_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert "editor_links" in names


async def test_a_file_that_is_not_a_database_is_refused_without_a_stray_thread(
    tmp_path: Path,
) -> None:
    """aiosqlite's worker thread is no daemon: a connection left open keeps the process alive."""
    import threading  # noqa: PLC0415 - only this test looks at threads

    path = tmp_path / "broken.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    before = set(threading.enumerate())

    with pytest.raises(sqlite3.DatabaseError):
        await Store.open(path)

    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=2)
        assert not thread.is_alive(), thread.name
