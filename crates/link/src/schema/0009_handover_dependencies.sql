-- Every kind of record can be handed over (issue #13), not only sales, and under the facility key
-- too. A void or a correction changes a sale already in Metrc: its maker hands it over only once
-- that sale is confirmed and names it here, so the holder can build the request without the
-- maker's database.
--   depends_on_seq       the local_seq (same register) of the sale a void or correction changes
--   depends_on_metrc_id  that sale's Metrc receipt id, as its maker knew it at the handover
--   via_facility         the maker sends every record under the facility key (its key mode): the
--                        record waits for that key, not its user's, and goes only under it
ALTER TABLE deliveries ADD COLUMN depends_on_seq BIGINT;
ALTER TABLE deliveries ADD COLUMN depends_on_metrc_id BIGINT;
ALTER TABLE deliveries ADD COLUMN via_facility BOOLEAN NOT NULL DEFAULT false;
