"""A result over the server's upload limit is uploaded re-encoded, its original linked."""

from __future__ import annotations

import pytest

from tests.cogs.conftest import Harness
from tests.ui.test_fit import noisy_png

LIMIT = 300_000


async def test_result_over_the_limit_is_uploaded_reencoded(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher = harness.bot.extensions["cogs.publisher"]
    monkeypatch.setattr(publisher, "DEFAULT_UPLOAD_LIMIT", LIMIT)  # no guild cached: default
    harness.tt.image_bytes = noisy_png(640, 480)
    assert len(harness.tt.image_bytes) > LIMIT

    result, job = await harness.grid("a very detailed forest")

    [attachment] = result.attachments  # uploaded, not merely linked to the TT CDN
    assert attachment.filename == f"mj_{job.id}.jpg"
    assert len(attachment.data) <= LIMIT
    [embed] = result.embeds
    assert embed["image"]["url"] == attachment.url
    assert f"]({job.image_url})" in embed["description"]  # the full-size original, beside it
    assert "Re-encoded to fit" in embed["description"]
