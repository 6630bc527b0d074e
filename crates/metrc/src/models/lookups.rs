//! Small reference lists: units of measure (`/unitsofmeasure/v2/active`) and the key-validation
//! areas probed by `MetrcClient::probe`.

use serde::{Deserialize, Serialize};

/// A unit of measure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UnitOfMeasure {
    /// `CountBased`, `WeightBased` or `VolumeBased`.
    pub quantity_type: String,
    /// Name used in requests, e.g. `Grams`.
    pub name: String,
    /// Abbreviation, e.g. `g`.
    pub abbreviation: String,
}

/// An area of the key-validation matrix; each is proven by one cheap GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Area {
    /// `GET /sales/v2/receipts/active`.
    Sales,
    /// `GET /packages/v2/active`.
    Packages,
    /// `GET /packages/v2/adjust/reasons` (readable by all; writing adjustments needs Manage
    /// Packages Inventory, which no GET proves).
    PackageAdjustReasons,
    /// `GET /transfers/v2/incoming`.
    Transfers,
    /// `GET /items/v2/active`.
    Items,
    /// `GET /employees/v2`.
    Employees,
    /// `GET /plants/v2/vegetative` (not applicable at a dispensary).
    Plants,
    /// `GET /harvests/v2/active` (not applicable at a dispensary).
    Harvests,
}

impl Area {
    /// Every area, in display order.
    pub const ALL: [Area; 8] = [
        Area::Sales,
        Area::Packages,
        Area::PackageAdjustReasons,
        Area::Transfers,
        Area::Items,
        Area::Employees,
        Area::Plants,
        Area::Harvests,
    ];

    /// The path segments of the probe GET.
    pub fn path(self) -> &'static [&'static str] {
        match self {
            Area::Sales => &["sales", "v2", "receipts", "active"],
            Area::Packages => &["packages", "v2", "active"],
            Area::PackageAdjustReasons => &["packages", "v2", "adjust", "reasons"],
            Area::Transfers => &["transfers", "v2", "incoming"],
            Area::Items => &["items", "v2", "active"],
            Area::Employees => &["employees", "v2"],
            Area::Plants => &["plants", "v2", "vegetative"],
            Area::Harvests => &["harvests", "v2", "active"],
        }
    }

    /// Whether the probe GET takes a `lastModified` window (the others take `pageSize=1` only).
    pub fn takes_window(self) -> bool {
        !matches!(self, Area::PackageAdjustReasons | Area::Employees)
    }
}
