-- Jobs: one row per paid request, written before the provider is called.
CREATE TABLE jobs (
    id                  INTEGER PRIMARY KEY,
    provider            TEXT    NOT NULL,
    provider_job_id     TEXT    UNIQUE,
    parent_id           INTEGER REFERENCES jobs (id),
    kind                TEXT    NOT NULL,  -- imagine, action, blend, describe, seed, inpaint
    action              TEXT,              -- action jobs: upsample2, variation1, zoom_out_2, ...
    status              TEXT    NOT NULL,
    progress            INTEGER,
    prompt              TEXT    NOT NULL DEFAULT '',
    mode                TEXT    NOT NULL,
    params              TEXT    NOT NULL DEFAULT '{}',  -- JSON: what the request needs to be sent again
    components          TEXT,              -- JSON list of the provider's next actions
    image_url           TEXT,              -- the grid or the single image
    images              TEXT,              -- JSON list of the four grid images
    seed                TEXT,
    prompts             TEXT,              -- JSON list: describe's four prompts
    quota               REAL,              -- what the provider charged
    error               TEXT,
    user_id             INTEGER NOT NULL,
    guild_id            INTEGER,
    channel_id          INTEGER,
    progress_message_id INTEGER,
    result_message_id   INTEGER,
    timeout_s           INTEGER NOT NULL,
    created_at          REAL    NOT NULL,
    submitted_at        REAL,
    updated_at          REAL    NOT NULL,
    finished_at         REAL,
    next_poll_at        REAL,
    post_claimed_at     REAL,
    posted_at           REAL
);

CREATE INDEX jobs_unfinished ON jobs (status)
    WHERE status IN ('queued', 'submitting', 'submitted', 'running');
CREATE INDEX jobs_unposted ON jobs (finished_at)
    WHERE posted_at IS NULL AND finished_at IS NOT NULL;
CREATE INDEX jobs_user_created ON jobs (user_id, created_at);
CREATE INDEX jobs_guild_created ON jobs (guild_id, created_at);

-- A posted Discord message -> the job it shows, so buttons resolve forever.
CREATE TABLE messages (
    message_id INTEGER PRIMARY KEY,
    job_id     INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    channel_id INTEGER NOT NULL,
    created_at REAL    NOT NULL
);
CREATE INDEX messages_job ON messages (job_id);

CREATE TABLE guild_settings (
    guild_id     INTEGER PRIMARY KEY,
    default_mode TEXT,
    updated_at   REAL NOT NULL
);

CREATE TABLE user_settings (
    user_id       INTEGER PRIMARY KEY,
    default_mode  TEXT,
    prompt_suffix TEXT    NOT NULL DEFAULT '',
    dm_copy       INTEGER NOT NULL DEFAULT 0,
    updated_at    REAL    NOT NULL
);

-- Small facts the bot keeps between runs: the generated webhook secret, the command-tree hash.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
