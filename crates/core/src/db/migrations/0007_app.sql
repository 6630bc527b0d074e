-- Stateline local store: issue #5 (desktop app state).
-- Append-only: never edit this file once released; add a later migration instead.

SELECT 1;
