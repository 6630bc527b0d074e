-- Where each record stands with Metrc, as the register that holds it last said: one row per
-- record, replaced as its state changes (the records themselves stay append-only). Every insert
-- and replacement takes the next `change_seq`, so the other registers pull state changes in order.
CREATE SEQUENCE deliveries_change_seq;
CREATE TABLE deliveries (
    register_id  TEXT NOT NULL,
    local_seq    BIGINT NOT NULL,
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL CHECK (attempts >= 0),
    last_error   TEXT,
    updated_at   TIMESTAMPTZ NOT NULL,
    change_seq   BIGINT NOT NULL DEFAULT nextval('deliveries_change_seq'),
    PRIMARY KEY (register_id, local_seq),
    FOREIGN KEY (register_id, local_seq) REFERENCES records (register_id, local_seq)
);

CREATE INDEX deliveries_by_change ON deliveries (change_seq);

-- The store's backlog: what is not yet with Metrc (nor withdrawn).
CREATE INDEX deliveries_open ON deliveries (state) WHERE state NOT IN ('confirmed', 'voided');

-- A register that left the store keeps its rows (its records happened) but no longer counts as
-- one of the store's registers.
ALTER TABLE registers ADD COLUMN left_at TIMESTAMPTZ;

-- Names are unique among the registers still in the store, so a replacement can take the name of
-- one that left.
DROP INDEX registers_by_name;
CREATE UNIQUE INDEX registers_by_name ON registers (lower(name)) WHERE left_at IS NULL;
