-- Stateline local store, schema version 2: app users (issue #4).
-- Append-only: never edit this file once released; add 0003_*.sql instead.

-- users: the people who log in to this register with a PIN.
-- `name` is unique ignoring ASCII case. `pin_hash` is an Argon2id PHC string (random salt, the
-- parameters inside the string); the PIN itself is never stored. `locked` is set after 5 wrong PINs
-- in a row and cleared only by a manager's PIN reset.
CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(name) BETWEEN 1 AND 40),
    role            TEXT NOT NULL CHECK (role IN ('budtender', 'manager')),
    pin_hash        TEXT NOT NULL CHECK (pin_hash LIKE '$argon2id$%'),
    failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked          INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at      INTEGER NOT NULL,
    created_by      INTEGER REFERENCES users(id),
    pin_changed_at  INTEGER NOT NULL
) STRICT;
