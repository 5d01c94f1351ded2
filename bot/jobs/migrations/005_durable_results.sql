-- The provider's second link to a result (discordImage next to cdnImage): a download that
-- fails on one link is tried on the other before the result is only linked.
ALTER TABLE jobs ADD COLUMN alt_image_url TEXT;
