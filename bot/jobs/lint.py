"""Prompt lint: malformed Midjourney parameters caught before they cost anything.

The TT API counts malformed parameters as illegal prompts and stops refunding them after 30
a day, so `--ar16:9`, a bare `--v`, an unknown flag, a ratio that is not W:H or `--cref`
without a v6 model are refused here, each with the fix.
"""

from __future__ import annotations

import difflib
import re
from typing import Final

# Parameters Midjourney understands (long and short forms), and whether they take a value.
TAKES_VALUE: Final = frozenset(
    {
        "ar", "aspect", "v", "version", "niji", "no", "q", "quality", "s", "stylize", "c",
        "chaos", "seed", "sameseed", "stop", "style", "iw", "sref", "sw", "sv", "cref", "cw",
        "weird", "w", "r", "repeat", "p", "profile", "oref", "ow", "exp", "motion",
    }
)  # fmt: skip
FLAGS: Final = frozenset(
    {"tile", "raw", "relax", "fast", "turbo", "draft", "hd", "video", "personalize", "p"}
)
KNOWN: Final = TAKES_VALUE | FLAGS
# A parameter that may legitimately stand alone although it usually takes a value.
OPTIONAL_VALUE: Final = frozenset({"p", "personalize"})
_PARAM: Final = re.compile(r"(?<!\S)--([A-Za-z]+)([^\s]*)")
_RATIO: Final = re.compile(r"^[1-9]\d{0,3}:[1-9]\d{0,3}$")
_DASHED: Final = re.compile(r"(?<!\S)[—–][A-Za-z]")


class LintError(ValueError):
    """A prompt Midjourney would reject, with a message that shows the fix."""


def lint(prompt: str) -> None:
    """Raise LintError with the fix when a parameter is malformed; return quietly otherwise."""
    if _DASHED.search(prompt):  # phones turn -- into an em dash
        raise LintError(
            "Your prompt has “—” (a long dash). Parameters start with two hyphens: `--ar 16:9`."
        )
    tokens = prompt.split()
    versions = _values(tokens, ("v", "version", "niji"))
    for index, token in enumerate(tokens):
        match = _PARAM.fullmatch(token)
        if match is None:
            continue
        name, glued = match[1].lower(), match[2]
        value = tokens[index + 1] if index + 1 < len(tokens) else ""
        _check_one(name, glued, value)
    if "--cref" in (token.lower() for token in tokens) and not any(
        version.startswith("6") for version in versions
    ):
        raise LintError("`--cref` works only with a v6 model: add `--v 6.1` to your prompt.")


def _check_one(name: str, glued: str, value: str) -> None:
    base = re.match(r"[a-z]+?(?=\d|$)", name)
    if glued or (base and base[0] != name and base[0] in KNOWN and name not in KNOWN):
        stem = base[0] if base and base[0] in KNOWN else name
        rest = (name[len(stem) :] + glued) or "…"
        raise LintError(f"Put a space between `--{stem}` and its value: `--{stem} {rest}`.")
    if name not in KNOWN:
        close = difflib.get_close_matches(name, sorted(KNOWN), n=1)
        hint = f" Did you mean `--{close[0]}`?" if close else ""
        raise LintError(f"`--{name}` is not a Midjourney parameter.{hint}")
    if name in TAKES_VALUE and name not in OPTIONAL_VALUE and (not value or value.startswith("--")):
        example = {"v": "--v 6.1", "version": "--v 6.1", "niji": "--niji 6", "ar": "--ar 16:9"}
        raise LintError(f"`--{name}` needs a value, e.g. `{example.get(name, f'--{name} …')}`.")
    if name in ("ar", "aspect") and not _RATIO.match(value):
        raise LintError(
            f"`--{name}` takes width:height in whole numbers, e.g. `--ar 16:9` (got `{value}`)."
        )


def _values(tokens: list[str], names: tuple[str, ...]) -> list[str]:
    found = []
    for index, token in enumerate(tokens[:-1]):
        if token.lower().lstrip("-") in names and token.startswith("--"):
            found.append(tokens[index + 1])
    return found
