-- Which register holds a Metrc key for whom: never the key, only its last four characters, when
-- it was saved there and its last validation. Each register replaces its own rows whole.
CREATE TABLE key_holders (
    register_id   TEXT NOT NULL REFERENCES registers (register_id),
    environment   TEXT NOT NULL,
    holder        TEXT NOT NULL CHECK (holder = 'facility' OR holder LIKE 'user:_%'),
    last_four     TEXT NOT NULL CHECK (length(last_four) <= 4),
    saved_at      TIMESTAMPTZ NOT NULL,
    verdict       TEXT,
    validated_at  TIMESTAMPTZ,
    reported_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (register_id, environment, holder)
);
