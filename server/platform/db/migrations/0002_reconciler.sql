-- Subjects whose messages must leave the broker before their stream's max-age removes them
-- (an item deleted, or expired sooner than its stream keeps messages). Written in the same
-- transaction that removes the row, drained by the reconciler: nothing is forgotten on a crash.
-- Holds subject names only, never content.
CREATE TABLE purge_queue (
  id bigserial PRIMARY KEY,
  stream text NOT NULL,
  subject text NOT NULL,
  queued_at timestamptz NOT NULL DEFAULT now()
);

-- The reconciler's recent runs and what each removed (admin reads them).
CREATE TABLE reconciler_runs (
  id bigserial PRIMARY KEY,
  holder text NOT NULL,
  started_at timestamptz NOT NULL,
  duration_ms integer NOT NULL,
  report jsonb NOT NULL
);
