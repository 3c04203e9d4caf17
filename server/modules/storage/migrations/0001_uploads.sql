-- The uploads projection: one row per issued upload slot, so that a download is granted only
-- for a live key of the calling app, and so that the reconciler finds objects whose TTL passed.
-- Nothing about the content is kept (type and size live only in the UPLOADS stream).
CREATE TABLE uploads (
  tenant text NOT NULL,
  id uuid NOT NULL,
  key text NOT NULL,
  expires_at timestamptz NOT NULL,
  last_seq bigint NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX uploads_by_expiry ON uploads (expires_at);
CREATE INDEX uploads_by_last_seq ON uploads (last_seq);

-- S3 objects to delete, queued in the transaction that removes their upload row (so a crash
-- loses none) and drained by the object reaper. No `tenant` column on purpose: a tenant purge
-- erases every table that has one, and must not cancel deletions still owed.
CREATE TABLE object_deletions (
  id bigserial PRIMARY KEY,
  key text NOT NULL,
  queued_at timestamptz NOT NULL DEFAULT now()
);
