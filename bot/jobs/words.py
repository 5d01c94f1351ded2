"""Banned words: the bot's own default list plus each server's, matched on word boundaries.

Prompts and words are normalised the same way before matching, so the common dodges fail:
full-width letters (NFKC), zero-width characters and soft hyphens (Unicode format
characters, removed), Cyrillic and Greek look-alikes (folded to Latin), `_`, `-` and digits
between words (separators), runs of spaces, and simple plurals (s, es).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
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

# Letters of other scripts that look like Latin ones, as used to dodge filters: "nѕfw" with a
# Cyrillic dze. Only shapes that read as the Latin letter; capitals first, since some look
# Latin only as capitals (Greek Ν is N, its small ν is not n).
CAPITAL_LOOK_ALIKES: Final = str.maketrans(
    {
        # Cyrillic
        "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p",
        "С": "c", "Т": "t", "Х": "x", "Ѕ": "s", "І": "i", "Ј": "j", "У": "y",
        # Greek
        "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m",
        "Ν": "n", "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
    }
)  # fmt: skip
LOOK_ALIKES: Final = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "н": "h", "і": "i", "ї": "i",
        "ј": "j", "к": "k", "ӏ": "l", "м": "m", "о": "o", "р": "p", "ԛ": "q", "г": "r",
        "ѕ": "s", "т": "t", "у": "y", "ү": "y", "х": "x", "ԝ": "w", "ь": "b", "ԁ": "d",
        "с": "c", "п": "n", "ѵ": "v",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w", "ς": "s", "ϲ": "c",
        "ά": "a", "έ": "e", "ί": "i", "ό": "o", "ύ": "u",
    }
)  # fmt: skip
_SEPARATORS = re.compile(r"[_\-\d]+")


def _light(text: str) -> str:
    """NFKC, lower case, no format characters, look-alikes folded, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(CAPITAL_LOOK_ALIKES).lower()
    text = "".join(char for char in text if unicodedata.category(char) != "Cf")
    return " ".join(text.translate(LOOK_ALIKES).split())


def normalise(text: str) -> str:
    """The form prompts and words are compared in: `_`, `-` and digits split words too."""
    return " ".join(_SEPARATORS.sub(" ", _light(text)).split())


@lru_cache(maxsize=4096)
def _pattern(word: str) -> re.Pattern[str]:
    # Whole words only, so "sex" never blocks "Essex"; a trailing s/es catches plurals.
    return re.compile(rf"(?<![^\W_]){re.escape(word)}(?:e?s)?(?![^\W_])")


def banned_word(prompt: str, words: Iterable[str]) -> str | None:
    """The first banned word or phrase the prompt contains, however disguised, or None."""
    text, light = normalise(prompt), _light(prompt)
    for word in sorted(set(words), key=len, reverse=True):
        # A word with digits of its own ("r34") is looked for as written: split at its
        # digits it would become "r" and block every prompt with a lone r.
        has_digits = any(char.isdigit() for char in word)
        form, where = (_light(word), light) if has_digits else (normalise(word), text)
        if form and _pattern(form).search(where):
            return word
    return None
