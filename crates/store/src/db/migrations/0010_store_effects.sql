-- Stateline local store: what records do to stock, kept for the store (issue #13).
-- Append-only: never edit this file once released; add a later migration instead.

-- What each of this register's records does to package quantities (milli-units, signed), kept
-- after confirmation: `package_effects` holds only what is not yet confirmed, but the other
-- registers of a store need a record's effects whenever they first hear of it.
CREATE TABLE entry_deltas (
    entry_id  INTEGER NOT NULL REFERENCES outbox (id),
    label     TEXT NOT NULL,
    delta     INTEGER NOT NULL,
    PRIMARY KEY (entry_id, label)
) STRICT, WITHOUT ROWID;

-- Records from before this version: their unconfirmed effects are all that is left to know.
INSERT INTO entry_deltas (entry_id, label, delta)
    SELECT entry_id, label, SUM(delta) FROM package_effects GROUP BY entry_id, label;

-- What the other registers' records take from packages as this register counts it (only stock
-- leaving: see store::link::peer_effects). A row stays until a Metrc refresh fetched the package
-- after this register learned the record was confirmed (`confirmed_at`, this register's clock;
-- NULL while the record is open). Their sum per label is part of `packages.pending_delta`, kept
-- by the same statements.
CREATE TABLE peer_effects (
    register_id   TEXT NOT NULL,
    local_seq     INTEGER NOT NULL,
    label         TEXT NOT NULL,
    delta         INTEGER NOT NULL CHECK (delta < 0),
    confirmed_at  INTEGER,
    PRIMARY KEY (register_id, local_seq, label),
    FOREIGN KEY (register_id, local_seq) REFERENCES peer_records (register_id, local_seq)
) STRICT, WITHOUT ROWID;

CREATE INDEX peer_effects_by_label ON peer_effects (label);
