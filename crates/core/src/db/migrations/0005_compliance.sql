-- Stateline local store: issue #6 (deadlines, reconciliation, outage report).
-- Append-only: never edit this file once released; add a later migration instead.

SELECT 1;
