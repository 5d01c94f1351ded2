"""Pure parsing of recorded TT API payloads: every documented variant, no network."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.provider.models import (
    AccountInfo,
    RemoteStatus,
    parse_account,
    parse_describe_prompts,
    parse_job_id,
    parse_snapshot,
)
from tests.provider import samples

KEYCAP = "\u20e3"


def parse(payload: Any, job_id: str = "") -> Any:
    """parse_snapshot that must find a job."""
    snapshot = parse_snapshot(payload, job_id)
    assert snapshot is not None, payload
    return snapshot


# --- status ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        pytest.param(samples.PENDING_QUEUE, RemoteStatus.PENDING, id="PENDING_QUEUE"),
        pytest.param(samples.ON_QUEUE, RemoteStatus.RUNNING, id="ON_QUEUE"),
        pytest.param(samples.OLD_SUCCESS, RemoteStatus.SUCCESS, id="SUCCESS-old"),
        pytest.param(samples.NEW_SUCCESS, RemoteStatus.SUCCESS, id="SUCCESS-new"),
        pytest.param(samples.OLD_FAILED, RemoteStatus.FAILED, id="FAILED-old"),
        pytest.param(json.loads(samples.REAL_FAILED_JSON), RemoteStatus.FAILED, id="FAILED-real"),
    ],
)
def test_status_of_each_sample(payload: dict[str, Any], status: RemoteStatus) -> None:
    """Every documented state maps to its RemoteStatus; only SUCCESS/FAILED are final."""
    snapshot = parse(payload)
    assert snapshot.status is status
    assert snapshot.status.value == payload["status"]
    assert snapshot.status.finished is (status in (RemoteStatus.SUCCESS, RemoteStatus.FAILED))


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({}, id="empty"),
        pytest.param({"status": "DONE", "jobId": "x"}, id="unknown-status"),
        pytest.param({"status": None, "jobId": "x", "data": {}}, id="null-status"),
        pytest.param({"message": "hello", "data": {"jobId": "x"}}, id="no-status"),
        pytest.param(
            {"code": 1, "description": "Submit success", "result": "1320098173412546"},
            id="midjourney-proxy-submit",
        ),
        pytest.param({"error": {"code": "bad_request", "message": "x"}}, id="acedata-error"),
    ],
)
def test_non_job_body_is_none(payload: dict[str, Any]) -> None:
    """A body without a TT job status is not a job payload."""
    assert parse_snapshot(payload, "fallback-id") is None


# --- the recorded samples -----------------------------------------------------------------


def test_old_docs_success_callback() -> None:
    """Old docs: `data.actions`, `seed: ""`, 8 components, `message: "success"`."""
    snapshot = parse(samples.OLD_SUCCESS)
    assert snapshot.job_id == samples.OLD_JOB_ID
    assert snapshot.message == "success"
    assert snapshot.action == "imagine"
    assert snapshot.progress == 100
    assert snapshot.prompt == samples.OLD_PROMPT
    assert snapshot.image_url == samples.OLD_CDN_IMAGE
    assert snapshot.images == tuple(samples.OLD_IMAGES)
    assert snapshot.components == tuple(samples.OLD_COMPONENTS)
    assert "reroll" not in snapshot.components
    assert snapshot.seed is None
    assert snapshot.quota is None
    assert (snapshot.width, snapshot.height) == (None, None)
    assert snapshot.prompts == ()


def test_new_docs_success() -> None:
    """New docs: `data.action`, quota "2", `hookUrl: null`, 9 components incl. reroll."""
    snapshot = parse(samples.NEW_SUCCESS)
    assert snapshot.job_id == samples.NEW_JOB_ID
    assert snapshot.status is RemoteStatus.SUCCESS
    assert snapshot.message == ""
    assert snapshot.action == "imagine"
    assert snapshot.progress == 100
    assert snapshot.prompt == "a cat"
    assert snapshot.quota == 2.0
    assert (snapshot.width, snapshot.height) == (1024, 1024)
    assert snapshot.image_url == samples.NEW_CDN_IMAGE
    assert snapshot.images == tuple(samples.NEW_IMAGES)
    assert len(snapshot.components) == 9
    assert snapshot.components == tuple(samples.NEW_COMPONENTS)
    assert snapshot.seed is None


def test_pending_with_data_list() -> None:
    """PENDING_QUEUE carries `data: []`: every field falls back to its default."""
    snapshot = parse(samples.PENDING_QUEUE)
    assert snapshot.job_id == samples.OLD_JOB_ID
    assert snapshot.status is RemoteStatus.PENDING
    assert snapshot.message == ""
    assert snapshot.action is None
    assert snapshot.progress is None
    assert snapshot.prompt is None
    assert snapshot.image_url is None
    assert snapshot.images == ()
    assert snapshot.components == ()
    assert snapshot.seed is None


def test_on_queue_with_null_seed_and_images() -> None:
    """ON_QUEUE (old docs): `seed: null`, `images: null`, empty components, a preview image."""
    snapshot = parse(samples.ON_QUEUE)
    assert snapshot.status is RemoteStatus.RUNNING
    assert snapshot.action == "imagine"
    assert snapshot.progress == 100  # the docs' artifact, kept as given
    assert snapshot.seed is None
    assert snapshot.images == ()
    assert snapshot.components == ()
    assert snapshot.image_url == samples.OLD_CDN_IMAGE


def test_old_failed_with_data_list_keeps_message() -> None:
    """FAILED with `data: []`: the message is the failure reason."""
    snapshot = parse(samples.OLD_FAILED)
    assert snapshot.status is RemoteStatus.FAILED
    assert snapshot.message == "failed"
    assert snapshot.job_id == samples.OLD_JOB_ID
    assert snapshot.images == ()


def test_real_failed_sample_full_of_nulls() -> None:
    """The real FAILED sample: nulls everywhere, the reason in the top-level message."""
    snapshot = parse(json.loads(samples.REAL_FAILED_JSON))
    assert snapshot.status is RemoteStatus.FAILED
    assert snapshot.message == "[Bad response] Internal Error."
    assert snapshot.job_id == samples.FAILED_JOB_ID
    assert snapshot.action == "imagine"
    assert snapshot.prompt == samples.REAL_FAILED_PROMPT
    assert snapshot.progress is None
    assert snapshot.image_url is None
    assert snapshot.components == ()
    assert snapshot.images == ()
    assert snapshot.seed is None


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(samples.DATA_NULL, id="null"),
        pytest.param(samples.DATA_EMPTY_OBJECT, id="empty-object"),
        pytest.param({**samples.DATA_NULL, "data": []}, id="empty-list"),
        pytest.param({**samples.DATA_NULL, "data": "oops"}, id="string"),
        pytest.param({k: v for k, v in samples.DATA_NULL.items() if k != "data"}, id="missing"),
    ],
)
def test_data_shapes_without_fields(payload: dict[str, Any]) -> None:
    """`data` as null, {}, [], a string or absent: a snapshot with defaults, no exception."""
    snapshot = parse(payload)
    assert snapshot.job_id == samples.OLD_JOB_ID
    assert snapshot.status is RemoteStatus.RUNNING
    assert snapshot.action is None
    assert snapshot.progress is None
    assert snapshot.images == ()
    assert snapshot.components == ()
    assert snapshot.seed is None
    assert snapshot.prompts == ()


# --- field variants -----------------------------------------------------------------------


@pytest.mark.parametrize(("progress", "expected"), samples.PROGRESS_VARIANTS)
def test_progress_variants(progress: Any, expected: int | None) -> None:
    """progress "37", 37, 37.5, "37%" -> 37; null -> None."""
    assert parse(samples.running_with_progress(progress)).progress == expected


@pytest.mark.parametrize(
    ("progress", "expected"),
    [("0", 0), ("100", 100), ("150", 100), ("-5", 0), ("", None), ("abc", None), ([], None)],
)
def test_progress_clamped_or_dropped(progress: Any, expected: int | None) -> None:
    """Out-of-range progress is clamped to 0..100; unreadable progress is None."""
    assert parse(samples.running_with_progress(progress)).progress == expected


@pytest.mark.parametrize("progress", ["NaN", float("inf")])
def test_progress_not_finite_is_dropped(progress: Any) -> None:
    """Non-finite progress (json.loads accepts NaN/Infinity) must not crash the parser."""
    assert parse(samples.running_with_progress(progress)).progress is None


@pytest.mark.parametrize("value", [float("nan"), "Infinity"])
def test_size_not_finite_keeps_a_paid_result(value: Any) -> None:
    """A SUCCESS with a non-finite width still parses: the paid images are not lost."""
    payload = {**samples.NEW_SUCCESS, "data": {**samples.NEW_SUCCESS["data"], "width": value}}
    snapshot = parse(payload)
    assert snapshot.width is None
    assert snapshot.images == tuple(samples.NEW_IMAGES)


def test_success_progress_is_100_whatever_the_field_says() -> None:
    """A finished job is 100 %, even with `progress: null`."""
    payload = {**samples.NEW_SUCCESS, "data": {**samples.NEW_SUCCESS["data"], "progress": None}}
    assert parse(payload).progress == 100


@pytest.mark.parametrize(
    ("data", "action"),
    [
        ({"action": "upsample2"}, "upsample2"),
        ({"actions": "variation1"}, "variation1"),
        ({"action": "imagine", "actions": "describe"}, "imagine"),
        ({"action": None, "actions": "reroll"}, "reroll"),
        ({"action": "", "actions": ""}, None),
        ({}, None),
    ],
)
def test_action_or_actions(data: dict[str, Any], action: str | None) -> None:
    """`data.action` wins; old-docs `data.actions` is the fallback."""
    assert parse({"status": "ON_QUEUE", "jobId": "j", "data": data}).action == action


@pytest.mark.parametrize(
    ("payload", "fallback", "expected"),
    [
        ({"status": "SUCCESS", "jobId": "top", "data": {"jobId": "inner"}}, "arg", "top"),
        ({"status": "SUCCESS", "data": {"jobId": "inner"}}, "arg", "inner"),
        ({"status": "SUCCESS", "data": {"job_id": "snake"}}, "arg", "snake"),
        ({"status": "SUCCESS", "data": []}, "arg", "arg"),
        ({"status": "SUCCESS", "jobId": "", "data": None}, "arg", "arg"),
    ],
)
def test_snapshot_job_id_fallbacks(payload: dict[str, Any], fallback: str, expected: str) -> None:
    """Top-level jobId, then data.jobId / data.job_id, then the id the caller asked for."""
    assert parse(payload, fallback).job_id == expected


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("images", None, ()),
        ("images", [], ()),
        ("images", ["a.png", None, "", 3, "b.png"], ("a.png", "b.png")),
        ("images", "a.png", ()),
        ("components", None, ()),
        ("components", [], ()),
        ("components", ["upsample1", None, ""], ("upsample1",)),
        ("seed", None, None),
        ("seed", "", None),
        ("seed", "1234567890", "1234567890"),
        ("seed", 1234567890, "1234567890"),
        ("quota", "2", 2.0),
        ("quota", 1.5, 1.5),
        ("quota", None, None),
        ("quota", "free", None),
        ("width", "960", 960),
        ("width", None, None),
    ],
)
def test_optional_fields_null_or_empty(field: str, value: Any, expected: Any) -> None:
    """images/components/seed/quota/width may be null, empty or odd; never an exception."""
    data = {**samples.NEW_SUCCESS["data"], field: value}
    snapshot = parse({**samples.NEW_SUCCESS, "data": data})
    assert getattr(snapshot, field) == expected


def test_image_url_falls_back_to_discord_image() -> None:
    """cdnImage first; discordImage when the CDN link is missing."""
    data = {**samples.OLD_SUCCESS["data"], "cdnImage": None}
    assert parse({**samples.OLD_SUCCESS, "data": data}).image_url == samples.OLD_DISCORD_IMAGE


def test_message_null_is_empty_string() -> None:
    """A null message reads as ""."""
    assert parse({**samples.PENDING_QUEUE, "message": None}).message == ""


# --- describe -----------------------------------------------------------------------------


def test_describe_success_has_four_clean_prompts() -> None:
    """The describe text becomes exactly 4 prompts without keycaps or blank lines."""
    snapshot = parse(samples.DESCRIBE_SUCCESS)
    assert snapshot.action == "describe"
    assert snapshot.prompt == samples.DESCRIBE_TEXT
    assert snapshot.prompts == samples.DESCRIBE_PROMPTS
    for prompt in snapshot.prompts:
        assert KEYCAP not in prompt
        assert "\ufe0f" not in prompt
        assert prompt == prompt.strip()
        assert prompt


def test_describe_with_old_actions_field() -> None:
    """Old-docs `data.actions: "describe"` still yields the prompts."""
    data = {**samples.DESCRIBE_SUCCESS["data"], "actions": "describe"}
    del data["action"]
    snapshot = parse({**samples.DESCRIBE_SUCCESS, "data": data})
    assert snapshot.prompts == samples.DESCRIBE_PROMPTS


def test_prompts_only_for_describe() -> None:
    """An imagine whose prompt starts with a keycap is not split."""
    data = {**samples.NEW_SUCCESS["data"], "prompt": samples.NZK_DESCRIBE_TEXT}
    snapshot = parse({**samples.NEW_SUCCESS, "data": data})
    assert snapshot.prompt == samples.NZK_DESCRIBE_TEXT
    assert snapshot.prompts == ()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(samples.NZK_DESCRIBE_TEXT, id="nzk-docs"),
        pytest.param(samples.NZK_DESCRIBE_TEXT.replace("\ufe0f", ""), id="keycap-without-fe0f"),
        pytest.param(
            "1. Cat --ar 5:4\n2. Cat2 --ar 5:4\n3. Cat3 --ar 5:4\n4. Cat4 --ar 5:4", id="dot"
        ),
        pytest.param(
            "  1️⃣ Cat --ar 5:4  \r\n\r\n2️⃣Cat2 --ar 5:4\n\n\n3️⃣ Cat3 --ar 5:4\n\n4️⃣ Cat4 --ar 5:4\n",
            id="messy-whitespace",
        ),
    ],
)
def test_parse_describe_prompts_variants(text: str) -> None:
    """Keycaps with or without U+FE0F, "1." numbering, CRLF and stray spaces."""
    assert parse_describe_prompts(text) == (
        "Cat --ar 5:4",
        "Cat2 --ar 5:4",
        "Cat3 --ar 5:4",
        "Cat4 --ar 5:4",
    )


def test_parse_describe_prompts_joins_wrapped_lines() -> None:
    """A line without a number continues the previous prompt."""
    text = "1️⃣ a cat\non a sofa --ar 1:1\n\n2️⃣ a dog"
    assert parse_describe_prompts(text) == ("a cat on a sofa --ar 1:1", "a dog")


def test_parse_describe_prompts_empty() -> None:
    """Empty text or bare keycaps give no prompts."""
    assert parse_describe_prompts("") == ()
    assert parse_describe_prompts("1️⃣\n\n2️⃣  ") == ()


# --- submit answers and account -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (samples.SUBMIT_OK_JOB_ID["data"], "b8bd3ff0-4349-4b71-8938-5e13aefa64fe"),
        (samples.SUBMIT_OK_OLD["data"], "afa774a3-1aee-5aba-4510-14818d6875e4"),
        (samples.SUBMIT_OK_SNAKE["data"], "0123456789abcdef0123456789abcdef"),
        ({"jobId": "camel", "job_id": "snake"}, "camel"),
        ({"jobId": "", "job_id": "snake"}, "snake"),
        ({"jobId": 12345}, "12345"),
        (samples.BANNED_400["data"], None),
        ({}, None),
        ([], None),
        (None, None),
        ("b8bd3ff0", None),
        ({"jobId": None}, None),
    ],
)
def test_parse_job_id(data: Any, expected: str | None) -> None:
    """Submit answers: `data.jobId`, else `data.job_id`; anything else is None."""
    assert parse_job_id(data) == expected


def test_parse_account_sample() -> None:
    """GET /info: balance, frozen quota and queue size."""
    assert parse_account(samples.ACCOUNT_INFO) == AccountInfo(balance=10.0, frozen=0.0, max_queue=5)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, AccountInfo(None, None, None)),
        ([], AccountInfo(None, None, None)),
        ({"balance": "12.5", "freeze_balance": "3", "max_queue": "10"}, AccountInfo(12.5, 3.0, 10)),
        ({"balance": True, "max_queue": "many"}, AccountInfo(None, None, None)),
    ],
)
def test_parse_account_variants(data: Any, expected: AccountInfo) -> None:
    """Missing or odd account fields are None, strings are read as numbers."""
    assert parse_account({"status": "SUCCESS", "data": data}) == expected
