-- Stateline local store: records handed over to the register that holds their user's key
-- (issue #13: the work travels to the key). Append-only: never edit this file once released.

-- A record of this register that another register of the store delivers. It stays
-- `waiting_for_key` here until the outcome comes back through the store; while it is handed over
-- this register can neither release it to its own engine nor void it.
CREATE TABLE handovers (
    entry_id   INTEGER PRIMARY KEY REFERENCES outbox (id),
    handed_at  INTEGER NOT NULL
) STRICT;

-- The legal transitions gain one: a handed-over record takes the outcome another register got
-- (`confirmed` or `rejected`); and it may not go back to `pending` or be voided while handed over.
DROP TRIGGER outbox_legal_transition;
CREATE TRIGGER outbox_legal_transition BEFORE UPDATE OF state ON outbox
WHEN OLD.state <> NEW.state AND NOT (
       (OLD.state = 'pending'         AND NEW.state IN ('sending', 'waiting_for_key', 'voided'))
    OR (OLD.state = 'sending'         AND NEW.state IN ('confirmed', 'rejected', 'ambiguous', 'pending', 'waiting_for_key'))
    OR (OLD.state = 'ambiguous'       AND NEW.state IN ('confirmed', 'pending'))
    OR (OLD.state = 'rejected'        AND NEW.state IN ('pending', 'voided'))
    OR (OLD.state = 'waiting_for_key' AND NEW.state IN ('pending', 'voided')
        AND NOT EXISTS (SELECT 1 FROM handovers h WHERE h.entry_id = OLD.id))
    OR (OLD.state = 'waiting_for_key' AND NEW.state IN ('confirmed', 'rejected')
        AND EXISTS (SELECT 1 FROM handovers h WHERE h.entry_id = OLD.id))
)
BEGIN
    SELECT RAISE(ABORT, 'illegal outbox state transition');
END;
