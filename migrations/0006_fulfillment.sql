-- Fulfillment through the task queue: outbox rows are named for the worker
-- task they become, rows that exhausted their attempts are marked as dead
-- letters, and every insert wakes the relay.

UPDATE outbox SET kind = 'warehouse' WHERE kind = 'fulfillment.start';
UPDATE outbox SET kind = 'notification' WHERE kind = 'notification.order';

-- Set when a row has used up its attempts; it stays for a person to look at.
ALTER TABLE outbox ADD COLUMN dead_at timestamptz;
UPDATE outbox SET dead_at = created_at
 WHERE sent_at IS NULL AND available_at = 'infinity'::timestamptz;

-- What the relay claims: due, unsent, alive.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (available_at) WHERE sent_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_dead ON outbox (dead_at DESC) WHERE dead_at IS NOT NULL;

-- One notification per committed transaction that wrote outbox rows; the
-- relay listens on `outbox` and falls back to a periodic sweep.
CREATE FUNCTION outbox_wake_relay() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_wake_relay AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_wake_relay();
