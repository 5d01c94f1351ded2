-- Set when a DM copy could not be delivered (DMs closed): the member is told once, and DM
-- copies stop until they turn them on again, so a closed inbox never causes an error loop.
ALTER TABLE user_settings ADD COLUMN dm_blocked INTEGER NOT NULL DEFAULT 0;
