"""python -m bot: load .env, check the settings, run the bot until it is stopped."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys

from dotenv import load_dotenv

from bot.logs import setup_logging
from bot.settings import Settings, SettingsError, load_settings

EXIT_BAD_SETTINGS = 2


def read_settings() -> Settings:
    """Settings from .env (in the working directory) and the environment."""
    load_dotenv(os.path.join(os.getcwd(), ".env"))
    return load_settings(os.environ)


def main() -> int:
    """Entry point of `python -m bot` and the `mjbot` console script."""
    try:
        settings = read_settings()
    except SettingsError as error:
        # No traceback: the message says what is wrong and how to fix it.
        print(error.render(), file=sys.stderr)  # noqa: T201
        return EXIT_BAD_SETTINGS
    setup_logging(settings.log_level, settings.secrets())
    from bot.runner import run  # noqa: PLC0415 - settings errors need no discord import

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
