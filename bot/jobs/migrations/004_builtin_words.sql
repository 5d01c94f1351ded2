-- Built-in banned words a server's moderators turned off (art servers need "gore", "corpse").
CREATE TABLE builtin_words_allowed (
    guild_id   INTEGER NOT NULL,
    word       TEXT    NOT NULL,  -- one of bot/jobs/words.py DEFAULT_WORDS
    allowed_by INTEGER NOT NULL,
    created_at REAL    NOT NULL,
    PRIMARY KEY (guild_id, word)
);

-- "Is U1 of this grid already under way?" is asked on every button press.
CREATE INDEX jobs_parent_unfinished ON jobs (parent_id, action)
    WHERE status IN ('queued', 'submitting', 'submitted', 'running');
