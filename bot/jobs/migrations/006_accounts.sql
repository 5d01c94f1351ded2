-- Provider accounts: the pool's account key that made each job (follow-ups go back to it),
-- and what a follow-up must send back to that provider (proxy custom ids, AceData image id).
-- Rows from before have no key: they belong to the provider's first account (ttapi, first key).
ALTER TABLE jobs ADD COLUMN account TEXT;
ALTER TABLE jobs ADD COLUMN refs    TEXT NOT NULL DEFAULT '{}';
