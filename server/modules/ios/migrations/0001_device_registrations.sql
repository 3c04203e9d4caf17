-- The device_registrations projection: one row per live APNs registration. The token is here
-- and in the DEVICES stream only, both for APNS_TOKEN_TTL_SECONDS at most; the reconciler
-- hard-deletes the row and purges its subject at `expires_at`. A registration APNs called
-- dead keeps a tombstone (token NULL, `discarded_at` set) so notify can answer 410 Gone
-- instead of 404 until the tombstone leaves with its source message.
CREATE TABLE device_registrations (
  tenant text NOT NULL,
  id uuid NOT NULL,
  token text,
  environment text NOT NULL CHECK (environment IN ('sandbox', 'production')),
  bundle_id text,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  discarded_at timestamptz,
  discard_reason text,
  last_seq bigint NOT NULL,
  PRIMARY KEY (tenant, id),
  CHECK ((token IS NULL) = (discarded_at IS NOT NULL))
);
CREATE INDEX device_registrations_by_expiry ON device_registrations (expires_at);
CREATE INDEX device_registrations_by_last_seq ON device_registrations (last_seq);
