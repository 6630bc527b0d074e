-- Stateline local store, schema version 15: purchase-limit settings shared across a store's
-- registers (issue #14 with issue #13). Append-only: never edit this file once released; add a
-- later migration instead.

-- A removed override or item mapping, kept so the removal travels to the store's other registers
-- and wins there over an older copy of the setting (stateline_store::limits::shared has the rule).
-- kind 'override': key is the JSON array [state, rule id]; kind 'item_map': [licence, item name].
-- Clearing writes the row in its own transaction; setting the same figure or item again deletes it.
CREATE TABLE limit_removals (
    kind        TEXT NOT NULL CHECK (kind IN ('override', 'item_map')),
    key         TEXT NOT NULL,
    removed_at  INTEGER NOT NULL,
    removed_by  TEXT NOT NULL,
    PRIMARY KEY (kind, key)
) STRICT;

-- A mapping pulled from another register may name a licence this register has not added (yet);
-- it is kept for when it is, so item_limit_maps is rebuilt without its reference to licences (a
-- manager's mapping made here still needs the licence: Database::map_item checks it).
CREATE TABLE item_limit_maps_v15 (
    licence          TEXT NOT NULL,
    item_name        TEXT NOT NULL,
    category         TEXT NOT NULL,
    amount_per_unit  REAL NOT NULL CHECK (amount_per_unit > 0),
    reason           TEXT NOT NULL CHECK (length(reason) > 0),
    mapped_by        TEXT NOT NULL,
    mapped_at        INTEGER NOT NULL,
    PRIMARY KEY (licence, item_name, category)
) STRICT;
INSERT INTO item_limit_maps_v15 (licence, item_name, category, amount_per_unit, reason, mapped_by,
        mapped_at)
    SELECT licence, item_name, category, amount_per_unit, reason, mapped_by, mapped_at
    FROM item_limit_maps;
DROP TABLE item_limit_maps;
ALTER TABLE item_limit_maps_v15 RENAME TO item_limit_maps;
