-- Idempotency-Key records: the first response to a (tenant, procedure, key), replayed to
-- retries for 24 h at most and never longer than what the response describes lives
-- (`expires_at`). `body_hash` tells a retry from a reuse of the key with another body.
CREATE TABLE idempotency_keys (
  tenant text NOT NULL,
  procedure text NOT NULL,
  key text NOT NULL,
  body_hash text NOT NULL,
  state text NOT NULL CHECK (state IN ('running', 'done')),
  status integer,
  content_type text,
  response text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, procedure, key)
);
CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);
