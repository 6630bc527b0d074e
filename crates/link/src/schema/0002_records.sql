-- Every register's records, as pushed: append-only, one row per record, identified by the
-- register that made it and its local sequence number (a global id that needs no coordination).
-- A re-push of the same (register, sequence) is ignored, so a register killed between a push and
-- its local mark pushes again harmlessly.
CREATE TABLE records (
    register_id  TEXT NOT NULL REFERENCES registers (register_id),
    local_seq    BIGINT NOT NULL CHECK (local_seq > 0),
    client_id    TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    licence      TEXT NOT NULL,
    acting_user  TEXT NOT NULL,
    occurred_at  TIMESTAMPTZ NOT NULL,
    body         JSONB NOT NULL,
    pushed_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (register_id, local_seq)
);

-- Pulling: what other registers made since a point, in the order they made it.
CREATE INDEX records_by_register ON records (register_id, local_seq);
