-- Stateline local store: issue #6 (deadlines, reconciliation, outage report).
-- Append-only: never edit this file once released; add a later migration instead.
-- Times are INTEGER milliseconds since the Unix epoch (UTC).

-- state_deadlines: default reporting deadline (hours) per US state, used when a licence is added
-- without an explicit deadline; a manager can change them. `assumed` = 1 until a manager has set
-- the value (the shipped defaults are assumptions, see compliance::deadlines).
CREATE TABLE state_deadlines (
    state      TEXT PRIMARY KEY NOT NULL
               CHECK (length(state) = 2 AND state = upper(state) AND state GLOB '[A-Z][A-Z]'),
    hours      INTEGER NOT NULL CHECK (hours BETWEEN 1 AND 8760),
    assumed    INTEGER NOT NULL CHECK (assumed IN (0, 1)),
    updated_at INTEGER,
    updated_by TEXT,
    CHECK ((assumed = 1) = (updated_by IS NULL))
) STRICT;
INSERT INTO state_deadlines (state, hours, assumed) VALUES
    ('AK', 24, 1), ('AL', 24, 1), ('AR', 24, 1), ('AZ', 24, 1), ('CA', 24, 1), ('CO', 24, 1),
    ('CT', 24, 1), ('DC', 24, 1), ('DE', 24, 1), ('FL', 24, 1), ('GA', 24, 1), ('HI', 24, 1),
    ('IA', 24, 1), ('ID', 24, 1), ('IL', 24, 1), ('IN', 24, 1), ('KS', 24, 1), ('KY', 24, 1),
    ('LA', 24, 1), ('MA', 24, 1), ('MD', 24, 1), ('ME', 24, 1), ('MI', 24, 1), ('MN', 24, 1),
    ('MO', 24, 1), ('MS', 24, 1), ('MT', 24, 1), ('NC', 24, 1), ('ND', 24, 1), ('NE', 24, 1),
    ('NH', 24, 1), ('NJ', 24, 1), ('NM', 24, 1), ('NV', 24, 1), ('NY', 24, 1), ('OH', 24, 1),
    ('OK', 24, 1), ('OR', 24, 1), ('PA', 24, 1), ('RI', 24, 1), ('SC', 24, 1), ('SD', 24, 1),
    ('TN', 24, 1), ('TX', 24, 1), ('UT', 24, 1), ('VA', 24, 1), ('VT', 24, 1), ('WA', 24, 1),
    ('WI', 24, 1), ('WV', 24, 1), ('WY', 24, 1);

-- reconciliation_runs: one row per comparison of a licence's local day with Metrc's receipts.
-- A daily run is made at most once per licence and day (partial unique index).
CREATE TABLE reconciliation_runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    licence        TEXT NOT NULL REFERENCES licences(number),
    day            TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    trigger        TEXT NOT NULL CHECK (trigger IN ('manual', 'daily')),
    started_at     INTEGER NOT NULL,
    finished_at    INTEGER NOT NULL CHECK (finished_at >= started_at),
    local_sales    INTEGER NOT NULL CHECK (local_sales >= 0),
    not_compared   INTEGER NOT NULL CHECK (not_compared >= 0),
    metrc_receipts INTEGER NOT NULL CHECK (metrc_receipts >= 0),
    differences    INTEGER NOT NULL CHECK (differences >= 0)
) STRICT;
CREATE INDEX reconciliation_runs_by_day ON reconciliation_runs (licence, day, id);
CREATE UNIQUE INDEX reconciliation_one_daily_run ON reconciliation_runs (licence, day)
    WHERE trigger = 'daily';

-- reconciliation_differences: what one run found, and what a manager did about it.
CREATE TABLE reconciliation_differences (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id           INTEGER NOT NULL REFERENCES reconciliation_runs(id),
    kind             TEXT NOT NULL CHECK (kind IN ('missing_in_metrc', 'unknown_external_number',
                         'duplicate_external_number', 'quantity_differs', 'amount_differs',
                         'void_missing_in_metrc', 'voided_only_in_metrc', 'withdrawn_but_in_metrc')),
    sale_id          INTEGER REFERENCES sales(id),
    client_id        TEXT,
    metrc_receipt_id INTEGER,
    label            TEXT,
    local_value      TEXT,
    metrc_value      TEXT,
    fix              TEXT NOT NULL CHECK (fix IN ('resend_sale', 'void_in_metrc', 'resend_correction',
                         'acknowledge')),
    fix_text         TEXT NOT NULL CHECK (length(fix_text) > 0),
    resolution       TEXT CHECK (resolution IS NULL OR resolution IN ('resend_sale', 'void_in_metrc',
                         'resend_correction', 'acknowledge')),
    resolved_by      TEXT,
    resolved_at      INTEGER,
    resolution_note  TEXT,
    CHECK ((resolution IS NULL) = (resolved_by IS NULL)),
    CHECK ((resolution IS NULL) = (resolved_at IS NULL))
) STRICT;
CREATE INDEX reconciliation_differences_by_run ON reconciliation_differences (run_id, id);

-- reconciliation_resends: a sale Metrc lost, re-sent by a manager as a copy under a new
-- ExternalReceiptNumber (the original keeps its confirmed entry; the copy carries no stock effect).
CREATE TABLE reconciliation_resends (
    original_sale_id INTEGER PRIMARY KEY NOT NULL REFERENCES sales(id),
    resend_sale_id   INTEGER NOT NULL UNIQUE REFERENCES sales(id),
    difference_id    INTEGER NOT NULL REFERENCES reconciliation_differences(id),
    CHECK (original_sale_id <> resend_sale_id)
) STRICT;
