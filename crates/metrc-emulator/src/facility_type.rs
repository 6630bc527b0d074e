//! The `FacilityType` capability flags exactly as Metrc names them in `GET /facilities/v2`.
//!
//! Guarantees: [`facility_type`] always yields every flag Metrc documents (unset ones `false`, the
//! numeric restrictions `null`), so emulated facilities have Metrc's full shape.

use serde_json::{Map, Value};

/// Boolean flags of `FacilityType`, in Metrc's order.
pub const BOOL_FLAGS: &[&str] = &[
    "IsMedical",
    "IsRetail",
    "IsHemp",
    "CanGrowPlants",
    "CanCreateOpeningBalancePlantBatches",
    "CanClonePlantBatches",
    "CanTagPlantBatches",
    "CanAssignLocationsToPlantBatches",
    "PlantsRequirePatientAffiliation",
    "PlantBatchesCanContainMotherPlants",
    "CanUpdatePlantStrains",
    "CanTrackVegetativePlants",
    "CanCreateImmaturePlantPackagesFromPlants",
    "CanPackageVegetativePlants",
    "CanPackageWaste",
    "CanReportHarvestSchedules",
    "CanSubmitHarvestsForTesting",
    "CanRequireHarvestSampleLabTestBatches",
    "CanReportStrainProperties",
    "CanCreateOpeningBalancePackages",
    "CanCreateDerivedPackages",
    "CanAssignLocationsToPackages",
    "CanUpdateLocationsOnPackages",
    "PackagesRequirePatientAffiliation",
    "CanCreateTradeSamplePackages",
    "CanDonatePackages",
    "CanSubmitPackagesForTesting",
    "CanCreateProcessValidationPackages",
    "CanRequirePackageSampleLabTestBatches",
    "CanReturnPackageQuantity",
    "CanRequestProductRemediation",
    "CanRemediatePackagesWithFailedLabResults",
    "CanRequestProductDecontamination",
    "CanDecontaminatePackagesWithFailedLabResults",
    "CanInfuseProducts",
    "CanRecordProcessingJobs",
    "CanRecordProductForDestruction",
    "CanDestroyProduct",
    "CanTestPackages",
    "TestsRequireLabSample",
    "CanTransferFromExternalFacilities",
    "CanSellToConsumers",
    "CanSellToPatients",
    "CanSellToExternalPatients",
    "CanSellToCaregivers",
    "RetailSalesToNonResidentConsumer",
    "AdvancedSales",
    "SalesRequirePatientNumber",
    "SalesRequireExternalPatientNumber",
    "SalesRequireExternalPatientIdentificationMethod",
    "SalesRequireCaregiverNumber",
    "SalesRequireCaregiverPatientNumber",
    "CanDeliverSalesToConsumers",
    "DeliverySalesToNonResidentConsumer",
    "SalesDeliveryAllowPlannedRoute",
    "SalesDeliveryAllowAddress",
    "SalesDeliveryAllowCity",
    "SalesDeliveryAllowState",
    "SalesDeliveryAllowCounty",
    "SalesDeliveryAllowZip",
    "SalesDeliveryRequireZone",
    "EnableExternalIdentifier",
    "SalesDeliveryRequireConsumerId",
    "CanDeliverSalesToPatients",
    "SalesDeliveryRequirePatientNumber",
    "SalesDeliveryRequireRecipientName",
    "IsSalesDeliveryHub",
    "CanHaveMemberPatients",
    "CanReportPatientCheckIns",
    "CanSpecifyPatientSalesLimitExemption",
    "CanReportPatientsAdverseResponses",
    "RetailerDelivery",
    "RetailerDeliveryAllowTradeSamples",
    "RetailerDeliveryAllowDonations",
    "RetailerDeliveryRequirePrice",
    "RetailerDeliveryAllowPartialPackages",
    "CanCreatePartialPackages",
    "CanAdjustSourcePackagesWithPartials",
    "CanReportOperationalExceptions",
    "CanReportAdulteration",
    "CanDownloadProductLabel",
    "CanReceiveAssociateProductLabel",
    "CanUseComplianceLabel",
    "CanTrackFinishedGoods",
    "CanOnlyReceiveFinishedGoods",
    "CanViewSourcePackages",
    "EnableSublocations",
    "TaxExemptReportingFeesFacilityType",
    "TaxExemptTagOrdersFacilityType",
    "CanAccessCatalog",
    "CanTrackMotherPlantsAsGrowthPhase",
    "CanManageItemBrands",
];

/// Numeric (nullable) restrictions of `FacilityType`.
pub const NULLABLE_FIELDS: &[&str] = &[
    "RestrictHarvestPlantRestoreTimeHours",
    "TotalMemberPatientsAllowed",
    "RestrictWholesalePriceEditDays",
    "RestrictPlantBatchAdjustmentTimeHours",
];

/// A full `FacilityType` object with the given flags set to `true` and every other flag `false`.
pub fn facility_type(enabled: &[&str]) -> Map<String, Value> {
    let mut map = Map::new();
    for name in NULLABLE_FIELDS {
        map.insert((*name).to_owned(), Value::Null);
    }
    for name in BOOL_FLAGS {
        map.insert((*name).to_owned(), Value::Bool(enabled.contains(name)));
    }
    map
}

/// Flags of a retail (adult-use) dispensary: sells to consumers, repackages, receives transfers.
pub const DISPENSARY_FLAGS: &[&str] = &[
    "IsRetail",
    "CanSellToConsumers",
    "CanCreateDerivedPackages",
    "CanTransferFromExternalFacilities",
    "CanCreatePartialPackages",
];

/// Flags of a cultivation facility: grows plants, cannot sell to consumers.
pub const CULTIVATION_FLAGS: &[&str] = &[
    "CanGrowPlants",
    "CanTrackVegetativePlants",
    "CanReportHarvestSchedules",
    "CanCreateDerivedPackages",
    "CanPackageWaste",
];

/// Whether a flag is set in a `FacilityType` map (missing or non-boolean counts as `false`).
pub fn has(map: &Map<String, Value>, flag: &str) -> bool {
    map.get(flag).and_then(Value::as_bool).unwrap_or(false)
}
