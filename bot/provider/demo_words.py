"""Describe for the demo provider: four plausible prompts picked from an image's bytes."""

from __future__ import annotations

import hashlib
from typing import Final

_SUBJECTS: Final = (
    "a lighthouse on a rocky coast",
    "a fox sleeping in tall grass",
    "a quiet street in an old town",
    "a mountain lake at dawn",
    "a portrait of a young woman with freckles",
    "a ginger cat on a windowsill",
    "a vintage car parked by a diner",
    "a forest path covered in autumn leaves",
)
_STYLES: Final = (
    "watercolor painting",
    "cinematic photograph, 35mm",
    "soft pastel illustration",
    "oil painting, impasto",
    "isometric 3d render",
    "ink and wash, minimalist",
)
_LIGHT: Final = (
    "golden hour light",
    "moody overcast light",
    "neon reflections",
    "soft morning haze",
    "dramatic rim lighting",
)
_RATIOS: Final = ("--ar 1:1", "--ar 4:3", "--ar 3:2", "--ar 16:9")


def describe_prompts(data: bytes) -> tuple[str, ...]:
    """Four prompts in Midjourney's describe style, the same for the same image."""
    digest = hashlib.sha256(data).digest()
    prompts = []
    for n in range(4):
        subject = _SUBJECTS[(digest[n] + n) % len(_SUBJECTS)]
        style = _STYLES[digest[4 + n] % len(_STYLES)]
        light = _LIGHT[digest[8 + n] % len(_LIGHT)]
        ratio = _RATIOS[digest[12] % len(_RATIOS)]
        prompts.append(f"{subject}, {style}, {light} {ratio}")
    return tuple(prompts)
