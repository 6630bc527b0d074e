-- Every register's audit log, copied row for row with its hash chain, so a manager can verify any
-- register's chain from the store (append-only: a row already there is left as it was).
CREATE TABLE audit_entries (
    register_id  TEXT NOT NULL REFERENCES registers (register_id),
    seq          BIGINT NOT NULL CHECK (seq > 0),
    at_ms        BIGINT NOT NULL,
    actor        TEXT,
    action       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    detail       TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    PRIMARY KEY (register_id, seq)
);
