"""Runs the unmodified bot, exactly as `python -m bot` does, against a fake Discord.

    MJBOT_FAKE_DISCORD=http://127.0.0.1:PORT python fakes/e2e/launcher.py

discord.py builds every REST URL from ``discord.http.Route.BASE`` and opens the gateway at
``DiscordWebSocket.DEFAULT_GATEWAY`` (then at the ``resume_gateway_url`` READY gives), so
pointing those two at the fake is all it takes: nothing in bot/ or cogs/ knows about tests.
"""

from __future__ import annotations

import os
import runpy
import sys
import threading
import time
from urllib.parse import urlsplit

import discord.gateway
import discord.http
import yarl

ENV_VAR = "MJBOT_FAKE_DISCORD"
PARENT_VAR = "MJBOT_E2E_PARENT_PID"


def point_discord_at(base_url: str) -> None:
    """Send discord.py's REST calls and gateway connection to the fake at `base_url`."""
    base = base_url.rstrip("/")
    discord.http.Route.BASE = f"{base}/api/v10"
    gateway = base.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"{gateway}/gateway")


def die_with_parent(parent_pid: int) -> None:
    """Exit when the test run that started us is gone, so no bot outlives a killed CI job."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(3)

    threading.Thread(target=watch, name="e2e-parent-watch", daemon=True).start()


def main() -> None:
    """Check the fake's address, point discord.py at it, then run `python -m bot`."""
    base_url = os.environ.get(ENV_VAR, "")
    host = urlsplit(base_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        # Never let a test token reach the real Discord.
        print(f"{ENV_VAR} must be the fake Discord's local URL, got {base_url!r}", file=sys.stderr)  # noqa: T201
        sys.exit(2)
    point_discord_at(base_url)
    if os.environ.get(PARENT_VAR, "").isdigit():
        die_with_parent(int(os.environ[PARENT_VAR]))
    sys.argv = ["bot"]
    runpy.run_module("bot", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
