-- Stateline local store: issue #5 (desktop app state).
-- Append-only: never edit this file once released; add a later migration instead.

-- app_licence_rules: what a bound licence's type demands of a sale (from GET /facilities/v2 at
-- binding time). One row per bound licence.
CREATE TABLE app_licence_rules (
    licence                   TEXT PRIMARY KEY REFERENCES licences (number),
    requires_patient_number   INTEGER NOT NULL CHECK (requires_patient_number IN (0, 1)),
    requires_caregiver_number INTEGER NOT NULL CHECK (requires_caregiver_number IN (0, 1))
) STRICT;

-- app_customer_types: Metrc's customer types (per state, so one list per register), cached so the
-- sell screen works offline. `position` keeps Metrc's order.
CREATE TABLE app_customer_types (
    name     TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 100),
    position INTEGER NOT NULL CHECK (position >= 0)
) STRICT;

-- app_backlog_samples: records waiting for Metrc over time, for the Sync screen's chart. One row
-- per minute (`at` is the minute, ms since the epoch) holding the most that waited in it; old
-- samples are pruned.
CREATE TABLE app_backlog_samples (
    at      INTEGER PRIMARY KEY,
    waiting INTEGER NOT NULL CHECK (waiting >= 0)
) STRICT;
