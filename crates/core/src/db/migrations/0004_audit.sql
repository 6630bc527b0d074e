-- Stateline local store: issue #4/#6 (hash-chained audit log).
-- Append-only: never edit this file once released; add a later migration instead.

SELECT 1;
