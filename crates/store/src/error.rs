//! The one error type of `stateline-store`.
//!
//! Guarantees: every variant has a stable machine-readable [`StoreError::code`] that callers (the UI,
//! the CLI) branch on; messages say what to do next; no message ever contains a key, a PIN or any
//! other secret (the store never holds one). Higher crates wrap
//! [`StoreError`] transparently, so its codes reach the UI unchanged.

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

use crate::outbox::EntryState;

/// Everything that can go wrong in the local store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A bug or a broken invariant inside Stateline.
    #[error("internal error: {0}; please report it")]
    Internal(String),
    /// SQLite reported an error that is not one of the cases below.
    #[error(
        "the local database reported an error ({0}); retry, and if it persists run `stateline doctor`"
    )]
    Storage(#[source] rusqlite::Error),
    /// The disk holding the data folder is full (SQLITE_FULL, ENOSPC): the change was rolled back
    /// whole, so nothing of it was written and everything saved before is intact.
    #[error(
        "the disk holding the register's data{} is full: this was not recorded (nothing was \
         half-written; everything recorded before is safe); free space on that disk, then try again",
        in_folder(.folder.as_deref())
    )]
    DiskFull {
        /// The data folder, when known where the error surfaced.
        folder: Option<PathBuf>,
    },
    /// The data folder (or the database file in it) cannot be written: a read-only disk or mount,
    /// or missing permissions (SQLITE_READONLY, EROFS, EACCES). Nothing was written.
    #[error(
        "the register's data folder{} cannot be written (the disk is read-only or the folder's \
         permissions forbid it): nothing was recorded and everything recorded before is safe; make \
         the folder writable again (check the disk, then restart the computer if it stays \
         read-only), then try again",
        in_folder(.folder.as_deref())
    )]
    DataFolderReadOnly {
        /// The data folder, when known where the error surfaced.
        folder: Option<PathBuf>,
    },
    /// A file-system operation on the database files failed.
    #[error("could not {action} {path}: {source}; check the disk and the folder permissions")]
    Io {
        /// What we were doing.
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A connection setting could not be applied (e.g. WAL on a file system that does not support it).
    #[error(
        "the database at {path} cannot run safely: PRAGMA {pragma} is {found:?} but must be {expected:?}; \
         keep the data folder on a local disk that supports SQLite WAL mode"
    )]
    PragmaMismatch {
        /// The database path.
        path: PathBuf,
        /// The pragma name.
        pragma: &'static str,
        /// The value we need.
        expected: String,
        /// The value SQLite reported back.
        found: String,
    },
    /// The database file is damaged; it was moved aside and kept.
    #[error(
        "the database file was damaged ({detail}); it was kept at {kept_at} and nothing was recreated; \
         restore a backup or contact support with that file"
    )]
    DatabaseDamaged {
        /// Where the damaged file (and its -wal/-shm) now are.
        kept_at: PathBuf,
        /// What the integrity check said.
        detail: String,
    },
    /// `integrity_check` on a running database found problems.
    #[error("the database failed its integrity check ({detail}); stop the app and contact support")]
    IntegrityCheckFailed {
        /// What SQLite reported.
        detail: String,
    },
    /// The database schema is newer than this build.
    #[error(
        "this database was written by a newer Stateline (schema version {found}, this build knows up to \
         {known}); update the app"
    )]
    DatabaseTooNew {
        /// Version found in the file.
        found: i64,
        /// Newest version this build knows.
        known: i64,
    },
    /// Applying a migration failed; the database was left at the previous version.
    #[error(
        "upgrading the database to schema version {version} failed ({source}); nothing was changed, contact support"
    )]
    MigrationFailed {
        /// The version that failed.
        version: i64,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// A backup file cannot be restored (damaged, not a Stateline database, or from a newer app).
    #[error(
        "the backup {path} cannot be restored: {detail}; nothing was changed, choose another backup"
    )]
    BackupInvalid {
        /// The backup file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// A restore would replace records that Metrc has not accepted yet.
    #[error(
        "the current database holds {count} records not yet in Metrc (pending, sending, ambiguous, rejected or waiting for a key); deliver them first, or confirm that restoring may discard them; nothing was changed"
    )]
    UnsentRecords {
        /// How many records.
        count: u64,
    },
    /// The database is open elsewhere, so it cannot be replaced.
    #[error(
        "the database {path} is in use by another program (the app or a sync); close it and try again; nothing was changed"
    )]
    DatabaseInUse {
        /// The database file.
        path: PathBuf,
    },
    /// A licence is not configured on this register.
    #[error(
        "licence {0} is not set up on this register; add it in Settings (or refresh licences from Metrc)"
    )]
    UnknownLicence(String),
    /// An IANA time zone name was not recognised.
    #[error("{zone:?} is not a known time zone; use an IANA name such as \"America/Denver\"")]
    InvalidTimeZone {
        /// The rejected name.
        zone: String,
    },
    /// A package label is not in the local inventory.
    #[error(
        "package {label} is not in the local inventory; check the label or refresh packages from Metrc"
    )]
    UnknownPackage {
        /// The label.
        label: String,
    },
    /// The package belongs to another licence.
    #[error(
        "package {label} belongs to licence {package_licence}, not {licence}; pick a package of this licence"
    )]
    PackageWrongLicence {
        /// The label.
        label: String,
        /// The licence of the package.
        package_licence: String,
        /// The licence of the record.
        licence: String,
    },
    /// The unit of measure does not match the package.
    #[error(
        "package {label} is counted in {expected}, not {given}; enter the quantity in {expected}"
    )]
    UnitMismatch {
        /// The label.
        label: String,
        /// The package's unit.
        expected: String,
        /// The unit given.
        given: String,
    },
    /// A quantity is zero, negative where it must be positive, or otherwise invalid.
    #[error("invalid quantity for {what}: {detail}")]
    InvalidQuantity {
        /// What the quantity was for (a label, a field).
        what: String,
        /// Why it is invalid and what to enter instead.
        detail: String,
    },
    /// More is requested than is on hand locally.
    #[error(
        "only {on_hand} {unit} of {label} on hand; {requested} {unit} requested — reduce the quantity or refresh packages from Metrc"
    )]
    InsufficientQuantity {
        /// The label.
        label: String,
        /// Local on-hand quantity.
        on_hand: crate::Quantity,
        /// Requested quantity.
        requested: crate::Quantity,
        /// Unit of measure.
        unit: String,
    },
    /// A new package tag is already in use.
    #[error("tag {tag} is already in use; scan an unused tag")]
    DuplicateTag {
        /// The tag.
        tag: String,
    },
    /// The adjustment reason needs a note.
    #[error("the reason {reason:?} requires a note; enter a note explaining the adjustment")]
    NoteRequired {
        /// The reason.
        reason: String,
    },
    /// The adjustment reason is not in the cached list for the licence.
    #[error(
        "{reason:?} is not an adjustment reason for licence {licence}; pick one from the list (refresh it from Metrc if it is missing)"
    )]
    UnknownAdjustmentReason {
        /// The reason.
        reason: String,
        /// The licence.
        licence: String,
    },
    /// Some other input is missing or malformed.
    #[error("invalid {field}: {detail}")]
    InvalidInput {
        /// The field.
        field: &'static str,
        /// What is wrong and what to enter.
        detail: String,
    },
    /// No outbox entry with that id.
    #[error("there is no queued record #{0}; refresh the list")]
    UnknownEntry(i64),
    /// No sale with that client identifier.
    #[error("there is no sale {0} on this register; check the receipt number")]
    UnknownSale(String),
    /// A state transition is not allowed from the entry's current state.
    #[error("cannot {action} record #{id} while it is {from}; refresh the list and try again")]
    IllegalTransition {
        /// The entry.
        id: i64,
        /// Its current state.
        from: EntryState,
        /// What was attempted.
        action: &'static str,
    },
    /// A sale cannot be voided or corrected in its current state.
    #[error("sale {client_id} cannot be {action}: {why}")]
    SaleNotChangeable {
        /// The sale.
        client_id: String,
        /// "voided" or "corrected".
        action: &'static str,
        /// Why, and what to do instead.
        why: String,
    },
    /// Other queued records depend on this one.
    #[error(
        "record #{id} cannot be voided because later records depend on it ({detail}); void those first"
    )]
    EntryHasDependents {
        /// The entry.
        id: i64,
        /// Which dependents.
        detail: String,
    },
    /// A new PIN is not 4 to 8 digits (the message never contains the PIN).
    #[error("{detail}: a PIN is 4 to 8 digits (0-9); enter it again")]
    InvalidPin {
        /// What is wrong with it, without repeating it.
        detail: &'static str,
    },
    /// The PIN did not match; the user is locked when no attempts are left.
    #[error("wrong PIN; {attempts_left} more wrong PIN(s) will lock this user")]
    WrongPin {
        /// Wrong PINs still allowed before the lock.
        attempts_left: u32,
    },
    /// The user is locked after too many wrong PINs.
    #[error("{name} is locked after 5 wrong PINs; ask a manager to reset it")]
    UserLocked {
        /// The user.
        name: String,
    },
    /// The user was disabled by a manager.
    #[error("{name} is disabled on this register; ask a manager")]
    UserDisabled {
        /// The user.
        name: String,
    },
    /// No user with that name.
    #[error("there is no user named {name:?} on this register; pick your name from the list")]
    UnknownUser {
        /// The name given.
        name: String,
    },
    /// A user with that name (ignoring case) already exists.
    #[error("a user named {name:?} already exists (names ignore case); choose another name")]
    UserExists {
        /// The name given.
        name: String,
    },
    /// The first manager exists already; more users are added by a manager.
    #[error("this register already has users; a manager adds new users")]
    AlreadySetUp,
    /// A sale would exceed a purchase limit (issue #14); nothing was written.
    #[error("This sale is over the {rule} limit: {detail}. Take items off the cart until it fits.")]
    OverLimit {
        /// The rule exceeded most (rule id, or the patient's Metrc allotment).
        rule: String,
        /// Which limit, the total and by how much, and any other limit exceeded.
        detail: String,
    },
    /// An item cannot be counted under the purchase limits until a manager maps it.
    #[error(
        "{item} cannot be sold under the purchase limits yet: {detail}. A manager can map it on the Inventory screen."
    )]
    ItemNotMapped {
        /// The item's name.
        item: String,
        /// What is missing.
        detail: String,
    },
    /// Metrc's patient reading says the patient may not buy now.
    #[error("The patient cannot buy now: {detail}")]
    PatientNotEligible {
        /// Why, from the reading.
        detail: String,
    },
    /// A medical sale needs a reading of the patient's allotment that the register does not have.
    #[error("{detail}")]
    PatientReadingNeeded {
        /// What to do.
        detail: String,
    },
    /// The sale needs a manager's approval (an audited exception).
    #[error("{detail}")]
    ApprovalNeeded {
        /// What needs approving and how.
        detail: String,
    },
    /// A sale dated before its licence's reporting window; only a manager's audited late entry
    /// may record it.
    #[error("{detail}")]
    SaleTooOld {
        /// When, the window, and what to do.
        detail: String,
    },
    /// The acting user's role may not do this.
    #[error("only a {needed} may {action}; ask a {needed}")]
    NotAllowed {
        /// The role that may.
        needed: crate::people::users::Role,
        /// What was attempted.
        action: &'static str,
    },
    /// A POS ticket id already recorded with a different body (or as another kind of record).
    #[error(
        "ticket {ticket} was already recorded (as {recorded_as}) with different contents: nothing \
         new was recorded; send the same contents again to read that record back, or use a new \
         ticket id for a new sale"
    )]
    TicketConflict {
        /// The POS's ticket id.
        ticket: String,
        /// Client id of the record made for it.
        recorded_as: String,
    },
}

impl StoreError {
    /// A stable, machine-readable code for this error; the UI branches on it, never on the text.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Storage(_) => "storage_error",
            StoreError::DiskFull { .. } => "disk_full",
            StoreError::DataFolderReadOnly { .. } => "data_folder_read_only",
            StoreError::Internal(_) => "internal",
            StoreError::Io { .. } => "io_error",
            StoreError::PragmaMismatch { .. } => "pragma_mismatch",
            StoreError::DatabaseDamaged { .. } => "database_damaged",
            StoreError::IntegrityCheckFailed { .. } => "integrity_check_failed",
            StoreError::DatabaseTooNew { .. } => "database_too_new",
            StoreError::MigrationFailed { .. } => "migration_failed",
            StoreError::BackupInvalid { .. } => "backup_invalid",
            StoreError::UnsentRecords { .. } => "unsent_records",
            StoreError::DatabaseInUse { .. } => "database_in_use",
            StoreError::UnknownLicence(_) => "unknown_licence",
            StoreError::InvalidTimeZone { .. } => "invalid_time_zone",
            StoreError::UnknownPackage { .. } => "unknown_package",
            StoreError::PackageWrongLicence { .. } => "package_wrong_licence",
            StoreError::UnitMismatch { .. } => "unit_mismatch",
            StoreError::InvalidQuantity { .. } => "invalid_quantity",
            StoreError::InsufficientQuantity { .. } => "insufficient_quantity",
            StoreError::DuplicateTag { .. } => "duplicate_tag",
            StoreError::NoteRequired { .. } => "note_required",
            StoreError::UnknownAdjustmentReason { .. } => "unknown_adjustment_reason",
            StoreError::InvalidInput { .. } => "invalid_input",
            StoreError::UnknownEntry(_) => "unknown_entry",
            StoreError::UnknownSale(_) => "unknown_sale",
            StoreError::IllegalTransition { .. } => "illegal_transition",
            StoreError::SaleNotChangeable { .. } => "sale_not_changeable",
            StoreError::EntryHasDependents { .. } => "entry_has_dependents",
            StoreError::InvalidPin { .. } => "invalid_pin",
            StoreError::WrongPin { .. } => "wrong_pin",
            StoreError::UserLocked { .. } => "user_locked",
            StoreError::UserDisabled { .. } => "user_disabled",
            StoreError::UnknownUser { .. } => "unknown_user",
            StoreError::UserExists { .. } => "user_exists",
            StoreError::AlreadySetUp => "already_set_up",
            StoreError::OverLimit { .. } => "over_limit",
            StoreError::ItemNotMapped { .. } => "item_not_mapped",
            StoreError::PatientNotEligible { .. } => "patient_not_eligible",
            StoreError::PatientReadingNeeded { .. } => "patient_reading_needed",
            StoreError::ApprovalNeeded { .. } => "manager_approval_needed",
            StoreError::SaleTooOld { .. } => "sale_too_old",
            StoreError::NotAllowed { .. } => "not_allowed",
            StoreError::TicketConflict { .. } => "ticket_conflict",
        }
    }

    /// The same error naming `folder` as the data folder, when it is a disk-full or read-only
    /// one that does not name it yet.
    pub fn in_data_folder(self, folder: &Path) -> Self {
        match self {
            StoreError::DiskFull { folder: None } => StoreError::DiskFull {
                folder: Some(folder.to_owned()),
            },
            StoreError::DataFolderReadOnly { folder: None } => StoreError::DataFolderReadOnly {
                folder: Some(folder.to_owned()),
            },
            other => other,
        }
    }

    /// The error of a file-system operation on the data folder: a full disk and a read-only
    /// folder get their own codes, anything else is `io_error`.
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        let folder = path.parent().map(Path::to_owned);
        match source.kind() {
            std::io::ErrorKind::StorageFull => StoreError::DiskFull { folder },
            std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
                StoreError::DataFolderReadOnly { folder }
            }
            _ => StoreError::Io {
                action,
                path: path.to_owned(),
                source,
            },
        }
    }
}

/// " (in <folder>)" for a message, or nothing.
fn in_folder(folder: Option<&Path>) -> String {
    folder.map_or_else(String::new, |f| format!(" ({})", f.display()))
}

/// SQLite's full-disk and read-only results get their own codes; any other SQLite error is
/// `storage_error`.
impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        match error.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => StoreError::DiskFull { folder: None },
            Some(ErrorCode::ReadOnly) => StoreError::DataFolderReadOnly { folder: None },
            _ => StoreError::Storage(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::ffi;

    fn sqlite(code: std::ffi::c_int) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(ffi::Error::new(code), None)
    }

    #[test]
    fn a_full_disk_and_a_read_only_folder_have_codes_of_their_own() {
        assert_eq!(
            StoreError::from(sqlite(ffi::SQLITE_FULL)).code(),
            "disk_full"
        );
        assert_eq!(
            StoreError::from(sqlite(ffi::SQLITE_READONLY)).code(),
            "data_folder_read_only"
        );
        assert_eq!(
            StoreError::from(sqlite(ffi::SQLITE_IOERR)).code(),
            "storage_error"
        );
        let full = StoreError::from(sqlite(ffi::SQLITE_FULL)).in_data_folder(Path::new("/d/sl"));
        let message = full.to_string();
        assert!(message.contains("(/d/sl) is full"), "{message}");
        assert!(message.contains("free space"), "{message}");
        let io = |kind| StoreError::io("write", Path::new("/d/sl/f"), std::io::Error::from(kind));
        assert_eq!(io(std::io::ErrorKind::StorageFull).code(), "disk_full");
        assert_eq!(
            io(std::io::ErrorKind::ReadOnlyFilesystem).code(),
            "data_folder_read_only"
        );
        assert_eq!(io(std::io::ErrorKind::NotFound).code(), "io_error");
    }
}
