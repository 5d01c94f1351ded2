"""Split a prompt into the words to translate and the parts that must stay as typed.

Midjourney reads parameters (`--ar 16:9`, `--no red cars`: everything from the first `--`
on), image URLs, `::` weights and quoted text (rendered as lettering) literally, so a
translation must not touch them. Pure functions: `join(split(p)) == p` for every prompt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

# In order of priority at any position: the parameter tail, URLs, weights, quotes.
_PROTECTED: Final = re.compile(
    r"""(?P<params>(?:^|(?<=\s))--[a-zA-Z].*\Z)
      | (?P<url><?https?://\S+)
      | (?P<weight>::\s*-?\d*(?:\.\d+)?)
      | (?P<quote>"[^"\n]*"|“[^”\n]*”|„[^“”\n]*[“”]|«[^»\n]*»|「[^」\n]*」)
    """,
    re.VERBOSE | re.DOTALL,
)
_WORD: Final = re.compile(r"[^\W\d_]", re.UNICODE)  # a letter, in any script


@dataclass(frozen=True, slots=True)
class Part:
    """A stretch of the prompt; `translate` says whether its words may be translated."""

    text: str
    translate: bool


def split(prompt: str) -> list[Part]:
    """The prompt as alternating translatable and protected parts, in order, losslessly."""
    parts: list[Part] = []
    position = 0
    for match in _PROTECTED.finditer(prompt):
        if match.start() > position:
            parts.append(
                Part(prompt[position : match.start()], _has_words(prompt[position : match.start()]))
            )
        parts.append(Part(match.group(0), translate=False))
        position = match.end()
    if position < len(prompt):
        parts.append(Part(prompt[position:], _has_words(prompt[position:])))
    return parts


def join(parts: Iterable[Part]) -> str:
    """The prompt again."""
    return "".join(part.text for part in parts)


def words(parts: Iterable[Part]) -> str:
    """Only the translatable words, for language detection."""
    return " ".join(part.text.strip() for part in parts if part.translate).strip()


def replace_words(parts: Iterable[Part], translations: Iterable[str]) -> str:
    """The prompt with each translatable part replaced, keeping its surrounding spaces."""
    pending = iter(translations)
    out = []
    for part in parts:
        if not part.translate:
            out.append(part.text)
            continue
        core = part.text.strip()
        lead = part.text[: len(part.text) - len(part.text.lstrip())]
        trail = part.text[len(part.text.rstrip()) :]
        out.append(f"{lead}{next(pending, core).strip() or core}{trail}")
    return "".join(out)


def _has_words(text: str) -> bool:
    return bool(_WORD.search(text))
