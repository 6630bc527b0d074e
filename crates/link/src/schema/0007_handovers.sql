-- The work travels to the key (issue #13): a register hands a record over when another register
-- holds its user's key; a register that holds the key delivers it under a lease. See
-- stateline_link::handover and CONTRIBUTING.md, "Exactly once across registers".
--   handed_over       the maker handed the record over; from then on the maker's own state
--                     pushes no longer change `state` (except to take back a refused record)
--   lease_holder      the register allowed to POST it now (until lease_expires_at, by this
--                     server's clock), with lease_fence from lease_fence_seq: an outcome is
--                     written only under the fence it was leased with
--   delivered_by      the register whose outcome `state` is (confirmed or rejected)
CREATE SEQUENCE lease_fence_seq;
ALTER TABLE deliveries ADD COLUMN handed_over BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE deliveries ADD COLUMN lease_holder TEXT;
ALTER TABLE deliveries ADD COLUMN lease_fence BIGINT;
ALTER TABLE deliveries ADD COLUMN lease_expires_at TIMESTAMPTZ;
ALTER TABLE deliveries ADD COLUMN delivered_by TEXT;
ALTER TABLE deliveries ADD COLUMN metrc_id BIGINT;
CREATE INDEX deliveries_handed_over ON deliveries (state) WHERE handed_over;
