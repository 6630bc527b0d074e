-- What each record does to package quantities (milli-units by label, signed), as the register
-- holding it last recorded it: sent with every state, so a register that first hears of a
-- record late, or of an edit, still counts it right on its on-hand.
ALTER TABLE deliveries ADD COLUMN deltas JSONB NOT NULL DEFAULT '{}'::jsonb;
