-- Stateline local store: the outage report reads records by when they were made, in every state
-- (confirmed ones too), so it needs an index on occurred_at that the open-records index
-- (outbox_open_by_occurred) cannot give it.
-- Append-only: never edit this file once released; add a later migration instead.

CREATE INDEX outbox_by_occurred ON outbox (occurred_at, licence);
