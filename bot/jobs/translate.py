"""LibreTranslate client: is a prompt English, and if not, its words in English.

API (LibreTranslate/libretranslate/app.py): POST /detect {q, api_key} answers
[{language, confidence 0-100}]; POST /translate {q, source, target, format, api_key}
answers {translatedText}; errors are {"error": ...} with 400, 403 (bad key), 429 or 500.
Only the prompt's words are sent (see prompt_parts), so parameters come back untouched.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import aiohttp

from bot.jobs import prompt_parts

log = logging.getLogger(__name__)

TIMEOUT: Final = aiohttp.ClientTimeout(total=8, connect=3)
MIN_CONFIDENCE: Final = 50.0  # below this a detection is a guess: the prompt goes as typed
TARGET: Final = "en"
TRANSLATE_MODES: Final = ("ask", "always", "never")  # a member's choice; ask is the default


class TranslateError(Exception):
    """The service failed; the prompt is sent as typed and the member told why."""


@dataclass(frozen=True, slots=True)
class Translation:
    """A prompt and its English version; `source` is the detected language code."""

    original: str
    translated: str
    source: str
    confidence: float


class Translator:
    """Talks to one LibreTranslate server (self-hosted or libretranslate.com)."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, api_key: str | None = None
    ) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._api_key = api_key

    async def language_of(self, prompt: str) -> str | None:
        """The prompt's language when it needs translating; None for English, unsure or no words."""
        text = prompt_parts.words(prompt_parts.split(prompt))
        if not text:
            return None
        language, confidence = await self.detect(text)
        return None if language == TARGET or confidence < MIN_CONFIDENCE else language

    async def to_english(self, prompt: str, source: str | None = None) -> Translation | None:
        """The prompt with its words in English, or None when it is English (or no words)."""
        parts = prompt_parts.split(prompt)
        text = prompt_parts.words(parts)
        if not text:
            return None
        confidence = 100.0
        if source is None:
            source, confidence = await self.detect(text)
            if source == TARGET or confidence < MIN_CONFIDENCE:
                return None
        pieces = [part.text.strip() for part in parts if part.translate]
        english = await asyncio.gather(*(self.translate(p, source) for p in pieces))
        translated = prompt_parts.replace_words(parts, english)
        if translated == prompt:
            return None
        return Translation(prompt, translated, source, confidence)

    async def detect(self, text: str) -> tuple[str, float]:
        """The most likely language of `text` and the confidence (0-100)."""
        answer = await self._post("detect", {"q": text})
        if not isinstance(answer, list) or not answer or not isinstance(answer[0], Mapping):
            raise TranslateError("the language could not be detected")
        best = max(answer, key=lambda item: _number(item.get("confidence")))
        return str(best.get("language") or ""), _number(best.get("confidence"))

    async def translate(self, text: str, source: str) -> str:
        """`text` from `source` into English."""
        body = {"q": text, "source": source, "target": TARGET, "format": "text"}
        answer = await self._post("translate", body)
        value = answer.get("translatedText") if isinstance(answer, Mapping) else None
        if not isinstance(value, str):
            raise TranslateError("the translation service answered without a translation")
        return value

    async def _post(self, endpoint: str, body: dict[str, Any]) -> Any:
        if self._api_key:
            body = {**body, "api_key": self._api_key}
        try:
            async with self._session.post(
                f"{self._base}/{endpoint}", json=body, timeout=TIMEOUT
            ) as response:
                payload = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            log.warning("translation service %s failed: %s", endpoint, type(error).__name__)
            raise TranslateError("the translation service did not answer") from error
        if status != 200:
            reason = payload.get("error") if isinstance(payload, Mapping) else None
            log.warning("translation service %s answered %d: %s", endpoint, status, reason)
            raise TranslateError(_reason(status))
        return payload


def _reason(status: int) -> str:
    return {
        403: "the translation service refused the API key",
        429: "the translation service is busy",
    }.get(status, f"the translation service failed (HTTP {status})")


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
