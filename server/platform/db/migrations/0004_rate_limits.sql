-- Fixed-window request counters shared by every instance: one row per bucket (tenant and
-- procedure, or client address for /health) and window.
CREATE TABLE rate_windows (
  bucket text NOT NULL,
  window_start timestamptz NOT NULL,
  count integer NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_windows_by_expiry ON rate_windows (expires_at);
