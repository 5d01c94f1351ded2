-- The prompt Midjourney reports with a result: a blend's is the only prompt it has.
ALTER TABLE jobs ADD COLUMN result_prompt TEXT;
-- A result's children by action: which of its buttons were used (highlighted on the result).
CREATE INDEX jobs_parent_action ON jobs (parent_id, action) WHERE parent_id IS NOT NULL;
