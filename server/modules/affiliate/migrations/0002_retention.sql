-- Sealed totals are kept ROLLUP_RETENTION_DAYS after they were sealed (each seal carries its
-- time to go); those sealed before seals carried one go 401 days after their day.
ALTER TABLE conversion_rollups ADD COLUMN expires_at timestamptz;
UPDATE conversion_rollups SET expires_at = (day + interval '401 days')::timestamptz;
ALTER TABLE conversion_rollups ALTER COLUMN expires_at SET NOT NULL;
CREATE INDEX conversion_rollups_expiry ON conversion_rollups (expires_at);

-- The distinct referral codes and event names each app has counts of, for the per-app caps
-- (AFFILIATE_MAX_CODES_PER_APP, AFFILIATE_MAX_EVENTS_PER_APP). A name counts until the last
-- total it can be part of has gone: a day and ROLLUP_RETENTION_DAYS after its last conversion.
CREATE TABLE affiliate_names (
  tenant text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('code', 'event')),
  name text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, kind, name)
);
CREATE INDEX affiliate_names_expiry ON affiliate_names (expires_at);
