"""The deployment files keep the hook receiver private and the application non-public."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_compose_publishes_the_hook_port_on_loopback_only() -> None:
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    published = re.findall(r'^\s*-\s*"([^"]+)"\s*$', compose, flags=re.MULTILINE)
    assert published == ["127.0.0.1:8080:8080"]


def test_readme_says_to_untick_public_bot_and_explains_the_proxy() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'Untick "Public Bot"' in readme
    assert "reverse_proxy /ttapi/* 127.0.0.1:8080" in readme
    assert "`ALLOWED_GUILD_IDS`" in readme
    assert "ALLOWED_GUILD_IDS=" in (ROOT / ".env.example").read_text(encoding="utf-8")
