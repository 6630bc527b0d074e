
-- Stateline local store, schema version 17: who a licence may sell to, and how a patient was
-- identified (issue #14). Append-only: never edit this file once released; add a later migration
-- instead.

-- A sale's identification method (Metrc's `IdentificationMethod`), as the budtender entered it.
ALTER TABLE sales ADD COLUMN identification_method TEXT;

-- Metrc's `SalesRequireExternalPatientIdentificationMethod`: a sale to an external patient needs
-- the identification method.
ALTER TABLE app_licence_rules ADD COLUMN requires_identification_method INTEGER NOT NULL DEFAULT 0
    CHECK (requires_identification_method IN (0, 1));

-- Metrc's `CanSellToConsumers`. The numbers a licence requires are asked of its sales to patients
-- and caregivers only; before this version they were asked of every sale, so a licence that
-- required a patient number is kept as one that does not sell to consumers.
ALTER TABLE app_licence_rules ADD COLUMN sells_to_consumers INTEGER NOT NULL DEFAULT 1
    CHECK (sells_to_consumers IN (0, 1));
UPDATE app_licence_rules SET sells_to_consumers = 0 WHERE requires_patient_number = 1;
