-- The W3C trace id of the request that queued each outbox row, so the task
-- it becomes (and the worker's report back) continue the same trace.
ALTER TABLE outbox ADD COLUMN trace_id text
    CHECK (trace_id IS NULL OR trace_id ~ '^[0-9a-f]{32}$');
