//! Key validation: what a Metrc user key may do, as a per-licence, per-area matrix with a verdict
//! (SPEC §4, `metrc/README.md` "Checking what a key may do").
//!
//! Guarantees:
//! - The result never holds the key: only its last four characters ([`metrc::UserKey::last_four`]);
//!   details are our own wording or [`metrc::MetrcError`] messages, which never carry a key.
//! - A network problem (not sent, lost reply, 5xx, 429, …) is never reported as an invalid key or a
//!   missing permission: it is [`AreaOutcome::CouldNotCheck`] / [`Verdict::CouldNotCheck`]. Only a
//!   401/403 counts as a refusal.
//! - Requests are few: one `GET /facilities/v2`, then at most one probe GET per applicable area per
//!   licence, plus one best-effort `GET /employees/v2/permissions` per licence where the key could
//!   read employees. Areas the licence type cannot use are not requested at all.
//! - Nothing is stored here; the caller decides what to keep.

mod check;
mod model;
mod table;

pub use check::{validate_key, validate_key_at};
pub use model::{
    AreaOutcome, AreaResult, KEY_REFUSED, KeyValidation, LicenceMatrix, MissingAreas, Verdict,
    area_label,
};
pub use table::render_table;
