-- The drafts projection: the current state of every live draft. `last_seq` is the DRAFTS
-- stream sequence of the event that produced the row, so rows whose source message has left
-- the broker can be found (last_seq < the stream's first sequence).
CREATE TABLE drafts (
  tenant text NOT NULL,
  id uuid NOT NULL,
  content text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  last_seq bigint NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX drafts_by_tenant_created ON drafts (tenant, created_at DESC, id DESC);
CREATE INDEX drafts_by_expiry ON drafts (expires_at);
CREATE INDEX drafts_by_last_seq ON drafts (last_seq);
