-- Events a projector could not apply: after a batch failed, it was split until the one event
-- that fails was found, that event was retried a few times, then parked here and skipped, so
-- that everything after it was applied. No copy of the event: its place in the stream, whose
-- app it is, and why it failed. A row goes when its message leaves the stream (the reconciler),
-- when an operator drops it, or when a retry applies it.
CREATE TABLE parked_events (
  projection text NOT NULL,
  stream text NOT NULL,
  seq bigint NOT NULL,
  subject text NOT NULL,
  tenant text,
  error text NOT NULL,
  attempts integer NOT NULL,
  first_failed_at timestamptz NOT NULL,
  last_failed_at timestamptz NOT NULL,
  PRIMARY KEY (projection, seq)
);
CREATE INDEX parked_events_by_stream_seq ON parked_events (stream, seq);
