"""The one catalog of user-facing text: JSON files per locale, English as the fallback.

Why not gettext .po/.mo: the bot has a few dozen short messages addressed by stable keys, and
keyed JSON needs no compile step and no binary files in the repository; the tests check what
gettext tooling would (every locale has every key, the same placeholders). Babel supplies what
is hard to hand-write: language names in each locale (CLDR). No discord import here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import string
from functools import cache
from importlib import resources
from typing import Any, Final

from babel import Locale, UnknownLocaleError

log = logging.getLogger(__name__)

DEFAULT: Final = "en"
LOCALES: Final = ("en", "de", "fr", "es", "pt-BR", "ja", "zh-CN")
# Discord's locale codes that share a catalog (es-ES and es-419 read the same Spanish).
_ALIASES: Final = {"en-US": "en", "en-GB": "en", "es-ES": "es", "es-419": "es"}


@cache
def catalog(locale: str) -> dict[str, str]:
    """Every message of one locale, loaded once from the package data."""
    path = resources.files("bot") / "locales" / f"{locale}.json"
    messages: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return messages


def supported(locale: str | None) -> str | None:
    """The catalog for a Discord locale code, or None when there is none."""
    if not locale:
        return None
    code = _ALIASES.get(locale, locale)
    if code in LOCALES:
        return code
    base = code.partition("-")[0]
    return base if base in LOCALES else None


def pick(*candidates: str | None) -> str:
    """The first candidate locale with a catalog (member, then server), else English."""
    for candidate in candidates:
        code = supported(candidate)
        if code is not None:
            return code
    return DEFAULT


def t(key: str, locale: str | None = None, /, **values: Any) -> str:
    """The message `key` in `locale`, filled in; English when the locale lacks it."""
    code = supported(locale) or DEFAULT
    text = catalog(code).get(key)
    if text is None:
        if code != DEFAULT:
            log.debug("message %s missing in %s; using English", key, code)
        text = catalog(DEFAULT).get(key)
    if text is None:
        log.warning("message %s is missing from the catalog", key)
        return key
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):  # a broken translation must not break a reply
        log.warning("message %s in %s has bad placeholders", key, code)
        return catalog(DEFAULT)[key].format(**values)


def placeholders(text: str) -> set[str]:
    """The {names} a message expects."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def language_name(code: str, locale: str | None = None) -> str:
    """A language's name in the reader's locale ("ja" -> "Japanisch" for de), via CLDR."""
    reader = (supported(locale) or DEFAULT).replace("-", "_")
    try:
        name = Locale.parse(reader).languages.get(code.partition("-")[0])
    except (UnknownLocaleError, ValueError):
        name = None
    return name or code


@cache
def catalog_digest() -> str:
    """A digest of every catalog: localised command descriptions change when it does."""
    digest = hashlib.sha256()
    for locale in LOCALES:
        digest.update(json.dumps(catalog(locale), sort_keys=True).encode())
    return digest.hexdigest()[:16]
