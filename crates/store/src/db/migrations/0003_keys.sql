-- Stateline local store, schema version 3: Metrc key metadata and facility-key overrides (#4).
-- Append-only: never edit this file once released; add a later migration instead.

-- key_metadata: which keychain entry holds whose Metrc key, per environment. Never the key: only
-- the entry's account name, the key's last four characters, and the last validation verdict.
-- `holder` is 'user:<app user name>' or 'facility'.
CREATE TABLE key_metadata (
    environment     TEXT NOT NULL CHECK (environment IN ('demo', 'sandbox', 'production')),
    holder          TEXT NOT NULL CHECK (holder = 'facility' OR holder LIKE 'user:_%'),
    entry           TEXT NOT NULL,
    last_four       TEXT NOT NULL CHECK (length(last_four) <= 4),
    saved_at        INTEGER NOT NULL,
    saved_by        TEXT NOT NULL,
    verdict         TEXT CHECK (verdict IN ('all_good', 'missing_permissions', 'key_invalid', 'could_not_check')),
    verdict_message TEXT,
    validated_at    INTEGER,
    PRIMARY KEY (environment, holder)
) STRICT;

-- facility_overrides: a manager's explicit, audited choice to send one user's records under the
-- facility key (only honoured while the setting allows facility keys). Ends when the user saves a
-- new key of their own or a manager withdraws it.
CREATE TABLE facility_overrides (
    user_name  TEXT PRIMARY KEY COLLATE NOCASE,
    granted_by TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    reason     TEXT NOT NULL CHECK (length(reason) > 0)
) STRICT;
