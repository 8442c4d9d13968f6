-- The audit log: each admin write that succeeded, who made it (the admin,
-- and the API key if one was used), the request id, the route, and its
-- subject just before and just after (secrets and hashes left out).
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     uuid NOT NULL,
    -- The admin's email then (they may since be renamed or deleted).
    actor        text NOT NULL,
    api_key_id   uuid,
    request_id   text,
    method       text NOT NULL,
    path         text NOT NULL,
    subject_type text,
    subject_id   uuid,
    status       integer NOT NULL,
    before       jsonb,
    after        jsonb
);
CREATE INDEX audit_log_by_subject ON audit_log (subject_type, subject_id, id DESC);
