"""In-process fake of a LibreTranslate server, shaped like LibreTranslate/libretranslate/app.py.

POST /detect {q, api_key} -> [{"language", "confidence"}] (best first, confidence 0-100);
POST /translate {q, source, target, format, api_key} -> {"translatedText"}; errors are
{"error": ...} with 400 (bad request, unsupported language), 403 (bad API key), 429, 500.
It "translates" from a phrase book and leaves words it does not know as they are, like a
real model would mangle them, so tests can see exactly what was sent and what came back.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

PHRASES = {
    "猫が月の上で眠っている": "A cat sleeping on the moon",
    "と書かれた看板、夕焼け": "a sign that says, sunset",
    "ein roter Fuchs im Schnee": "a red fox in the snow",
    "ein Hund": "a dog",
    "eine Katze": "a cat",
    "im Wald": "in the forest",
    "ein Schild mit": "a sign with",
}
_KANA_OR_HAN = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_GERMAN = re.compile(r"\b(ein|eine|der|die|das|im|mit|und|roter)\b", re.IGNORECASE)


@dataclass
class Call:
    """One request the fake received."""

    endpoint: str
    body: dict[str, Any]


class FakeLibreTranslate:
    """LibreTranslate on 127.0.0.1: detection by script and common words, a phrase book."""

    def __init__(self, *, api_key: str | None = None, latency: float = 0.0) -> None:
        self.api_key = api_key
        self.latency = latency
        self.calls: list[Call] = []
        self.fail_with: int | None = None  # answer every request with this status
        self.garbage = False  # answer 200 with a body that is not JSON
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> FakeLibreTranslate:
        app = web.Application()
        app.router.add_post("/detect", self._detect)
        app.router.add_post("/translate", self._translate)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def calls_to(self, endpoint: str) -> list[dict[str, Any]]:
        """Bodies received on one endpoint."""
        return [call.body for call in self.calls if call.endpoint == endpoint]

    async def _read(self, request: web.Request, endpoint: str) -> dict[str, Any] | web.Response:
        body = await request.json() if request.can_read_body else {}
        self.calls.append(Call(endpoint, body))
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.garbage:
            return web.Response(text="<html>502 Bad Gateway</html>", content_type="text/html")
        if self.fail_with is not None:
            return web.json_response({"error": "Slowdown: 1 per 1 second"}, status=self.fail_with)
        if self.api_key is not None and body.get("api_key") != self.api_key:
            return web.json_response({"error": "Invalid API key"}, status=403)
        if not body.get("q"):
            return web.json_response({"error": "Invalid request: missing q parameter"}, status=400)
        return body

    async def _detect(self, request: web.Request) -> web.Response:
        body = await self._read(request, "detect")
        if isinstance(body, web.Response):
            return body
        text = str(body["q"])
        if _KANA_OR_HAN.search(text):
            guesses = [
                {"language": "ja", "confidence": 92.0},
                {"language": "zh", "confidence": 8.0},
            ]
        elif _GERMAN.search(text):
            guesses = [
                {"language": "de", "confidence": 87.0},
                {"language": "nl", "confidence": 9.0},
            ]
        else:
            guesses = [{"language": "en", "confidence": 95.0}]
        return web.json_response(guesses)

    async def _translate(self, request: web.Request) -> web.Response:
        body = await self._read(request, "translate")
        if isinstance(body, web.Response):
            return body
        for name in ("source", "target"):
            if not body.get(name):
                return web.json_response(
                    {"error": f"Invalid request: missing {name} parameter"}, status=400
                )
        text = str(body["q"])
        result = PHRASES.get(text.strip(), text)
        # Real servers answer with chunked bodies; json.dumps keeps non-ASCII like they do.
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        payload = json.dumps({"translatedText": result}, ensure_ascii=False).encode()
        for start in range(0, len(payload), 7):
            await response.write(payload[start : start + 7])
        await response.write_eof()
        return response  # type: ignore[return-value]
