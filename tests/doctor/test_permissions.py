"""Permission arithmetic as Discord does it: roles, admin, owner, overwrites in order."""

from __future__ import annotations

from typing import Any

from bot.doctor.permissions import (
    ALL,
    REQUIRED,
    base_permissions,
    channel_permissions,
    missing,
    text_channels,
)

GUILD, BOT, ROLE, OTHER_ROLE = 100, 200, 300, 301
VIEW, SEND, ATTACH = REQUIRED["View Channel"], REQUIRED["Send Messages"], REQUIRED["Attach Files"]
EVERYTHING = sum(REQUIRED.values())


def guild(everyone: int = 0, role: int = EVERYTHING, owner: int = 1) -> dict[str, Any]:
    roles = [{"id": GUILD, "permissions": str(everyone)}, {"id": ROLE, "permissions": str(role)}]
    return {"id": str(GUILD), "owner_id": str(owner), "roles": roles}


MEMBER = {"user": {"id": str(BOT)}, "roles": [str(ROLE)]}


def overwrite(target: int, allow: int = 0, deny: int = 0) -> dict[str, Any]:
    return {"id": str(target), "type": 0, "allow": str(allow), "deny": str(deny)}


def test_roles_add_up_and_admin_or_owner_means_all() -> None:
    assert base_permissions(guild(everyone=VIEW, role=SEND), MEMBER, BOT) == VIEW | SEND
    assert base_permissions(guild(role=1 << 3), MEMBER, BOT) == ALL
    assert base_permissions(guild(role=0, owner=BOT), MEMBER, BOT) == ALL


def test_role_allow_beats_everyone_deny_but_member_deny_beats_both() -> None:
    base = base_permissions(guild(), MEMBER, BOT)
    channel = {
        "permission_overwrites": [overwrite(GUILD, deny=ATTACH), overwrite(ROLE, allow=ATTACH)]
    }
    assert missing(channel_permissions(base, channel, MEMBER, GUILD)) == []
    channel["permission_overwrites"].append(overwrite(BOT, deny=ATTACH))
    assert missing(channel_permissions(base, channel, MEMBER, GUILD)) == ["Attach Files"]


def test_role_deny_and_allow_combine_with_allow_winning() -> None:
    member = {"user": {"id": str(BOT)}, "roles": [str(ROLE), str(OTHER_ROLE)]}
    base = base_permissions(guild(), member, BOT)
    channel = {
        "permission_overwrites": [overwrite(ROLE, deny=SEND), overwrite(OTHER_ROLE, allow=SEND)]
    }
    assert missing(channel_permissions(base, channel, member, GUILD)) == []


def test_without_view_everything_is_missing() -> None:
    base = base_permissions(guild(), MEMBER, BOT)
    channel = {"permission_overwrites": [overwrite(ROLE, deny=VIEW)]}
    assert missing(channel_permissions(base, channel, MEMBER, GUILD)) == list(REQUIRED)


def test_only_channels_results_can_go_to() -> None:
    channels = [
        {"id": "1", "type": 4, "position": 0},  # category
        {"id": "2", "type": 0, "position": 2},
        {"id": "3", "type": 15, "position": 1},  # forum
        {"id": "4", "type": 5, "position": 1},
    ]
    assert [c["id"] for c in text_channels(channels)] == ["4", "2"]
