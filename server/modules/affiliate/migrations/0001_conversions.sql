-- Conversion counts, aggregates only: a code, an event name, a UTC day, how many and the sum
-- of their values. No user data, no per-conversion rows.

-- Projected from the CONVERSIONS stream (raw events, kept CONVERSION_RETENTION_DAYS).
-- `last_seq` is the newest CONVERSIONS sequence counted in the row: once it is below the
-- stream's first sequence, every event behind the row has expired, and the row may go as
-- soon as its sealed total is in conversion_rollups.
CREATE TABLE conversion_counts (
  tenant text NOT NULL,
  code text NOT NULL,
  event text NOT NULL,
  day date NOT NULL,
  count bigint NOT NULL,
  -- numeric, not double: exact sums, the same whatever the batching (a replay batches differently)
  value_sum numeric NOT NULL,
  last_seq bigint NOT NULL,
  PRIMARY KEY (tenant, code, event, day)
);
CREATE INDEX conversion_counts_by_tenant_day ON conversion_counts (tenant, day);

-- Projected from the ROLLUPS stream (no max-age): the sealed total of each (code, event, day)
-- of a completed day. It wins over conversion_counts for its key, so a day never counts twice
-- and outlives its raw events. `last_seq` is the ROLLUPS sequence of the seal.
CREATE TABLE conversion_rollups (
  tenant text NOT NULL,
  code text NOT NULL,
  event text NOT NULL,
  day date NOT NULL,
  count bigint NOT NULL,
  value_sum numeric NOT NULL,
  last_seq bigint NOT NULL,
  PRIMARY KEY (tenant, code, event, day)
);
CREATE INDEX conversion_rollups_by_tenant_day ON conversion_rollups (tenant, day);
