-- A queued purge removes the subject's messages below `up_to_seq` only: never a message newer
-- than the state that asked for it (an update that landed after a delete was queued, or after
-- the fold found an older event expired). NULL: a purge queued before this column existed,
-- which removes the whole subject as it always did.
ALTER TABLE purge_queue ADD COLUMN up_to_seq bigint;
