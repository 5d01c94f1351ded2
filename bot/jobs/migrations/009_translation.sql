-- Prompt translation: each member's choice (ask, always, never) and servers that turned it off.
-- Own tables rather than new columns, so other features' migrations never collide with these.
CREATE TABLE translate_prefs (
    user_id    INTEGER PRIMARY KEY,
    mode       TEXT    NOT NULL DEFAULT 'ask',  -- ask | always | never
    updated_at REAL    NOT NULL
);

CREATE TABLE guild_translate (
    guild_id   INTEGER PRIMARY KEY,
    disabled   INTEGER NOT NULL DEFAULT 0,
    updated_at REAL    NOT NULL
);
