-- Moderation: per-server switches and limits, bans, banned words, allowed channels.
ALTER TABLE guild_settings ADD COLUMN paused            INTEGER NOT NULL DEFAULT 0;
ALTER TABLE guild_settings ADD COLUMN allowed_modes     TEXT    NOT NULL DEFAULT 'fast,relax,turbo';
ALTER TABLE guild_settings ADD COLUMN buttons_who       TEXT    NOT NULL DEFAULT 'anyone';
ALTER TABLE guild_settings ADD COLUMN required_role_id  INTEGER;
ALTER TABLE guild_settings ADD COLUMN log_channel_id    INTEGER;
ALTER TABLE guild_settings ADD COLUMN daily_limit       INTEGER NOT NULL DEFAULT 0;  -- 0 = none
ALTER TABLE guild_settings ADD COLUMN concurrent_limit  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE guild_settings ADD COLUMN cooldown_s        INTEGER NOT NULL DEFAULT 0;
ALTER TABLE guild_settings ADD COLUMN guild_daily_limit INTEGER NOT NULL DEFAULT 0;

CREATE TABLE bans (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    banned_by  INTEGER NOT NULL,
    created_at REAL    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE banned_words (
    guild_id   INTEGER NOT NULL,
    word       TEXT    NOT NULL,  -- stored lower-case
    added_by   INTEGER NOT NULL,
    created_at REAL    NOT NULL,
    PRIMARY KEY (guild_id, word)
);

CREATE TABLE allowed_channels (
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
);
