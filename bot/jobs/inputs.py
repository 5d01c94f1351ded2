"""Input images (blend, describe, the inpaint mask) leave the database once they are sent.

They are base64 data URLs of up to several MB each; kept in `jobs.params` forever they made
a 134 MB database from 20 blends. Once the provider has accepted a job they are never needed
again (a paid job is never resent), so only their SHA-256 stays, for audits and duplicates.
Re-describe then uses the provider's copy of the image (the job's image URL).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Final

# params key -> the key its hash is kept under
_INPUTS: Final = {"images": "images_sha256", "image": "image_sha256", "mask": "mask_sha256"}


def digest(data: str) -> str:
    """The SHA-256 of one input as sent (the data URL or base64 text)."""
    return hashlib.sha256(data.encode()).hexdigest()


def without_inputs(params: Mapping[str, Any]) -> dict[str, Any] | None:
    """`params` with every input image replaced by its hash; None if there is none."""
    if not any(params.get(key) for key in _INPUTS):
        return None
    kept = {key: value for key, value in params.items() if key not in _INPUTS}
    for key, hash_key in _INPUTS.items():
        value = params.get(key)
        if isinstance(value, list):
            kept[hash_key] = [digest(str(item)) for item in value]
        elif value:
            kept[hash_key] = digest(str(value))
    return kept
