-- The store's people: every user of every register, merged part by part (role, PIN hash, lock,
-- disabled), each part with the time it last changed (ms, the changing register's clock); see
-- stateline_store::link::shared_people for the rule. PIN hashes are Argon2id strings, never PINs.
-- Every change takes the next `change_seq`, so registers pull changes in order.
CREATE SEQUENCE people_change_seq;
CREATE TABLE people (
    name_key             TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('budtender', 'manager')),
    role_changed_at      BIGINT NOT NULL,
    pin_hash             TEXT NOT NULL CHECK (pin_hash LIKE '$argon2id$%'),
    pin_changed_at       BIGINT NOT NULL,
    locked               BOOLEAN NOT NULL,
    lock_changed_at      BIGINT NOT NULL,
    disabled             BOOLEAN NOT NULL,
    disabled_changed_at  BIGINT NOT NULL,
    changed_by           TEXT NOT NULL,
    change_seq           BIGINT NOT NULL DEFAULT nextval('people_change_seq')
);

CREATE INDEX people_by_change ON people (change_seq);
