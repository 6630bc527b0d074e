//! The people of this register: users with roles and PINs, and the audit trail of what they did.
//!
//! Guarantees: see [`users`] (PINs hashed, lockout, roles) and [`audit`] (append-only, chained).

pub mod audit;
pub mod users;
