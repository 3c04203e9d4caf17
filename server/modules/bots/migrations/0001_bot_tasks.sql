-- The bot_outputs projection: one row per task with its status and, once done, its output or
-- error. The task's input (context) is not kept here: it lives only in the broker, for the
-- task's TTL. `last_seq` is the BOTS stream sequence of the event that produced the row.
CREATE TABLE bot_tasks (
  tenant text NOT NULL,
  id uuid NOT NULL,
  task_type text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
  output jsonb,
  error jsonb,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  last_seq bigint NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX bot_tasks_by_tenant_created ON bot_tasks (tenant, created_at DESC, id DESC);
CREATE INDEX bot_tasks_by_expiry ON bot_tasks (expires_at);
CREATE INDEX bot_tasks_by_last_seq ON bot_tasks (last_seq);
