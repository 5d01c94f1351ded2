"""The words members read: progress lines, result lines, failures, describe embeds."""

from __future__ import annotations

import pytest

from bot.jobs.display import blend_params
from bot.jobs.models import JobKind, NewJob, Requester
from bot.jobs.states import JobStatus
from bot.ui.embeds import (
    MAX_CONTENT,
    allowed_mentions,
    describe_embed,
    describe_embeds,
    failure_text,
    preview_text,
    progress_bar,
    progress_text,
    result_embed,
    result_text,
)
from tests.ui.conftest import USER, make_job

MENTION = f"<@{USER}>"
PROMPTS = ("a red fox, oil painting", "a *bold* fox", "__under__ fox", "fox at dawn --ar 3:2")


@pytest.mark.parametrize(
    ("status", "progress", "position", "state"),
    [
        (JobStatus.QUEUED, None, 0, "Queued — next up"),
        (JobStatus.QUEUED, None, 3, "Queued — 3 ahead"),
        (JobStatus.QUEUED, None, None, "Waiting to start"),
        (JobStatus.SUBMITTING, None, None, "Waiting to start"),
        (JobStatus.SUBMITTED, None, None, "Waiting to start"),
        (JobStatus.RUNNING, 37, None, "▰▰▱▱▱▱ 37 % · fast"),
        (JobStatus.RUNNING, 100, None, "▰▰▰▰▰▱ 99 % · fast"),  # 100 % only with the result
        (JobStatus.RUNNING, None, None, "Waiting to start"),
    ],
)
def test_progress_text(
    status: JobStatus, progress: int | None, position: int | None, state: str
) -> None:
    """The progress line names the prompt, the requester and where the job is."""
    job = make_job(status=status, progress=progress, components=(), finished_at=None)
    assert progress_text(job, position) == f"**a cat** - {MENTION} ({state})"


@pytest.mark.parametrize(
    ("action", "kind", "tail"),
    [
        (None, JobKind.IMAGINE, f"{MENTION} (fast)"),
        ("reroll", JobKind.ACTION, f"{MENTION} (fast)"),
        ("upsample2", JobKind.ACTION, f"Image #2 {MENTION}"),
        ("variation3", JobKind.ACTION, f"Variations (Image #3) by {MENTION} (fast)"),
        ("upscale_subtle", JobKind.ACTION, f"Upscaled (Subtle) by {MENTION} (fast)"),
        ("upscale_creative", JobKind.ACTION, f"Upscaled (Creative) by {MENTION} (fast)"),
        ("upscale2", JobKind.ACTION, f"Upscaled (2x) by {MENTION} (fast)"),
        ("high_variation", JobKind.ACTION, f"Variations (Strong) by {MENTION} (fast)"),
        ("low_variation", JobKind.ACTION, f"Variations (Subtle) by {MENTION} (fast)"),
        ("zoom_out_2", JobKind.ACTION, f"Zoom Out by {MENTION} (fast)"),
        ("zoom_out_1_5", JobKind.ACTION, f"Zoom Out by {MENTION} (fast)"),
        ("pan_left", JobKind.ACTION, f"Pan Left by {MENTION} (fast)"),
        ("pan_down", JobKind.ACTION, f"Pan Down by {MENTION} (fast)"),
        ("make_square", JobKind.ACTION, f"Make Square by {MENTION} (fast)"),
    ],
)
def test_result_text(action: str | None, kind: JobKind, tail: str) -> None:
    """Result lines follow the official bot's wording."""
    assert result_text(make_job(kind=kind, action=action)) == f"**a cat** - {tail}"


def test_result_text_shows_mode() -> None:
    """The mode in parentheses is the job's own."""
    assert result_text(make_job(mode="relax")).endswith("(relax)")


@pytest.mark.parametrize(
    ("kind", "shown"), [(JobKind.BLEND, "Blend"), (JobKind.DESCRIBE, "/describe")]
)
def test_result_text_of_promptless_kinds(kind: JobKind, shown: str) -> None:
    """Blend and describe have no prompt of their own; the command stands in for it."""
    assert result_text(make_job(kind=kind, prompt="")) == f"**{shown}** - {MENTION} (fast)"


@pytest.mark.parametrize(
    ("prompt", "escaped"),
    [("*bold*", r"\*bold\*"), ("__x__", r"\_\_x\_\_"), ("`code` ~~s~~", r"\`code\` \~\~s\~\~")],
)
def test_prompt_markdown_is_escaped(prompt: str, escaped: str) -> None:
    """Markdown in a prompt is shown literally, not rendered."""
    job = make_job(prompt=prompt)
    assert result_text(job) == f"**{escaped}** - {MENTION} (fast)"
    assert progress_text(make_job(prompt=prompt, status=JobStatus.SUBMITTED)).startswith(
        f"**{escaped}** - "
    )


def test_empty_prompt_has_a_placeholder() -> None:
    """A blank prompt never renders as '****'."""
    assert result_text(make_job(prompt="   ")).startswith("**(no prompt)** - ")


@pytest.mark.parametrize("prompt", ["p" * 5000, "*" * 5000, "_" * 3000 + "x" * 3000])
def test_long_prompt_fits_in_a_message(prompt: str) -> None:
    """A huge prompt (escaped or not) still gives content of at most 2000 characters."""
    job = make_job(prompt=prompt, action="upscale_creative", kind=JobKind.ACTION)
    for text in (
        result_text(job),
        progress_text(make_job(prompt=prompt, status=JobStatus.RUNNING, progress=5)),
        failure_text(make_job(prompt=prompt, status=JobStatus.FAILED, error="e" * 3000)),
    ):
        assert len(text) <= MAX_CONTENT
        assert text.startswith("**")
        assert MENTION in text


def test_failure_text_contains_the_reason() -> None:
    """A failed job shows the provider's own reason."""
    job = make_job(status=JobStatus.FAILED, error="Banned prompt: gore", components=())
    text = failure_text(job)
    assert text == f"**a cat** - {MENTION} failed: Banned prompt: gore"


def test_failure_text_without_a_reason() -> None:
    """No reason from the provider still gives a readable sentence."""
    text = failure_text(make_job(status=JobStatus.FAILED, error=None))
    assert text.startswith(f"**a cat** - {MENTION} failed: ")
    assert text.endswith("Midjourney did not say why.")


def test_cancelled_text() -> None:
    """A cancelled job says so rather than 'failed'."""
    text = failure_text(make_job(status=JobStatus.CANCELLED, error="stopped by owner"))
    assert text == f"**a cat** - {MENTION} was cancelled: stopped by owner"


def test_allowed_mentions_ping_only_the_requester() -> None:
    """@everyone, roles and other users in a prompt never ping anyone."""
    mentions = allowed_mentions(make_job(prompt="@everyone <@&5> <@6>"))
    assert mentions.everyone is False
    assert mentions.roles is False
    assert isinstance(mentions.users, list)
    assert [user.id for user in mentions.users] == [USER]
    assert mentions.replied_user is False


def test_result_embed() -> None:
    """The result embed shows the image and the job's number and mode."""
    embed = result_embed(make_job(id=12, mode="turbo"), "attachment://grid.png")
    assert embed.image.url == "attachment://grid.png"
    assert embed.footer.text is not None
    assert "12" in embed.footer.text
    assert "turbo" in embed.footer.text
    assert result_embed(make_job(), None).image.url is None


def test_describe_embed_lists_prompts_with_keycaps() -> None:
    """Four prompts, numbered 1️⃣-4️⃣ in order, escaped, beneath the image shown large."""
    job = make_job(kind=JobKind.DESCRIBE, prompts=PROMPTS, components=())
    picture, embed = describe_embeds(job, "https://cdn.example/in.png")
    assert picture.image.url == "https://cdn.example/in.png"
    assert picture.thumbnail.url is None
    assert embed.description is not None
    lines = [line for line in embed.description.split("\n") if line]
    assert lines == [
        "1️⃣ a red fox, oil painting",
        r"2️⃣ a \*bold\* fox",
        r"3️⃣ \_\_under\_\_ fox",
        "4️⃣ fox at dawn --ar 3:2",
    ]
    assert embed.thumbnail.url is None
    assert embed.image.url is None
    assert len(embed) + len(picture) <= 6000


def test_describe_embed_limits() -> None:
    """Huge prompts are cut to the embed description's 4096 characters."""
    job = make_job(kind=JobKind.DESCRIBE, prompts=("w" * 3000,) * 4, components=())
    [embed] = describe_embeds(job, None)
    assert embed.description is not None
    assert len(embed.description) <= 4096
    assert embed.thumbnail.url is None
    assert len(embed) <= 6000


def test_describe_embed_without_prompts() -> None:
    """No prompts back: the embed says so instead of being empty."""
    embed = describe_embed(make_job(kind=JobKind.DESCRIBE, prompts=(), components=()))
    assert embed.description


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (
            NewJob(JobKind.IMAGINE, "fast", Requester(USER), prompt="a *cat*"),
            rf"**a \*cat\*** - {MENTION} (Waiting to start)",
        ),
        (
            NewJob(JobKind.ACTION, "relax", Requester(USER), prompt="a cat", action="upsample4"),
            f"**a cat** - Image #4 {MENTION} (Waiting to start)",
        ),
        (
            NewJob(JobKind.ACTION, "fast", Requester(USER), prompt="a cat", action="pan_up"),
            f"**a cat** - Pan Up by {MENTION} (Waiting to start)",
        ),
        (
            NewJob(JobKind.BLEND, "fast", Requester(USER), params=blend_params(2, ["a.png", "b"])),
            f"**Blend of a and b** - {MENTION} (Waiting to start)",
        ),
        (
            NewJob(JobKind.DESCRIBE, "fast", Requester(USER)),
            f"**/describe** - {MENTION} (Waiting to start)",
        ),
    ],
)
def test_preview_text(new: NewJob, expected: str) -> None:
    """The line shown before the job exists matches the later progress line."""
    assert preview_text(new) == expected


@pytest.mark.parametrize(
    ("progress", "mode", "eta", "line"),
    [
        (46, "fast", 18.2, "▰▰▰▱▱▱ 46 % · fast · ~20 s left"),
        (0, "relax", 250.0, "▱▱▱▱▱▱ 0 % · relax · ~5 min left"),
        (93, "turbo", 0.4, "▰▰▰▰▰▱ 93 % · turbo · ~5 s left"),
        (15, "fast", None, "▰▱▱▱▱▱ 15 % · fast"),
    ],
)
def test_progress_bar_shows_percentage_mode_and_time_left(
    progress: int, mode: str, eta: float | None, line: str
) -> None:
    assert progress_bar(progress, mode, eta) == line


def test_a_running_job_shows_its_bar_and_time_left() -> None:
    job = make_job(status=JobStatus.RUNNING, progress=46, components=(), finished_at=None)
    assert (
        progress_text(job, None, eta=20.0)
        == f"**a cat** - {MENTION} (▰▰▰▱▱▱ 46 % · fast · ~20 s left)"
    )
