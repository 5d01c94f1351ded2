"""Typed requests and results for image providers, and pure parsing of TT API payloads.

The TT API documents several shapes for the same thing (see "TT API questions the docs leave
open" in the README):
`data.jobId` or `data.job_id`, `data.action` or `data.actions`, `data` as [], {}, null or an
object, `progress` as "37", 37 or null. Parsing accepts all of them and never raises on a
missing field: a job payload is data from outside, and a crash here would lose a paid result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from bot.provider.fields import integer as _integer
from bot.provider.fields import number as _number
from bot.provider.fields import text as _text


class Mode(StrEnum):
    """Midjourney speed modes; turbo costs the most."""

    FAST = "fast"
    RELAX = "relax"
    TURBO = "turbo"


# The one list of modes, in the order menus show them (settings, commands, admin, checks).
MODES: Final = tuple(mode.value for mode in Mode)


class Dimensions(StrEnum):
    """Blend output shapes."""

    PORTRAIT = "PORTRAIT"
    SQUARE = "SQUARE"
    LANDSCAPE = "LANDSCAPE"


class RemoteStatus(StrEnum):
    """Job states as the TT API reports them."""

    PENDING = "PENDING_QUEUE"
    RUNNING = "ON_QUEUE"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"

    @property
    def finished(self) -> bool:
        """True once the job cannot change any more."""
        return self in (RemoteStatus.SUCCESS, RemoteStatus.FAILED)


@dataclass(frozen=True, slots=True)
class ImagineRequest:
    """POST /midjourney/v1/imagine."""

    prompt: str
    mode: Mode = Mode.FAST
    timeout: int | None = None
    hook_url: str | None = None


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """POST /midjourney/v1/action: a button (upsample2, variation1, ...) on a finished job."""

    job_id: str
    action: str
    timeout: int | None = None
    hook_url: str | None = None
    # What the parent's provider needs to act on it: proxy custom ids, AceData's image id.
    refs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class BlendRequest:
    """POST /midjourney/v1/blend with 2 to 5 images as data URLs."""

    images: tuple[str, ...]
    dimensions: Dimensions = Dimensions.SQUARE
    mode: Mode = Mode.FAST
    timeout: int | None = None
    hook_url: str | None = None


@dataclass(frozen=True, slots=True)
class DescribeRequest:
    """POST /midjourney/v1/describe with a data URL (`image`) or a public `url`."""

    image: str | None = None
    url: str | None = None
    mode: Mode = Mode.FAST
    timeout: int | None = None
    hook_url: str | None = None


@dataclass(frozen=True, slots=True)
class SeedRequest:
    """POST /midjourney/v1/seed for a finished job."""

    job_id: str
    timeout: int | None = None
    hook_url: str | None = None
    # What the parent's provider needs to act on it: proxy custom ids, AceData's image id.
    refs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class InpaintRequest:
    """POST /midjourney/v1/inpaint (Vary (Region)); `mask` is plain base64, white = repaint."""

    job_id: str
    mask: str
    prompt: str | None = None
    timeout: int | None = None
    hook_url: str | None = None
    # What the parent's provider needs to act on it: proxy custom ids, AceData's image id.
    refs: tuple[tuple[str, str], ...] = ()


SubmitRequest = (
    ImagineRequest | ActionRequest | BlendRequest | DescribeRequest | SeedRequest | InpaintRequest
)


@dataclass(frozen=True, slots=True)
class JobSnapshot:
    """One look at a provider job: what fetch returned or a callback carried."""

    job_id: str
    status: RemoteStatus
    message: str = ""
    action: str | None = None
    progress: int | None = None
    prompt: str | None = None
    image_url: str | None = None
    images: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    seed: str | None = None
    width: int | None = None
    height: int | None = None
    quota: float | None = None
    prompts: tuple[str, ...] = ()
    alt_image_url: str | None = None  # discordImage when it differs from cdnImage
    # Provider data that follow-ups need (proxy: component -> customId; AceData: image_id).
    refs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """GET /midjourney/v1/info: the owner's balance in quota units (100 = 1 USD)."""

    balance: float | None
    frozen: float | None
    max_queue: int | None


def parse_job_id(data: Any) -> str | None:
    """The job id of a submit answer: `data.jobId`, else `data.job_id`."""
    if not isinstance(data, Mapping):
        return None
    value = data.get("jobId") or data.get("job_id")
    return str(value) if value else None


def parse_snapshot(payload: Mapping[str, Any], job_id: str = "") -> JobSnapshot | None:
    """Parse a fetch answer or callback body; None when it is not a job payload at all."""
    if not isinstance(payload, Mapping):
        return None
    try:
        status = RemoteStatus(str(payload.get("status", "")).upper())
    except ValueError:
        return None
    if "data" not in payload and not _PROXY_FIELDS.isdisjoint(payload):
        # A midjourney-proxy task (`id`, `imageUrl`, `buttons` at the top, no `data`) also
        # says SUCCESS; it must not pass as a TT result with no image.
        return None
    data = payload.get("data")
    data = data if isinstance(data, Mapping) else {}
    job_id = str(payload.get("jobId") or parse_job_id(data) or job_id)
    action = _text(data.get("action")) or _text(data.get("actions"))
    prompt = _text(data.get("prompt"))
    image_url = _text(data.get("cdnImage")) or _text(data.get("discordImage"))
    alt_image_url = _text(data.get("discordImage"))
    return JobSnapshot(
        job_id=job_id,
        status=status,
        message=_text(payload.get("message")) or "",
        action=action,
        progress=_progress(data.get("progress"), status),
        prompt=prompt,
        image_url=image_url,
        images=_strings(data.get("images")),
        components=_strings(data.get("components")),
        seed=_text(data.get("seed")),
        width=_integer(data.get("width")),
        height=_integer(data.get("height")),
        quota=_number(data.get("quota")),
        prompts=parse_describe_prompts(prompt) if action == "describe" and prompt else (),
        alt_image_url=alt_image_url if alt_image_url != image_url else None,
    )


def parse_account(payload: Mapping[str, Any]) -> AccountInfo:
    """Parse GET /info; unknown fields are None rather than errors."""
    data = payload.get("data")
    data = data if isinstance(data, Mapping) else {}
    return AccountInfo(
        balance=_number(data.get("balance")),
        frozen=_number(data.get("freeze_balance")),
        max_queue=_integer(data.get("max_queue")),
    )


_PROXY_FIELDS: Final = frozenset({"id", "buttons", "imageUrl", "failReason", "submitTime"})
_KEYCAP: Final = re.compile(r"^\s*(?:[1-9]\ufe0f?\u20e3|[1-9][.)])\s*")


def parse_describe_prompts(text: str) -> tuple[str, ...]:
    """Split describe's text ("1️⃣ a cat --ar 5:4\\n\\n2️⃣ ...") into its prompts."""
    prompts: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        numbered = _KEYCAP.match(line)
        cleaned = line[numbered.end() :].strip() if numbered else line.strip()
        if numbered or not prompts:
            prompts.append(cleaned)
        else:  # a wrapped continuation of the previous prompt
            prompts[-1] = f"{prompts[-1]} {cleaned}"
    return tuple(prompt for prompt in prompts if prompt)


def _progress(value: Any, status: RemoteStatus) -> int | None:
    if status is RemoteStatus.SUCCESS:
        return 100
    number = _number(str(value).rstrip("%")) if value is not None else None
    return max(0, min(100, int(number))) if number is not None else None


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(item) for item in value if isinstance(item, str) and item)
