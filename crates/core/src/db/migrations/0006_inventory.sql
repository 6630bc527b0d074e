-- Stateline local store: issue #6 (incremental refresh, manifests, backups).
-- Append-only: never edit this file once released; add a later migration instead.

SELECT 1;
