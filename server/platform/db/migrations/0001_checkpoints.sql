-- Where each projection stands in each stream it reads: updated in the same transaction as
-- the rows it projects, so a redelivered event is recognised and skipped.
CREATE TABLE projection_checkpoints (
  projection text NOT NULL,
  stream text NOT NULL,
  last_seq bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, stream)
);
