-- Stateline local store, schema version 1.
-- Append-only: never edit this file once released; add 0002_*.sql instead.
-- Times are INTEGER milliseconds since the Unix epoch (UTC). Quantities are INTEGER milli-units
-- (thousandths of the unit of measure). Money is INTEGER cents.

-- settings: key/value pairs (install id, key mode, ...).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

-- licences: the Metrc licences this register is bound to.
CREATE TABLE licences (
    number                   TEXT PRIMARY KEY NOT NULL CHECK (length(number) > 0),
    name                     TEXT NOT NULL,
    time_zone                TEXT NOT NULL,
    reporting_deadline_hours INTEGER NOT NULL CHECK (reporting_deadline_hours > 0),
    object_limit             INTEGER CHECK (object_limit IS NULL OR object_limit > 0)
) STRICT;

-- adjustment_reasons: cache of Metrc's adjustment reasons per licence.
CREATE TABLE adjustment_reasons (
    licence       TEXT NOT NULL REFERENCES licences(number),
    name          TEXT NOT NULL,
    requires_note INTEGER NOT NULL CHECK (requires_note IN (0, 1)),
    PRIMARY KEY (licence, name)
) STRICT;

-- items: cache of Metrc items per licence.
CREATE TABLE items (
    licence         TEXT NOT NULL REFERENCES licences(number),
    metrc_id        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    category        TEXT,
    unit_of_measure TEXT NOT NULL,
    PRIMARY KEY (licence, metrc_id)
) STRICT;
CREATE INDEX items_by_name ON items (licence, name);

-- packages: cache of Metrc packages plus local-only ones (new tags not yet confirmed).
CREATE TABLE packages (
    label           TEXT PRIMARY KEY NOT NULL CHECK (length(label) > 0),
    licence         TEXT NOT NULL REFERENCES licences(number),
    item_name       TEXT NOT NULL,
    unit_of_measure TEXT NOT NULL,
    metrc_quantity  INTEGER NOT NULL,
    -- Σ package_effects.delta for this label, kept in step in the same transactions (O(1) on-hand).
    pending_delta   INTEGER NOT NULL DEFAULT 0,
    last_modified   INTEGER,
    local_only      INTEGER NOT NULL CHECK (local_only IN (0, 1)),
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX packages_by_licence ON packages (licence, item_name);

-- outbox: one row per record to deliver to Metrc.
CREATE TABLE outbox (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id         TEXT NOT NULL UNIQUE CHECK (length(client_id) BETWEEN 1 AND 40),
    kind              TEXT NOT NULL
                      CHECK (kind IN ('sale', 'adjustment', 'new_package', 'sale_correction', 'sale_void')),
    licence           TEXT NOT NULL REFERENCES licences(number),
    acting_user       TEXT NOT NULL CHECK (length(acting_user) > 0),
    record_id         INTEGER NOT NULL,
    state             TEXT NOT NULL
                      CHECK (state IN ('pending', 'sending', 'confirmed', 'ambiguous', 'rejected',
                                       'waiting_for_key', 'voided')),
    attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at   INTEGER NOT NULL,
    last_error        TEXT,
    occurred_at       INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    state_changed_at  INTEGER NOT NULL,
    metrc_id          INTEGER,
    ambiguous_since   INTEGER,
    lookup_misses     INTEGER NOT NULL DEFAULT 0 CHECK (lookup_misses >= 0),
    last_lookup_at    INTEGER,
    void_reason       TEXT,
    voided_by         TEXT,
    depends_on        INTEGER REFERENCES outbox(id),
    CHECK (state <> 'voided' OR (void_reason IS NOT NULL AND voided_by IS NOT NULL)),
    CHECK (state <> 'ambiguous' OR ambiguous_since IS NOT NULL),
    CHECK ((kind IN ('sale_correction', 'sale_void')) = (depends_on IS NOT NULL))
) STRICT;
-- claim_batch walks these partial indexes in id order: O(batch), not O(backlog).
CREATE INDEX outbox_claim ON outbox (licence, kind, id) WHERE state = 'pending';
CREATE INDEX outbox_claim_user ON outbox (licence, kind, acting_user, id) WHERE state = 'pending';
CREATE INDEX outbox_by_state ON outbox (state, licence, acting_user);
CREATE INDEX outbox_ambiguous ON outbox (last_lookup_at) WHERE state = 'ambiguous';
CREATE INDEX outbox_depends_on ON outbox (depends_on) WHERE depends_on IS NOT NULL;
CREATE INDEX outbox_open_by_occurred ON outbox (licence, occurred_at)
    WHERE state IN ('pending', 'sending', 'ambiguous', 'rejected', 'waiting_for_key');

-- Legal state transitions, enforced here as well as in code.
CREATE TRIGGER outbox_legal_transition BEFORE UPDATE OF state ON outbox
WHEN OLD.state <> NEW.state AND NOT (
       (OLD.state = 'pending'         AND NEW.state IN ('sending', 'waiting_for_key', 'voided'))
    OR (OLD.state = 'sending'         AND NEW.state IN ('confirmed', 'rejected', 'ambiguous', 'pending', 'waiting_for_key'))
    OR (OLD.state = 'ambiguous'       AND NEW.state IN ('confirmed', 'pending'))
    OR (OLD.state = 'rejected'        AND NEW.state IN ('pending', 'voided'))
    OR (OLD.state = 'waiting_for_key' AND NEW.state IN ('pending', 'voided'))
)
BEGIN
    SELECT RAISE(ABORT, 'illegal outbox state transition');
END;

-- outbox_counts: entries per licence, acting user and state, kept by triggers so status counts
-- cost O(1) however long the backlog.
CREATE TABLE outbox_counts (
    licence     TEXT NOT NULL,
    acting_user TEXT NOT NULL,
    state       TEXT NOT NULL,
    count       INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (licence, acting_user, state)
) WITHOUT ROWID, STRICT;
CREATE TRIGGER outbox_counts_on_insert AFTER INSERT ON outbox
BEGIN
    INSERT OR IGNORE INTO outbox_counts (licence, acting_user, state, count)
    VALUES (NEW.licence, NEW.acting_user, NEW.state, 0);
    UPDATE outbox_counts SET count = count + 1
    WHERE licence = NEW.licence AND acting_user = NEW.acting_user AND state = NEW.state;
END;
CREATE TRIGGER outbox_counts_on_change AFTER UPDATE OF state ON outbox
WHEN OLD.state <> NEW.state
BEGIN
    UPDATE outbox_counts SET count = count - 1
    WHERE licence = OLD.licence AND acting_user = OLD.acting_user AND state = OLD.state;
    INSERT OR IGNORE INTO outbox_counts (licence, acting_user, state, count)
    VALUES (NEW.licence, NEW.acting_user, NEW.state, 0);
    UPDATE outbox_counts SET count = count + 1
    WHERE licence = NEW.licence AND acting_user = NEW.acting_user AND state = NEW.state;
END;
CREATE TRIGGER outbox_identity_is_fixed BEFORE UPDATE OF licence, acting_user, kind, client_id ON outbox
BEGIN
    SELECT RAISE(ABORT, 'an outbox entry keeps its licence, user, kind and client id');
END;

-- outbox_history: append-only log of every state change, written by trigger.
CREATE TABLE outbox_history (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id   INTEGER NOT NULL REFERENCES outbox(id),
    at         INTEGER NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    detail     TEXT
) STRICT;
CREATE INDEX outbox_history_by_entry ON outbox_history (entry_id, id);
CREATE TRIGGER outbox_history_on_change AFTER UPDATE OF state ON outbox
WHEN OLD.state <> NEW.state
BEGIN
    INSERT INTO outbox_history (entry_id, at, from_state, to_state, detail)
    VALUES (NEW.id, NEW.state_changed_at, OLD.state, NEW.state,
            CASE WHEN NEW.state = 'voided' THEN NEW.void_reason
                 WHEN NEW.state IN ('pending', 'ambiguous', 'rejected', 'waiting_for_key') THEN NEW.last_error
                 ELSE NULL END);
END;
CREATE TRIGGER outbox_history_no_update BEFORE UPDATE ON outbox_history
BEGIN
    SELECT RAISE(ABORT, 'outbox_history is append-only');
END;
CREATE TRIGGER outbox_history_no_delete BEFORE DELETE ON outbox_history
BEGIN
    SELECT RAISE(ABORT, 'outbox_history is append-only');
END;

-- outbox_packages: which labels each non-terminal entry uses or creates (causal order).
-- kind is the entry's kind, or 'rejected' for the parked 'uses' rows of a rejected entry.
CREATE TABLE outbox_packages (
    entry_id INTEGER NOT NULL REFERENCES outbox(id),
    label    TEXT NOT NULL,
    kind     TEXT NOT NULL,
    role     TEXT NOT NULL CHECK (role IN ('uses', 'creates')),
    PRIMARY KEY (entry_id, label, role)
) WITHOUT ROWID, STRICT;
CREATE INDEX outbox_packages_by_label ON outbox_packages (label, kind, entry_id);
CREATE INDEX outbox_packages_creates ON outbox_packages (label, entry_id) WHERE role = 'creates';

-- package_effects: signed quantity deltas of local records not yet folded into metrc_quantity.
CREATE TABLE package_effects (
    entry_id INTEGER NOT NULL REFERENCES outbox(id),
    label    TEXT NOT NULL,
    delta    INTEGER NOT NULL,
    PRIMARY KEY (entry_id, label)
) WITHOUT ROWID, STRICT;
CREATE INDEX package_effects_by_label ON package_effects (label);

-- sales and their lines.
CREATE TABLE sales (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id          TEXT NOT NULL UNIQUE,
    licence            TEXT NOT NULL REFERENCES licences(number),
    acting_user        TEXT NOT NULL,
    occurred_at        INTEGER NOT NULL,
    customer_type      TEXT NOT NULL,
    patient_number     TEXT,
    caregiver_number   TEXT,
    created_at         INTEGER NOT NULL
) STRICT;
CREATE TABLE sale_lines (
    sale_id         INTEGER NOT NULL REFERENCES sales(id),
    line_no         INTEGER NOT NULL,
    label           TEXT NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    unit_of_measure TEXT NOT NULL,
    total_cents     INTEGER NOT NULL CHECK (total_cents >= 0),
    PRIMARY KEY (sale_id, line_no)
) WITHOUT ROWID, STRICT;

-- adjustments.
CREATE TABLE adjustments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id       TEXT NOT NULL UNIQUE,
    licence         TEXT NOT NULL REFERENCES licences(number),
    acting_user     TEXT NOT NULL,
    label           TEXT NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity <> 0),
    unit_of_measure TEXT NOT NULL,
    reason          TEXT NOT NULL,
    note            TEXT,
    occurred_at     INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;

-- new_packages: one row per new tag (merge = one row with many ingredients; split = many rows).
CREATE TABLE new_packages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id       TEXT NOT NULL UNIQUE,
    licence         TEXT NOT NULL REFERENCES licences(number),
    acting_user     TEXT NOT NULL,
    tag             TEXT NOT NULL UNIQUE,
    item_name       TEXT,
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    unit_of_measure TEXT NOT NULL,
    occurred_at     INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;
CREATE TABLE new_package_ingredients (
    new_package_id  INTEGER NOT NULL REFERENCES new_packages(id),
    label           TEXT NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    unit_of_measure TEXT NOT NULL,
    PRIMARY KEY (new_package_id, label)
) WITHOUT ROWID, STRICT;

-- sale_corrections (replacement lines for a sale) and sale_voids.
CREATE TABLE sale_corrections (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id   TEXT NOT NULL UNIQUE,
    sale_id     INTEGER NOT NULL REFERENCES sales(id),
    acting_user TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX sale_corrections_by_sale ON sale_corrections (sale_id, id);
CREATE TABLE sale_correction_lines (
    correction_id   INTEGER NOT NULL REFERENCES sale_corrections(id),
    line_no         INTEGER NOT NULL,
    label           TEXT NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    unit_of_measure TEXT NOT NULL,
    total_cents     INTEGER NOT NULL CHECK (total_cents >= 0),
    PRIMARY KEY (correction_id, line_no)
) WITHOUT ROWID, STRICT;
CREATE TABLE sale_voids (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id   TEXT NOT NULL UNIQUE,
    sale_id     INTEGER NOT NULL REFERENCES sales(id),
    reason      TEXT NOT NULL CHECK (length(reason) > 0),
    voided_by   TEXT NOT NULL CHECK (length(voided_by) > 0),
    occurred_at INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX sale_voids_by_sale ON sale_voids (sale_id);

-- attempts: append-only log of every delivery or lookup attempt.
CREATE TABLE attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id    INTEGER NOT NULL REFERENCES outbox(id),
    at          INTEGER NOT NULL,
    outcome     TEXT NOT NULL,
    http_status INTEGER,
    message     TEXT
) STRICT;
CREATE INDEX attempts_by_entry ON attempts (entry_id, id);
CREATE TRIGGER attempts_no_update BEFORE UPDATE ON attempts
BEGIN
    SELECT RAISE(ABORT, 'the attempt log is append-only');
END;
CREATE TRIGGER attempts_no_delete BEFORE DELETE ON attempts
BEGIN
    SELECT RAISE(ABORT, 'the attempt log is append-only');
END;

-- gates: per-licence delivery gate, persisted so a restart does not burst.
CREATE TABLE gates (
    licence              TEXT PRIMARY KEY NOT NULL REFERENCES licences(number),
    blocked_until        INTEGER,
    consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    reason               TEXT,
    updated_at           INTEGER NOT NULL
) STRICT;
