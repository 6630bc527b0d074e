-- The registers of the store. A register's id is made once on the register and never changes.
CREATE TABLE registers (
    register_id  TEXT PRIMARY KEY CHECK (length(register_id) BETWEEN 1 AND 64),
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    app_version  TEXT NOT NULL,
    joined_at    TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL
);

-- Register names are unique in a store, ignoring case.
CREATE UNIQUE INDEX registers_by_name ON registers (lower(name));
