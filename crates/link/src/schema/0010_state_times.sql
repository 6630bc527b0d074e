-- When each record entered its delivery state, by its register's clock (for `confirmed`: when
-- Metrc accepted it), so every register's outage report can tell the other registers' records
-- delivered late from those delivered promptly. NULL for states pushed before this column.
ALTER TABLE deliveries ADD COLUMN state_changed_at TIMESTAMPTZ;
