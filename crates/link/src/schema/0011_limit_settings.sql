-- The store's purchase-limit settings (issue #14): every register's managers' overrides of the
-- state's figures (kind 'override', key the JSON array [state, rule id]) and item mappings (kind
-- 'item_map', key [licence, item name]), removals included, so every register checks sales
-- against the same figures. One row per setting: the winner of every copy pushed, by
-- stateline_store::limits::shared's rule (the later changed_at, ms by the changing register's
-- clock; on a tie the removal, then the larger value, then the larger changed_by). value is the
-- setting's JSON text as the registers write it ('null' for a removal), kept as text so every
-- copy compares alike. Every change takes the next change_seq, so registers pull changes in order.
CREATE SEQUENCE limit_settings_change_seq;
CREATE TABLE limit_settings (
    kind         TEXT NOT NULL CHECK (kind IN ('override', 'item_map')),
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    removed      BOOLEAN NOT NULL,
    changed_at   BIGINT NOT NULL,
    changed_by   TEXT NOT NULL,
    register_id  TEXT NOT NULL,
    change_seq   BIGINT NOT NULL DEFAULT nextval('limit_settings_change_seq'),
    PRIMARY KEY (kind, key),
    CHECK (removed = (value = 'null'))
);

CREATE INDEX limit_settings_by_change ON limit_settings (change_seq);
