-- Stateline local store, schema version 4: the hash-chained audit log (issues #4 and #6).
-- Append-only: never edit this file once released; add a later migration instead.

-- audit_log: who did what, when. Each row's `hash` is SHA-256 over the previous row's hash and
-- this row's fields (see audit/chain.rs), so an edited or removed row breaks the chain from that
-- point on. `seq` starts at 1 and has no gaps. Rows are never updated or deleted.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT,
    action    TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash      TEXT NOT NULL CHECK (length(hash) = 64)
) STRICT;

CREATE INDEX audit_log_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
