-- Receipt verifications are counted per UTC day, and each day's counts are kept
-- ROLLUP_RETENTION_DAYS after it ends, like every aggregate; counts from before are treated as
-- the day they were last updated.
ALTER TABLE receipt_counts ADD COLUMN day date;
UPDATE receipt_counts SET day = (updated_at AT TIME ZONE 'UTC')::date;
ALTER TABLE receipt_counts ALTER COLUMN day SET NOT NULL;
ALTER TABLE receipt_counts ADD COLUMN expires_at timestamptz;
UPDATE receipt_counts SET expires_at = updated_at + interval '401 days';
ALTER TABLE receipt_counts ALTER COLUMN expires_at SET NOT NULL;
ALTER TABLE receipt_counts DROP CONSTRAINT receipt_counts_pkey;
ALTER TABLE receipt_counts ADD PRIMARY KEY (tenant, day, product_id, environment, valid);
CREATE INDEX receipt_counts_expiry ON receipt_counts (expires_at);
