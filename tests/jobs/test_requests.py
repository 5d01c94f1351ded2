"""Stored job -> provider request (bot/jobs/requests.py): pure, no I/O."""

from __future__ import annotations

import pytest

from bot.jobs.models import JobKind
from bot.jobs.requests import to_request
from bot.provider.models import (
    ActionRequest,
    BlendRequest,
    DescribeRequest,
    Dimensions,
    ImagineRequest,
    InpaintRequest,
    Mode,
    SeedRequest,
)
from tests.ui.conftest import make_job

HOOK = "https://bot.example.org/hook/s3cret"


def test_every_request_names_its_row_in_the_hook_path() -> None:
    job = make_job(id=77, kind=JobKind.IMAGINE, prompt="a cat", mode="relax", timeout_s=600)
    request = to_request(job, HOOK + "/")
    assert request == ImagineRequest("a cat", Mode.RELAX, timeout=600, hook_url=f"{HOOK}/77")
    assert to_request(job, None).hook_url is None


@pytest.mark.parametrize(
    ("kind", "params", "action", "expected"),
    [
        (JobKind.BLEND, {"images": ["a", "b"], "dimensions": "PORTRAIT"}, None, BlendRequest),
        (JobKind.DESCRIBE, {"url": "https://cdn.example.org/x.png"}, None, DescribeRequest),
        (
            JobKind.ACTION,
            {"parent": "tt-1", "refs": {"b": "2", "a": "1"}},
            "upsample2",
            ActionRequest,
        ),
        (JobKind.SEED, {"parent": "tt-1"}, None, SeedRequest),
        (JobKind.INPAINT, {"parent": "tt-1", "mask": "iVBOR"}, None, InpaintRequest),
    ],
)
def test_each_kind_maps_to_its_request(
    kind: JobKind, params: dict[str, object], action: str | None, expected: type
) -> None:
    job = make_job(id=5, kind=kind, params=params, action=action, prompt="p", mode="fast")
    request = to_request(job, HOOK)
    assert isinstance(request, expected)
    assert request.hook_url == f"{HOOK}/5"
    if kind is JobKind.ACTION:
        assert request == ActionRequest(
            "tt-1", "upsample2", timeout=job.timeout_s, hook_url=f"{HOOK}/5",
            refs=(("a", "1"), ("b", "2")),
        )  # fmt: skip
    if kind is JobKind.BLEND:
        assert request.dimensions is Dimensions.PORTRAIT  # type: ignore[attr-defined]
