-- Credit budgets (issue 16).
-- The credits a job was estimated at when it was admitted; `quota` stays what the provider
-- reported at the end. Spend counts COALESCE(quota, estimate); failed and cancelled jobs count 0.
ALTER TABLE jobs ADD COLUMN estimate REAL;

-- Per-server budgets in credits (0 = none): per member per day, per server per day and per
-- calendar month (UTC).
CREATE TABLE guild_budgets (
    guild_id      INTEGER PRIMARY KEY,
    member_daily  REAL NOT NULL DEFAULT 0,
    guild_daily   REAL NOT NULL DEFAULT 0,
    guild_monthly REAL NOT NULL DEFAULT 0,
    updated_at    REAL NOT NULL
);

-- Owner alerts per provider account, kept across restarts so they are not repeated.
CREATE TABLE account_alerts (
    account        TEXT PRIMARY KEY,
    low_balance_at REAL,               -- last low-balance alert: repeated at most daily
    payment_at     REAL,               -- the 402 alert of the current episode; NULL = armed
    paused         INTEGER NOT NULL DEFAULT 0,  -- admission held after a 402
    floor          REAL,               -- balance seen at the 402: resume once it rises above
    updated_at     REAL NOT NULL
);
