//! The domain enums as they cross the IPC boundary: each mirrors one enum of a lower crate
//! variant for variant, with the same snake_case names on the wire, and converts both ways.
//!
//! Guarantees: the lower crates know nothing of ts-rs or the UI; a variant added below without
//! its mirror here (or the other way round) fails to compile, because both conversions match
//! exhaustively; the TypeScript bindings keep the names and documentation they had.

use serde::{Deserialize, Serialize};
use stateline_compliance::DifferenceKind as DomainDifferenceKind;
use stateline_compliance::FixCode as DomainFixCode;
use stateline_delivery::Health as DomainHealth;
use stateline_keys::KeyMode as DomainKeyMode;
use stateline_keys::validation::AreaOutcome as DomainAreaOutcome;
use stateline_store::Ask as DomainAsk;
use stateline_store::EntryKind as DomainEntryKind;
use stateline_store::EntryState as DomainEntryState;
use stateline_store::Permission as DomainPermission;
use stateline_store::Role as DomainRole;
use stateline_store::limits::LimitBasis as DomainLimitBasis;
use ts_rs::TS;

/// One mirrored enum: `wire_enum!(doc, Name = DomainName { Variant, ... })`.
macro_rules! wire_enum {
    ($doc:literal, $name:ident = $domain:ident { $($variant:ident),+ $(,)? }) => {
        #[doc = $doc]
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl From<$domain> for $name {
            fn from(value: $domain) -> Self {
                match value {
                    $($domain::$variant => $name::$variant),+
                }
            }
        }

        impl From<$name> for $domain {
            fn from(value: $name) -> Self {
                match value {
                    $($name::$variant => $domain::$variant),+
                }
            }
        }
    };
}

wire_enum!(
    " Where an entry is in its delivery.",
    EntryState = DomainEntryState {
        Pending,
        Sending,
        Confirmed,
        Ambiguous,
        Rejected,
        WaitingForKey,
        Voided,
    }
);

wire_enum!(
    " Whether a sale asks for a field: not of this customer, taken when given, or required.",
    Ask = DomainAsk {
        No,
        Optional,
        Required,
    }
);

wire_enum!(
    " What a record is.",
    EntryKind = DomainEntryKind {
        Sale,
        Adjustment,
        NewPackage,
        SaleCorrection,
        SaleVoid,
    }
);

wire_enum!(
    " What a user is on this register.",
    Role = DomainRole { Budtender, Manager }
);

wire_enum!(
    " Something only some roles may do.",
    Permission = DomainPermission {
        Sell,
        SetOwnKey,
        Adjust,
        MergeOrSplit,
        VoidOrCorrectSale,
        ResolveRejected,
        SetOtherKeys,
        ValidateAnyKey,
        ChooseKeyMode,
        SendUnderFacilityKey,
        ManageUsers,
        ChangeSettings,
        ViewReports,
        ReconcileWithMetrc,
        RestoreBackup,
        ManageLimits,
        ApproveSaleExceptions,
    }
);

wire_enum!(
    " Which key records go under.",
    KeyMode = DomainKeyMode {
        Individual,
        Facility,
    }
);

wire_enum!(
    " What one area check found.",
    AreaOutcome = DomainAreaOutcome {
        Allowed,
        NotAllowed,
        NotApplicable,
        NotVerifiable,
        CouldNotCheck,
    }
);

wire_enum!(
    " Why the register is, or is not, in step with Metrc.",
    Health = DomainHealth {
        InStep,
        RateLimited,
        MetrcUnavailable,
        Offline,
        KeyProblem,
    }
);

wire_enum!(
    " What a difference is.",
    DifferenceKind = DomainDifferenceKind {
        MissingInMetrc,
        UnknownExternalNumber,
        DuplicateExternalNumber,
        QuantityDiffers,
        AmountDiffers,
        VoidMissingInMetrc,
        VoidedOnlyInMetrc,
        WithdrawnButInMetrc,
    }
);

wire_enum!(
    " What a manager may do about a difference.",
    FixCode = DomainFixCode {
        ResendSale,
        VoidInMetrc,
        ResendCorrection,
        Acknowledge,
    }
);

wire_enum!(
    " On what a sale's purchase-limit check rested: `no_state` and `no_rules` (nothing checked), \
     `rules` (the state's rules, local data), `patient_reading` (and Metrc's reading of the \
     patient's allotment), `adult_use_without_reading`, `manager_override` (a medical sale without \
     a reading, as the state allows).",
    LimitBasis = DomainLimitBasis {
        NoState,
        NoRules,
        Rules,
        PatientReading,
        AdultUseWithoutReading,
        ManagerOverride,
    }
);
