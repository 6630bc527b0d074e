-- Stateline local store, schema version 13 (issue #13): when another register's record last
-- changed state, by that register's clock (for a confirmed record: when Metrc accepted it), so
-- the store-wide outage report can tell a record delivered late from one delivered promptly.
-- NULL: not told yet, or told by a store server that did not carry the time.
ALTER TABLE peer_records ADD COLUMN state_changed_at INTEGER;
