-- Outbound webhooks. Shops register endpoints for the events they want;
-- each event is written to the outbox, one row per subscribed endpoint, in
-- the transaction that makes the change, and the relay delivers it signed
-- (Standard Webhooks). Every attempt is logged.

CREATE TABLE webhook_endpoints (
    id                    uuid PRIMARY KEY,
    url                   text NOT NULL,
    events                text[] NOT NULL,
    enabled               boolean NOT NULL DEFAULT true,
    -- `whsec_` and the base64 of 32 random bytes: requests are signed with
    -- it, so it is kept as it is (like the payment provider's keys).
    secret                text NOT NULL,
    -- After a rotation, the previous secret signs too until this time.
    previous_secret       text,
    previous_secret_until timestamptz,
    -- Since when every attempt has failed (NULL: the last one succeeded).
    failing_since         timestamptz,
    disabled_reason       text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    outbox_id        uuid NOT NULL,
    -- The `webhook-id` header: the same for every attempt and replay.
    event_id         text NOT NULL,
    event_type       text NOT NULL,
    attempt          integer NOT NULL,
    status_code      integer,
    latency_ms       integer NOT NULL,
    response_excerpt text,
    error            text,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at DESC);

-- Deliveries to one endpoint about one subject (an order, a product) go out
-- one at a time in the order they were written: the relay takes a webhook
-- row only when no earlier one of its queue is still waiting.
CREATE INDEX outbox_webhook_queues
    ON outbox ((payload->>'endpoint_id'), (payload->>'subject'), created_at)
    WHERE kind = 'webhook' AND sent_at IS NULL AND dead_at IS NULL;
