-- Vary (Region) editor links: one row per link handed out. `used_at` makes a link work once,
-- and because it is stored, a restart cannot make a used link work again. The requester's
-- place and roles are kept from the click, since the web request carries no Discord data.
CREATE TABLE editor_links (
    nonce             TEXT    PRIMARY KEY,
    job_id            INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    user_id           INTEGER NOT NULL,
    guild_id          INTEGER,
    channel_id        INTEGER,
    parent_channel_id INTEGER,            -- the channel a thread belongs to (allow list)
    role_ids          TEXT    NOT NULL DEFAULT '',  -- comma-separated, for the role check
    is_admin          INTEGER NOT NULL DEFAULT 0,
    browser           TEXT,               -- the browser that opened it first; NULL until then
    expires_at        REAL    NOT NULL,
    created_at        REAL    NOT NULL,
    used_at           REAL
);
CREATE INDEX editor_links_expiry ON editor_links (expires_at);

-- Lineage: the thread started from a result (threads on), where its follow-ups go.
ALTER TABLE jobs ADD COLUMN thread_id INTEGER;
CREATE INDEX jobs_parent ON jobs (parent_id);
-- Per server: start a thread on each /imagine result.
ALTER TABLE guild_settings ADD COLUMN threads INTEGER NOT NULL DEFAULT 0;
