"""Settings read from the environment: pure, validated all at once, secrets masked."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from bot.jobs.prices import PricesError, parse_prices
from bot.provider.models import MODES

LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_BASE_URL: Final = "https://api.ttapi.io"
DEFAULT_ACEDATA_URL: Final = "https://api.acedata.cloud"
PROVIDER_NAMES: Final = ("ttapi", "mjproxy", "acedata", "demo")
# A Discord bot token is three base64url parts joined by dots; checking the shape
# catches the common paste mistakes (client secret, application id) before login.
_TOKEN_SHAPE = re.compile(r"^[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}$")
_SNOWFLAKE = re.compile(r"^\d{15,21}$")


class Secret:
    """A string that never shows itself in repr(), str(), logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        """Return the real value; call only where it is sent to its service."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot is configured with; built by `load_settings`."""

    discord_token: Secret
    tt_api_key: Secret
    tt_api_base_url: str = DEFAULT_BASE_URL
    database_path: Path = Path("data/mjbot.db")
    default_mode: str = "fast"
    max_jobs_in_progress: int = 10
    dev_guild_id: int | None = None
    owner_ids: frozenset[int] = frozenset()
    allowed_guild_ids: frozenset[int] = frozenset()  # empty: every server the bot is in
    log_level: str = "INFO"
    # Where the bot's web server is reachable: TT API callbacks and the Vary (Region) editor.
    public_base_url: str | None = None
    webhook_host: str = "0.0.0.0"  # noqa: S104 - the callback server must be reachable from outside
    webhook_port: int = 8080
    webhook_secret: Secret | None = None
    poll_interval_scale: float = 1.0
    providers: tuple[str, ...] = ("ttapi",)  # failover order
    mjproxy_base_url: str | None = None
    mjproxy_secret: Secret | None = None
    acedata_token: Secret | None = None
    acedata_base_url: str = DEFAULT_ACEDATA_URL

    @property
    def tt_api_keys(self) -> tuple[Secret, ...]:
        """Each comma-separated TT API key: one account each."""
        keys = (part.strip() for part in self.tt_api_key.get().split(","))
        return tuple(Secret(key) for key in keys if key)

    def secrets(self) -> list[Secret]:
        """Every secret, for the log filter."""
        found: list[Secret | None] = [self.discord_token, self.tt_api_key, *self.tt_api_keys]
        found += [self.mjproxy_secret, self.acedata_token, self.webhook_secret]
        found += [self.translate_api_key]
        return [secret for secret in found if secret]

    translate_url: str | None = None  # LibreTranslate; None = prompts go as typed
    translate_api_key: Secret | None = None
    low_balance_alert: float = 0.0  # credits; 0 = no low-balance alerts
    prices_file: Path | None = None  # None: next to the database

    @property
    def webhook_base_url(self) -> str | None:
        """The old name of `public_base_url` (WEBHOOK_BASE_URL is still read as an alias)."""
        return self.public_base_url


class SettingsError(Exception):
    """Raised with every problem found, so the owner can fix them all in one go."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        """The message printed by `python -m bot`."""
        lines = [f"mjbot cannot start: {len(self.problems)} setting(s) need fixing."]
        lines += [f"  - {problem}" for problem in self.problems]
        lines.append("Set them in .env (see .env.example) or in the environment, then start again.")
        return "\n".join(lines)


class _Reader:
    """Reads one variable at a time, recording problems instead of raising."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def raw(self, name: str) -> str:
        return (self.env.get(name) or "").strip()

    def problem(self, name: str, text: str) -> None:
        self.problems.append(f"{name}: {text}")

    def secret(self, name: str, how: str, check: Callable[[str], bool] | None = None) -> Secret:
        value = self.raw(name)
        if not value:
            self.problem(name, f"is required. {how}")
        elif check is not None and not check(value):
            self.problem(name, f"does not look valid. {how}")
        return Secret(value)

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self.raw(name)
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            self.problem(name, f"must be a whole number from {low} to {high}, got {value!r}.")
            return default
        if not low <= number <= high:
            self.problem(name, f"must be from {low} to {high}, got {number}.")
            return default
        return number

    def choice(self, name: str, default: str, options: tuple[str, ...], *, upper: bool) -> str:
        value = self.raw(name)
        if not value:
            return default
        value = value.upper() if upper else value.lower()
        if value not in options:
            self.problem(name, f"must be one of {', '.join(options)}, got {value!r}.")
            return default
        return value

    def snowflake(self, name: str, value: str) -> int | None:
        if _SNOWFLAKE.match(value):
            return int(value)
        self.problem(name, f"{value!r} is not a Discord id (a number of 15 to 21 digits).")
        return None

    def url(self, name: str, default: str | None) -> str | None:
        value = self.raw(name)
        if not value:
            return default
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.problem(
                name,
                f"must be an http(s) URL such as https://example.org, got {value!r}.",
            )
            return default
        return value.rstrip("/")


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build Settings from a mapping such as os.environ; SettingsError lists every problem."""
    read = _Reader(env)
    token = read.secret(
        "DISCORD_TOKEN",
        "Copy it from https://discord.com/developers/applications -> your app -> Bot "
        "-> Reset Token.",
        check=lambda value: bool(_TOKEN_SHAPE.match(value)),
    )
    providers = _providers(read)
    api_key = Secret(read.raw("TT_API_KEY"))
    if "ttapi" in providers:
        how = (
            "Copy it from your TT API dashboard (https://ttapi.io); several keys: comma-separated."
        )
        api_key = read.secret("TT_API_KEY", how)
    base_url = read.url("TT_API_BASE_URL", DEFAULT_BASE_URL) or DEFAULT_BASE_URL
    database = Path(read.raw("DATABASE_PATH") or "data/mjbot.db")
    mode = read.choice("DEFAULT_MODE", "fast", MODES, upper=False)
    max_jobs = read.integer("MAX_JOBS_IN_PROGRESS", 10, 1, 1000)
    dev_guild = read.raw("DEV_GUILD_ID")
    dev_guild_id = read.snowflake("DEV_GUILD_ID", dev_guild) if dev_guild else None
    owners = [part.strip() for part in read.raw("OWNER_IDS").split(",") if part.strip()]
    owner_ids = frozenset(filter(None, (read.snowflake("OWNER_IDS", owner) for owner in owners)))
    allowed = [part.strip() for part in read.raw("ALLOWED_GUILD_IDS").split(",") if part.strip()]
    allowed_guild_ids = frozenset(
        filter(None, (read.snowflake("ALLOWED_GUILD_IDS", guild) for guild in allowed))
    )
    log_level = read.choice("LOG_LEVEL", "INFO", LOG_LEVELS, upper=True)
    public_url = _public_url(read)
    host, port = _bind(read)
    webhook_secret = read.raw("WEBHOOK_SECRET")
    if webhook_secret and len(webhook_secret) < 16:
        read.problem("WEBHOOK_SECRET", "must be at least 16 characters (or empty to generate one).")
    scale = _scale(read)
    extra = _other_providers(read, providers)
    translate_url = read.url("TRANSLATE_URL", None)
    translate_key = read.raw("TRANSLATE_API_KEY")
    low_balance = _credits(read, "LOW_BALANCE_ALERT")
    prices_file = _prices_file(read, database)
    if read.problems:
        raise SettingsError(read.problems)
    return Settings(
        discord_token=token,
        tt_api_key=api_key,
        tt_api_base_url=base_url,
        database_path=database,
        default_mode=mode,
        max_jobs_in_progress=max_jobs,
        dev_guild_id=dev_guild_id,
        owner_ids=owner_ids,
        allowed_guild_ids=allowed_guild_ids,
        log_level=log_level,
        public_base_url=public_url,
        webhook_host=host,
        webhook_port=port,
        webhook_secret=Secret(webhook_secret) if webhook_secret else None,
        poll_interval_scale=scale,
        providers=providers,
        **extra,  # type: ignore[arg-type]
        translate_url=translate_url,
        translate_api_key=Secret(translate_key) if translate_key else None,
        low_balance_alert=low_balance,
        prices_file=prices_file,
    )


def _providers(read: _Reader) -> tuple[str, ...]:
    names = [part.strip().lower() for part in read.raw("PROVIDERS").split(",") if part.strip()]
    unknown = [name for name in names if name not in PROVIDER_NAMES]
    if unknown:
        read.problem("PROVIDERS", f"unknown {unknown}; choose from {', '.join(PROVIDER_NAMES)}.")
    if len(set(names)) != len(names):
        read.problem("PROVIDERS", "lists a provider twice; list each once, in failover order.")
    known = tuple(dict.fromkeys(name for name in names if name in PROVIDER_NAMES))
    return known or ("ttapi",)


def _other_providers(read: _Reader, providers: tuple[str, ...]) -> dict[str, object]:
    """The midjourney-proxy and AceData settings; required only when listed in PROVIDERS."""
    proxy_url = read.url("MJPROXY_BASE_URL", None)
    if "mjproxy" in providers and not proxy_url and not read.raw("MJPROXY_BASE_URL"):
        read.problem(
            "MJPROXY_BASE_URL",
            "is required when PROVIDERS lists mjproxy, e.g. https://proxy.example.org "
            "(with a mode prefix if your reseller uses one: https://host/fast).",
        )
    proxy_secret = read.raw("MJPROXY_SECRET")
    token = Secret(read.raw("ACEDATA_TOKEN"))
    if "acedata" in providers:
        token = read.secret("ACEDATA_TOKEN", "Copy it from https://platform.acedata.cloud.")
    ace_url = read.url("ACEDATA_BASE_URL", DEFAULT_ACEDATA_URL) or DEFAULT_ACEDATA_URL
    return {
        "mjproxy_base_url": proxy_url,
        "mjproxy_secret": Secret(proxy_secret) if proxy_secret else None,
        "acedata_token": token or None,
        "acedata_base_url": ace_url,
    }


def _public_url(read: _Reader) -> str | None:
    """PUBLIC_BASE_URL, or its old name WEBHOOK_BASE_URL; both set must agree."""
    public = read.url("PUBLIC_BASE_URL", None)
    old = read.url("WEBHOOK_BASE_URL", None)
    if public and old and public != old:
        read.problem(
            "PUBLIC_BASE_URL",
            f"differs from WEBHOOK_BASE_URL (its old name), {public!r} vs {old!r}: set one.",
        )
    return public or old


def _bind(read: _Reader) -> tuple[str, int]:
    value = read.raw("WEBHOOK_BIND") or "0.0.0.0:8080"
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        read.problem("WEBHOOK_BIND", f"must be HOST:PORT such as 0.0.0.0:8080, got {value!r}.")
        return "0.0.0.0", 8080  # noqa: S104
    return host.strip("[]"), int(port)


def _scale(read: _Reader) -> float:
    value = read.raw("POLL_INTERVAL_SCALE")
    if not value:
        return 1.0
    try:
        scale = float(value)
    except ValueError:
        scale = -1.0
    if not 0.01 <= scale <= 10:
        read.problem("POLL_INTERVAL_SCALE", f"must be a number from 0.01 to 10, got {value!r}.")
        return 1.0
    return scale


def _credits(read: _Reader, name: str) -> float:
    value = read.raw(name)
    try:
        credits = float(value) if value else 0.0
    except ValueError:
        credits = -1.0
    if not 0 <= credits <= 1e9:
        read.problem(name, f"must be a number of credits of 0 or more (0 = off), got {value!r}.")
        return 0.0
    return credits


def _prices_file(read: _Reader, database: Path) -> Path:
    """PRICES_FILE, else prices.json next to the database; checked now if it exists."""
    path = Path(read.raw("PRICES_FILE") or database.parent / "prices.json")
    if path.is_file():
        try:
            parse_prices(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, PricesError) as error:
            read.problem("PRICES_FILE", f"{path}: {error}")
    return path
