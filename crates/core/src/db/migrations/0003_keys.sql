-- Stateline local store: issue #4 (key metadata, key modes).
-- Append-only: never edit this file once released; add a later migration instead.

SELECT 1;
