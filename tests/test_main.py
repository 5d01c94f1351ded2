"""`python -m bot` refuses bad settings cleanly; RedactSecrets masks secrets in log output."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logs import MASK, RedactSecrets
from bot.settings import Secret

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl." + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9"
API_KEY = "tt-key-4f1c9e2a7b3d"
EXIT_BAD_SETTINGS = 2
REPO_ROOT = Path(__file__).resolve().parents[1]


def run_bot(cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot`` in `cwd` with a bare environment plus `extra`."""
    # The checkout first on the path: the tests pass whether or not the project is installed.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), "PYTHONPATH": str(REPO_ROOT)}
    for name in ("SYSTEMROOT", "SYSTEMDRIVE", "TMPDIR", "TEMP", "TMP", "LANG"):
        if name in os.environ:
            env[name] = os.environ[name]
    env.update(extra)
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_secrets_exit_2_with_one_message(tmp_path: Path) -> None:
    result = run_bot(tmp_path)
    assert result.returncode == EXIT_BAD_SETTINGS
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout
    assert result.stderr.count("mjbot cannot start") == 1
    assert "2 setting(s)" in result.stderr
    assert "DISCORD_TOKEN" in result.stderr
    assert "TT_API_KEY" in result.stderr


def test_secrets_never_appear_in_output(tmp_path: Path) -> None:
    webhook_secret = "webhook-secret-0123456789"
    result = run_bot(
        tmp_path,
        DISCORD_TOKEN=TOKEN,
        TT_API_KEY=API_KEY,
        WEBHOOK_SECRET=webhook_secret,
        DEFAULT_MODE="slowest",
    )
    assert result.returncode == EXIT_BAD_SETTINGS
    assert "DEFAULT_MODE" in result.stderr
    assert "1 setting(s)" in result.stderr
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    for secret in (TOKEN, API_KEY, webhook_secret):
        assert secret not in output


def test_dotenv_in_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DEFAULT_MODE=sideways\nLOG_LEVEL=chatty\n", encoding="utf-8")
    result = run_bot(tmp_path, DISCORD_TOKEN=TOKEN, TT_API_KEY=API_KEY)
    assert result.returncode == EXIT_BAD_SETTINGS
    assert "DEFAULT_MODE" in result.stderr
    assert "LOG_LEVEL" in result.stderr
    assert "2 setting(s)" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_dotenv_can_hold_the_secrets(tmp_path: Path) -> None:
    """Secrets from .env count: only the bad mode is left to report."""
    (tmp_path / ".env").write_text(
        f"DISCORD_TOKEN={TOKEN}\nTT_API_KEY={API_KEY}\nDEFAULT_MODE=sideways\n", encoding="utf-8"
    )
    result = run_bot(tmp_path)
    assert result.returncode == EXIT_BAD_SETTINGS
    assert "1 setting(s)" in result.stderr
    assert "DEFAULT_MODE" in result.stderr
    assert "DISCORD_TOKEN" not in result.stderr
    assert TOKEN not in result.stdout + result.stderr


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DEFAULT_MODE=sideways\n", encoding="utf-8")
    result = run_bot(tmp_path, DEFAULT_MODE="slowest")
    assert result.returncode == EXIT_BAD_SETTINGS
    assert "slowest" in result.stderr
    assert "sideways" not in result.stderr


# -- RedactSecrets ---------------------------------------------------------------------------


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A private logger writing through a handler that carries the filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactSecrets([Secret(TOKEN), None, Secret(""), Secret(API_KEY)]))
    logger = logging.getLogger("tests.redact")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.handlers.clear()


def test_secret_in_message_args_is_masked(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    logger.info("logging in with %s and key=%r", TOKEN, API_KEY)
    output = stream.getvalue()
    assert TOKEN not in output
    assert API_KEY not in output
    assert output.count(MASK) == 2
    assert "logging in with" in output


def test_secret_in_message_text_is_masked(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    logger.warning(f"header Authorization: Bot {TOKEN}")  # a mistake the filter must catch
    output = stream.getvalue()
    assert TOKEN not in output
    assert f"Bot {MASK}" in output


def test_secret_in_traceback_is_masked(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    try:
        raise RuntimeError(f"login failed for {TOKEN}")
    except RuntimeError:
        logger.exception("could not connect with key %s", API_KEY)
    output = stream.getvalue()
    assert TOKEN not in output
    assert API_KEY not in output
    assert "Traceback" in output
    assert f"RuntimeError: login failed for {MASK}" in output
    assert f"could not connect with key {MASK}" in output


def test_records_without_secrets_pass_unchanged(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    logger.debug("job %d reached %d%%", 7, 50)
    assert stream.getvalue() == "DEBUG job 7 reached 50%\n"
