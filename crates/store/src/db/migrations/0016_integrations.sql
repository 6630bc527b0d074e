-- Stateline local store, schema version 16: the POS API (issue #17). Append-only: never edit this
-- file once released; add a later migration instead.

-- A POS (or other program) allowed to call the local API. The token itself is shown once, when a
-- manager creates the integration, and never stored: only its SHA-256 (hex) and its first
-- characters, so a manager can tell tokens apart. `scopes` is a comma-separated subset of
-- 'record', 'status', 'inventory'. A revoked integration stays, for the audit of its calls.
CREATE TABLE integrations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 80),
    token_hash    TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    token_prefix  TEXT NOT NULL CHECK (length(token_prefix) BETWEEN 4 AND 12),
    scopes        TEXT NOT NULL CHECK (length(scopes) > 0),
    created_by    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER,
    revoked_by    TEXT,
    last_used_at  INTEGER,
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
) STRICT;

-- How an integration names its budtenders: the POS's clerk id → a Stateline user. A clerk without
-- a row is taken as a Stateline user name as given.
CREATE TABLE integration_clerks (
    integration_id  INTEGER NOT NULL REFERENCES integrations (id),
    clerk           TEXT NOT NULL CHECK (length(clerk) BETWEEN 1 AND 100),
    user_name       TEXT NOT NULL CHECK (length(user_name) > 0),
    PRIMARY KEY (integration_id, clerk)
) STRICT;

-- Every call to the local API, by integration (NULL: refused before an integration was known).
-- Pruned after 90 days.
CREATE TABLE integration_calls (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    integration_id  INTEGER REFERENCES integrations (id),
    at              INTEGER NOT NULL,
    method          TEXT NOT NULL,
    route           TEXT NOT NULL,
    status          INTEGER NOT NULL,
    code            TEXT
) STRICT;
CREATE INDEX integration_calls_by_integration ON integration_calls (integration_id, at);
CREATE INDEX integration_calls_at ON integration_calls (at);

-- A record made for a POS ticket: the same (source, ticket) is one record. `source` says whose
-- ticket numbers these are ('integration:<id>', or 'door:<licence>' for the Metrc-compatible door's
-- ExternalReceiptNumber); `body_hash` is the SHA-256 of the request as understood, so the same
-- ticket with a different body is told apart from a retry. Committed in the record's transaction.
CREATE TABLE pos_tickets (
    source      TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 120),
    ticket      TEXT NOT NULL CHECK (length(ticket) BETWEEN 1 AND 100),
    kind        TEXT NOT NULL CHECK (kind IN ('sale', 'adjustment')),
    body_hash   TEXT NOT NULL CHECK (length(body_hash) = 64),
    entry_id    INTEGER NOT NULL UNIQUE REFERENCES outbox (id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (source, ticket)
) STRICT;
