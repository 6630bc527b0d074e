-- Stateline local store: the register's side of a store (issue #13).
-- Append-only: never edit this file once released; add a later migration instead.

-- The other registers' records, as pulled from the store server: a copy for offline use (the
-- store server keeps the original). Keyed like the server's rows by the register that made the
-- record and its sequence there.
CREATE TABLE peer_records (
    register_id  TEXT NOT NULL,
    local_seq    INTEGER NOT NULL CHECK (local_seq > 0),
    client_id    TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    licence      TEXT NOT NULL,
    acting_user  TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL,
    body         TEXT NOT NULL,
    pulled_at    INTEGER NOT NULL,
    -- Where the record stands with Metrc as its register last told the store (NULL: not told yet).
    state        TEXT,
    PRIMARY KEY (register_id, local_seq)
) WITHOUT ROWID;

-- The delivery state of each of this register's records as last pushed to the store server, so
-- a push sends only what changed since.
CREATE TABLE pushed_states (
    entry_id  INTEGER PRIMARY KEY REFERENCES outbox (id),
    state     TEXT NOT NULL,
    attempts  INTEGER NOT NULL
);
