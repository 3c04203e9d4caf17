-- Replays that rebuild a projection from its stream (`npm run ops -- replay`). A replay builds a
-- shadow table in its own schema (`mayfly_replay_<id>`), moving `last_seq` forward in the same
-- transaction as the rows it applies, so a replay that dies resumes exactly where it stopped.
-- `app_id`, not `tenant`: a tenant purge erases rows of tables with a `tenant` column, and the
-- record of a replay is no data of the app's.
CREATE TABLE replay_runs (
  id bigserial PRIMARY KEY,
  projection text NOT NULL,
  stream text NOT NULL,
  app_id text,
  shadow text NOT NULL,
  from_seq bigint NOT NULL,
  last_seq bigint NOT NULL DEFAULT 0,
  events bigint NOT NULL DEFAULT 0,
  pending bigint NOT NULL DEFAULT 0,
  status text NOT NULL CHECK (status IN ('running', 'finished', 'abandoned')),
  holder text,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  checkpoint bigint
);
-- One replay of a projection at a time: two would race at the swap.
CREATE UNIQUE INDEX replay_runs_one_running ON replay_runs (projection) WHERE status = 'running';
