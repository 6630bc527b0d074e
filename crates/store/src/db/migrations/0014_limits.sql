-- Stateline local store, schema version 14 (issue #14): purchase limits.

-- Metrc's facts about each item, as `GET /items/v2/active` gives them: what the limits count a
-- unit of its packages as. NULL: Metrc gave none (or the item was cached before this version).
ALTER TABLE items ADD COLUMN category_type TEXT;
ALTER TABLE items ADD COLUMN unit_weight REAL;
ALTER TABLE items ADD COLUMN unit_weight_unit TEXT;
ALTER TABLE items ADD COLUMN unit_thc_content REAL;
ALTER TABLE items ADD COLUMN unit_thc_content_unit TEXT;

-- A manager's mapping of an item Metrc's facts cannot count (or count wrongly): what one unit of
-- its packages counts as, per limit category. Replaces the facts for that item at that licence.
CREATE TABLE item_limit_maps (
    licence          TEXT NOT NULL REFERENCES licences (number),
    item_name        TEXT NOT NULL,
    category         TEXT NOT NULL,
    amount_per_unit  REAL NOT NULL CHECK (amount_per_unit > 0),
    reason           TEXT NOT NULL CHECK (length(reason) > 0),
    mapped_by        TEXT NOT NULL,
    mapped_at        INTEGER NOT NULL,
    PRIMARY KEY (licence, item_name, category)
) STRICT;

-- A store's override of one figure of its state's rules file (a rule changed before an update
-- shipped), by rule id; the file's version it was set against says when an update supersedes it.
CREATE TABLE limit_overrides (
    state          TEXT NOT NULL,
    rule_id        TEXT NOT NULL,
    limit_value    REAL NOT NULL CHECK (limit_value > 0),
    file_version   INTEGER NOT NULL,
    reason         TEXT NOT NULL CHECK (length(reason) > 0),
    set_by         TEXT NOT NULL,
    set_at         INTEGER NOT NULL,
    PRIMARY KEY (state, rule_id)
) STRICT;

-- Readings of a patient's allotment from Metrc (`GET /patients/v2/statuses/{number}`), kept with
-- their time: one row per reading, the registrations as Metrc listed them (JSON array).
CREATE TABLE patient_readings (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    licence         TEXT NOT NULL,
    patient_number  TEXT NOT NULL,
    read_at         INTEGER NOT NULL,
    read_by         TEXT NOT NULL,
    registrations   TEXT NOT NULL
) STRICT;
CREATE INDEX patient_readings_latest ON patient_readings (licence, patient_number, read_at);

-- Why each sale was allowed: the limit check made inside its transaction (JSON: what the sale
-- counted as, each rule's total and limit, the reading and approvals used).
CREATE TABLE sale_limit_checks (
    sale_id         INTEGER PRIMARY KEY REFERENCES sales (id),
    patient_number  TEXT,
    counted         TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    checked_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX sale_limit_checks_by_patient ON sale_limit_checks (patient_number)
    WHERE patient_number IS NOT NULL;
