"""The hook receiver finds the job id in every provider's callback body."""

from __future__ import annotations

from typing import Any

import pytest

from bot.jobs.webhook import _job_id


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"status": "SUCCESS", "jobId": "tt-1", "data": {}}, "tt-1"),
        ({"status": "SUCCESS", "data": {"job_id": "tt-2"}}, "tt-2"),
        (
            {"id": "1741531578038123", "status": "IN_PROGRESS", "progress": "31%"},
            "1741531578038123",
        ),
        ({"success": True, "task_id": "ace-3", "progress": 100}, "ace-3"),
        ({"status": "FAILED", "data": {"id": "not-a-tt-id"}}, None),
        ([], None),
    ],
)
def test_job_id_of_each_providers_callback(body: Any, expected: str | None) -> None:
    assert _job_id(body) == expected
