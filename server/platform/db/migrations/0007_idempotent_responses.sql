-- An idempotent response lives no longer than the item it shows: `items` names the items the
-- request published events about (`drafts.<tenant token>.<id>`, ...), and when one of them is
-- deleted or expires the stored response is dropped (state 'gone': a retry answers 410 and
-- publishes nothing). `response_expires_at` is the earliest `expires_at` in the response. The
-- record itself (key and body hash, no content) lives 24 h, longer than any broker dedup window.
ALTER TABLE idempotency_keys ADD COLUMN items text[] NOT NULL DEFAULT '{}';
ALTER TABLE idempotency_keys ADD COLUMN response_expires_at timestamptz;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_state_check;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_state_check CHECK (state IN ('running', 'done', 'gone'));
CREATE INDEX idempotency_keys_by_item ON idempotency_keys USING gin (items);
CREATE INDEX idempotency_keys_by_response_expiry ON idempotency_keys (response_expires_at) WHERE state = 'done';
