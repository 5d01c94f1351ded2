"""What the fake gateway sends: READY and the parts of GUILD_CREATE, as Discord shapes them.

Field lists follow the gateway docs (events/gateway-events) and what discord.py reads.
"""

from __future__ import annotations

from typing import Any, Final

EVERYONE_PERMISSIONS: Final = 1_071_698_660_929  # Discord's default for @everyone
BOT_ROLE_PERMISSIONS: Final = 274_878_024_704  # the README's invite link
OWNER_ID: Final = 1_186_350_000_000_000_302  # the guild's owner: neither the bot nor USER_ID


def role(role_id: str, name: str, permissions: int, position: int = 0) -> dict[str, Any]:
    """A role object."""
    return {
        "id": role_id,
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


# A guild member object without its "user" and "roles".
GUILD_MEMBER: Final[dict[str, Any]] = {
    "nick": None,
    "avatar": None,
    "banner": None,
    "joined_at": "2024-01-01T00:00:00.000000+00:00",
    "premium_since": None,
    "deaf": False,
    "mute": False,
    "pending": False,
    "flags": 0,
    "communication_disabled_until": None,
}
# The fields of a real GUILD_CREATE the REST fake's guild leaves out.
GUILD_DEFAULTS: Final[dict[str, Any]] = {
    "name": "mjbot test server",
    "icon": None,
    "splash": None,
    "discovery_splash": None,
    "banner": None,
    "description": None,
    "owner_id": str(OWNER_ID),
    "afk_channel_id": None,
    "afk_timeout": 300,
    "verification_level": 1,
    "default_message_notifications": 1,
    "explicit_content_filter": 2,
    "mfa_level": 0,
    "nsfw_level": 0,
    "premium_tier": 0,
    "premium_subscription_count": 0,
    "premium_progress_bar_enabled": False,
    "preferred_locale": "en-US",
    "features": [],
    "system_channel_flags": 0,
    "rules_channel_id": None,
    "public_updates_channel_id": None,
    "safety_alerts_channel_id": None,
    "vanity_url_code": None,
    "max_members": 500_000,
    "max_video_channel_users": 25,
    "max_stage_video_channel_users": 50,
    "application_id": None,
    "incidents_data": None,
    "joined_at": "2024-01-01T00:00:00.000000+00:00",
    "large": False,
    "lazy": True,
    "unavailable": False,
    "threads": [],
    "emojis": [],
    "stickers": [],
    "voice_states": [],
    "presences": [],
    "stage_instances": [],
    "guild_scheduled_events": [],
    "soundboard_sounds": [],
}
# READY fields the fake sends as they are; the session's own fields are filled in.
READY_DEFAULTS: Final[dict[str, Any]] = {
    "user_settings": {},
    "session_type": "normal",
    "shard": [0, 1],
    "private_channels": [],
    "relationships": [],
    "presences": [],
    "geo_ordered_rtc_regions": ["fake"],
    "guild_join_requests": [],
    "auth": {},
    "_trace": ["fake-gateway"],
}
