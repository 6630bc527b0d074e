//! Stateline's local store (SQLite): every sale and inventory change is recorded here first, with
//! the outbox entry the delivery engine later reports to Metrc.
//!
//! Guarantees of this crate as a whole: a record, its outbox entry and its package effects commit
//! in one durable transaction (WAL, `synchronous=FULL`) or not at all; one writer; quantities are
//! exact (milli-units); time and randomness are injected; domain rules that need only local data
//! (a licence's patient-number requirement, roles, PINs) are enforced here, so every caller gets
//! them; nothing here holds or logs a secret. The store is synchronous: no network, no tokio
//! (async callers go through `stateline-tasks`).
//!
//! - [`db`]: opening, pragmas (set and read back), migrations;
//! - [`records`]: sales, corrections, voids, adjustments, new packages and their package effects;
//! - [`outbox`]: what waits for Metrc, its states, attempts and per-licence gates;
//! - [`inventory`]: packages, licences and their rules, reporting deadlines, Metrc caches;
//! - [`people`]: users, roles, PINs and the audit trail;
//! - [`limits`]: purchase limits — items' counts, overrides, patient readings, each sale's check;
//! - [`link`]: what the register keeps for its store: others' records, states pushed;
//! - [`backup`], [`settings`], [`quantity`], [`clock`], [`time`].

pub mod backup;
pub mod clock;
pub mod db;
mod error;
pub mod inventory;
pub mod limits;
pub mod link;
pub mod outbox;
pub mod people;
mod quantity;
pub mod records;
pub mod settings;
pub mod time;

pub use clock::{Clock, ManualClock, SystemClock};
pub use db::{Database, OpenOptions, SCHEMA_VERSION};
pub use error::StoreError;
pub use inventory::deadlines::{DeadlineWarning, NewLicence, StateDeadline};
pub use inventory::licence_rules::{Ask, Asks, LicenceRules};
pub use inventory::licences::Licence;
pub use inventory::packages::{AdjustmentReason, Item, Measure, MetrcPackage, Package};
pub use limits::{Approval, SaleExceptions};
pub use link::peer_records::{PeerCount, PeerRecord, PeerStateChange};
pub use outbox::attempts::{Attempt, AttemptOutcome, NewAttempt};
pub use outbox::gates::Gate;
pub use outbox::{
    Confirmation, EntryFilter, EntryHistory, EntryKind, EntryState, OutboxEntry, RejectedEdit,
    StateCount, Transition,
};
pub use people::users::{Actor, Permission, Pin, Role, Session, User};
pub use quantity::{Money, Quantity};
pub use records::adjustments::{Adjustment, NewAdjustment};
pub use records::corrections::{NewSaleCorrection, SaleCorrection};
pub use records::new_packages::{Ingredient, NewPackageOutput, NewPackageRecord, NewPackages};
pub use records::sales::{NewSale, NewSaleLine, ReceiptRow, Recorded, RecordedSale, Sale};
pub use records::tickets::{PriorRecord, Ticket, TicketKind, TicketOutcome, TicketRecord};
pub use records::voids::SaleVoid;
