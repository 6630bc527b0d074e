-- Stateline local store: issue #6 (incremental refresh, manifests, backups).
-- Append-only: never edit this file once released; add a later migration instead.
-- Times are INTEGER milliseconds since the Unix epoch (UTC); quantities INTEGER milli-units.

-- inventory_watermarks: per licence and data set, the end of the last lastModified window whose
-- result was applied; the next refresh asks only for what changed since (see inventory::watermarks).
CREATE TABLE inventory_watermarks (
    licence    TEXT NOT NULL REFERENCES licences(number),
    dataset    TEXT NOT NULL CHECK (dataset IN ('packages', 'manifests')),
    window_end INTEGER NOT NULL,
    full_at    INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (licence, dataset)
) STRICT;

-- inventory_finished: packages Metrc no longer lists as active (finished, or gone from a full
-- list) that stay in `packages` only because unconfirmed local records still use them; a later
-- refresh removes them once nothing local refers to them.
CREATE TABLE inventory_finished (
    label         TEXT PRIMARY KEY NOT NULL CHECK (length(label) > 0),
    licence       TEXT NOT NULL REFERENCES licences(number),
    finished_date TEXT,
    seen_at       INTEGER NOT NULL
) STRICT;

-- manifests: incoming transfers of a licence as last read from Metrc (read-only in Metrc too).
CREATE TABLE manifests (
    licence                TEXT NOT NULL REFERENCES licences(number),
    transfer_id            INTEGER NOT NULL,
    manifest_number        TEXT NOT NULL,
    shipper_licence        TEXT,
    shipper_name           TEXT,
    transporter_name       TEXT,
    driver_name            TEXT,
    package_count          INTEGER CHECK (package_count IS NULL OR package_count >= 0),
    received_package_count INTEGER CHECK (received_package_count IS NULL OR received_package_count >= 0),
    voided                 INTEGER NOT NULL CHECK (voided IN (0, 1)),
    created                TEXT,
    estimated_arrival      TEXT,
    received               TEXT,
    last_modified          INTEGER,
    fetched_at             INTEGER NOT NULL,
    PRIMARY KEY (licence, transfer_id)
) STRICT;
CREATE INDEX manifests_by_modified ON manifests (licence, last_modified);

-- manifest_packages: the packages on each delivery of a cached manifest.
CREATE TABLE manifest_packages (
    licence           TEXT NOT NULL,
    transfer_id       INTEGER NOT NULL,
    delivery_id       INTEGER NOT NULL,
    label             TEXT NOT NULL CHECK (length(label) > 0),
    item_name         TEXT,
    item_category     TEXT,
    shipment_state    TEXT,
    shipped_quantity  INTEGER,
    shipped_unit      TEXT,
    received_quantity INTEGER,
    received_unit     TEXT,
    PRIMARY KEY (licence, transfer_id, delivery_id, label),
    FOREIGN KEY (licence, transfer_id) REFERENCES manifests (licence, transfer_id)
) STRICT;
