"""Prompt lint: malformed Midjourney parameters are refused with a message showing the fix."""

from __future__ import annotations

import pytest

from bot.jobs.lint import LintError, lint

# (prompt, words the message must contain: what is wrong and how to write it instead)
REJECTED = [
    pytest.param("a red fox --ar16:9", ["`--ar 16:9`", "space"], id="glued-ar"),
    pytest.param("a red fox --v6.1", ["`--v 6.1`", "space"], id="glued-v"),
    pytest.param("a red fox --niji6", ["`--niji 6`"], id="glued-niji"),
    pytest.param("a red fox --niji", ["`--niji`", "needs a value", "`--niji 6`"], id="bare-niji"),
    pytest.param("a red fox --v", ["`--v`", "needs a value", "`--v 6.1`"], id="bare-v-at-end"),
    pytest.param("a red fox --v --ar 16:9", ["`--v`", "`--v 6.1`"], id="bare-v-before-flag"),
    pytest.param("a red fox --ar", ["`--ar`", "needs a value", "`--ar 16:9`"], id="bare-ar"),
    pytest.param("a red fox --foo 3", ["`--foo`", "not a Midjourney parameter"], id="unknown"),
    pytest.param("a red fox --stylise 250", ["`--stylise`", "`--stylize`"], id="unknown-typo"),
    pytest.param("a red fox --ar 16x9", ["width:height", "`--ar 16:9`", "16x9"], id="ar-x"),
    pytest.param("a red fox --ar wide", ["width:height", "`--ar 16:9`", "wide"], id="ar-word"),
    pytest.param("a red fox --ar 1.5:1", ["whole numbers", "`--ar 16:9`"], id="ar-decimal"),
    pytest.param("a red fox --aspect 16/9", ["`--aspect`", "width:height"], id="aspect-slash"),
    pytest.param("a red fox --cref https://x.test/a.png", ["`--cref`", "`--v 6.1`"], id="cref"),
    pytest.param(
        "a red fox --cref https://x.test/a.png --v 5.2", ["v6", "`--v 6.1`"], id="cref-v5"
    ),
    pytest.param("a red fox --cref https://x.test/a.png --v 7", ["v6"], id="cref-v7"),
    pytest.param("a red fox —ar 16:9", ["“—”", "`--ar 16:9`"], id="em-dash"),
]

ACCEPTED = [
    "a red fox in the snow",
    "a red fox --ar 16:9",
    "a red fox --AR 3:2 --V 6.1",
    "a red fox --aspect 2:3 --version 6",
    "a red fox --ar 16:9 --v 6.1 --stylize 250 --chaos 10 --no text --seed 42",
    "a red fox --niji 6 --style raw",
    "a red fox --tile --raw --q .5",
    "a red fox --p",
    "a red fox --cref https://x.test/a.png --cw 50 --v 6.1",
    "a red fox --cref https://x.test/a.png --niji 6",
    "a well-known fox-like creature, a--b",
]


@pytest.mark.parametrize(("prompt", "words"), REJECTED)
def test_malformed_parameter_is_rejected_with_the_fix(prompt: str, words: list[str]) -> None:
    with pytest.raises(LintError) as caught:
        lint(prompt)
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize("prompt", ACCEPTED)
def test_well_formed_prompt_passes(prompt: str) -> None:
    lint(prompt)  # raises nothing


def test_unknown_flag_without_a_close_match_gives_no_guess() -> None:
    with pytest.raises(LintError, match="not a Midjourney parameter") as caught:
        lint("a red fox --xyzzy")
    assert "Did you mean" not in str(caught.value)


def test_lint_error_is_a_value_error() -> None:
    """Callers that only know ValueError still catch it."""
    assert issubclass(LintError, ValueError)
