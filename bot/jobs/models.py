"""Jobs as the rest of the bot sees them: frozen rows of the jobs table."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.jobs.states import JobStatus
from bot.provider.models import MODES


class JobKind(StrEnum):
    """Which provider endpoint a job was sent to."""

    IMAGINE = "imagine"
    ACTION = "action"
    BLEND = "blend"
    DESCRIBE = "describe"
    SEED = "seed"
    INPAINT = "inpaint"


# Seconds the provider is given before it gives up on a job (TT API: at least 300 for
# fast and turbo, 600 for relax).
DEFAULT_TIMEOUTS = {"fast": 300, "turbo": 300, "relax": 600}


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asked for a job and where the answer goes."""

    user_id: int
    guild_id: int | None = None
    channel_id: int | None = None
    # The message already showing "Waiting to start", when the caller posted one first.
    progress_message_id: int | None = None
    # For the checks only (never stored): the member's roles, and whether they moderate here.
    role_ids: frozenset[int] = frozenset()
    is_admin: bool = False
    # In a thread: the channel it belongs to, so a channel allow list also covers its threads.
    parent_channel_id: int | None = None


@dataclass(frozen=True, slots=True)
class NewJob:
    """A job about to be written, before any provider call."""

    kind: JobKind
    mode: str
    requester: Requester
    prompt: str = ""
    action: str | None = None
    parent_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    timeout_s: int | None = None
    provider: str = "ttapi"  # follow-ups: the parent's; new jobs: set when admitted
    account: str | None = None

    @property
    def user_id(self) -> int:
        """Who asked."""
        return self.requester.user_id


@dataclass(frozen=True, slots=True)
class Job:
    """One stored job."""

    id: int
    provider: str
    provider_job_id: str | None
    parent_id: int | None
    kind: JobKind
    action: str | None
    status: JobStatus
    progress: int | None
    prompt: str
    mode: str
    params: dict[str, Any]
    components: tuple[str, ...]
    image_url: str | None
    images: tuple[str, ...]
    seed: str | None
    prompts: tuple[str, ...]
    quota: float | None
    error: str | None
    user_id: int
    guild_id: int | None
    channel_id: int | None
    progress_message_id: int | None
    result_message_id: int | None
    timeout_s: int
    created_at: float
    submitted_at: float | None
    updated_at: float
    finished_at: float | None
    next_poll_at: float | None
    post_claimed_at: float | None
    posted_at: float | None
    account: str | None = None  # the pool's account key; None = the provider's first account
    refs: dict[str, str] = field(default_factory=dict)  # what follow-ups send back
    thread_id: int | None = None  # the thread started from its result (threads on)
    result_prompt: str | None = None  # the prompt Midjourney reported (migration 008)
    estimate: float | None = None  # credits estimated at submit (bot/jobs/prices.py)
    # The provider's other link to the same image (discordImage next to cdnImage), if any.
    alt_image_url: str | None = None

    @property
    def requester(self) -> Requester:
        """Who asked for it and where."""
        return Requester(self.user_id, self.guild_id, self.channel_id)

    @property
    def finished(self) -> bool:
        """True once the job's outcome is known."""
        return self.status.finished


@dataclass(frozen=True, slots=True)
class UserSettings:
    """A member's preferences."""

    user_id: int
    default_mode: str | None = None
    prompt_suffix: str = ""
    dm_copy: bool = False
    dm_blocked: bool = False  # a DM copy bounced; the member has not been told yet


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """A server's preferences, switches and limits (0 = no limit)."""

    guild_id: int
    default_mode: str | None = None
    paused: bool = False
    allowed_modes: tuple[str, ...] = MODES
    buttons_who: str = "anyone"  # or "requester"
    required_role_id: int | None = None
    log_channel_id: int | None = None
    daily_limit: int = 0
    concurrent_limit: int = 0
    cooldown_s: int = 0
    guild_daily_limit: int = 0
    threads: bool = False  # each /imagine result starts a thread for its follow-ups


@dataclass(frozen=True, slots=True)
class Ban:
    """A member who may not use the bot in a server."""

    guild_id: int
    user_id: int
    reason: str
    banned_by: int
    created_at: float


@dataclass(frozen=True, slots=True)
class EditorLink:
    """A one-time Vary (Region) editor link as stored: who, which job, until when."""

    nonce: str
    job_id: int
    requester: Requester
    browser: str | None
    expires_at: float
    created_at: float
    used_at: float | None
