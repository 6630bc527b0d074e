//! Stateline core: the local store (SQLite) that records every sale and inventory change first,
//! and the outbox from which the delivery engine reports them to Metrc.
//!
//! Guarantees of this crate as a whole: a record, its outbox entry and its package effects commit
//! in one durable transaction (WAL, `synchronous=FULL`) or not at all; one writer; quantities are
//! exact (milli-units); time and randomness are injected; nothing here holds or logs a secret.
//! The store is synchronous; async callers use `Database::call` (one blocking-thread helper).

pub mod adjustments;
pub mod app;
pub mod attempts;
pub mod audit;
pub mod backup;
pub mod clock;
pub mod compliance;
pub mod corrections;
pub mod crash;
pub mod db;
pub mod delivery;
mod effects;
mod error;
pub mod gates;
pub mod inventory;
pub mod keys;
pub mod licence_rules;
pub mod licences;
pub mod new_packages;
pub mod outbox;
pub mod packages;
mod quantity;
pub mod refresh;
pub mod sales;
pub mod secrets;
pub mod settings;
mod task;
mod time;
pub mod users;
pub mod validation;
pub mod voids;

pub use adjustments::{Adjustment, NewAdjustment};
pub use attempts::{Attempt, AttemptOutcome, NewAttempt};
pub use clock::{Clock, ManualClock, SystemClock};
pub use corrections::{NewSaleCorrection, SaleCorrection};
pub use db::{Database, OpenOptions, SCHEMA_VERSION};
pub use error::CoreError;
pub use gates::Gate;
pub use licence_rules::LicenceRules;
pub use licences::Licence;
pub use new_packages::{Ingredient, NewPackageOutput, NewPackageRecord, NewPackages};
pub use outbox::{
    Confirmation, EntryFilter, EntryHistory, EntryKind, EntryState, OutboxEntry, RejectedEdit,
    StateCount, Transition,
};
pub use packages::{AdjustmentReason, Item, MetrcPackage, Package};
pub use quantity::{Money, Quantity};
pub use sales::{NewSale, NewSaleLine, ReceiptRow, Recorded, RecordedSale, Sale};
pub use users::{Actor, Permission, Pin, Role, Session, User};
pub use voids::SaleVoid;
