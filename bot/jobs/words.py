"""Banned words: the bot's own default list plus each server's, matched on word boundaries."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

# A conservative default: explicit sexual content, gore and slurs-adjacent terms Midjourney's
# moderation rejects anyway; refusing them locally saves the owner an "illegal prompt" strike.
DEFAULT_WORDS: Final = frozenset(
    {
        "nsfw", "nude", "nudity", "naked", "topless", "porn", "pornographic", "hentai",
        "erotic", "sexy", "sex", "genitals", "nipples", "lingerie", "orgy", "fetish",
        "gore", "gory", "decapitated", "dismembered", "mutilated", "disembowelment",
        "corpse", "bloodbath", "torture", "beheading", "cannibalism", "suicide",
    }
)  # fmt: skip


def banned_word(prompt: str, words: Iterable[str]) -> str | None:
    """The first banned word or phrase the prompt contains, case-insensitively, or None."""
    text = prompt.lower()
    for word in sorted(set(words), key=len, reverse=True):
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text):
            return word
    return None
