-- Aggregate StoreKit verification counts: the only thing validate-receipt keeps. No user,
-- device or transaction data; `product_id` and `environment` are empty for transactions
-- whose signature could not be verified (their claims are untrusted).
CREATE TABLE receipt_counts (
  tenant text NOT NULL,
  product_id text NOT NULL,
  environment text NOT NULL,
  valid boolean NOT NULL,
  count bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, product_id, environment, valid)
);
