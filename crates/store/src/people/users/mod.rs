//! The `users` table: the people who log in to this register with a PIN, and their roles.
//!
//! Guarantees:
//! - the first manager can be created only while there are no users (first run); every other user
//!   is added by a manager, checked against the manager's role as stored now, not at login;
//! - names are 1 to 40 characters, trimmed, unique ignoring (ASCII) case;
//! - PINs are 4 to 8 digits and stored only as Argon2id PHC strings with a random salt (see
//!   [`pin`]); a PIN never reaches SQLite, logs, errors or `Debug` output, and [`User`] (what
//!   [`Database::list_users`] returns) has no hash field;
//! - [`MAX_FAILED_ATTEMPTS`] wrong PINs in a row lock the user (`user_locked`) and a locked user is
//!   refused before the PIN is even checked; a correct PIN resets the count; only a manager's
//!   [`Database::reset_pin`] unlocks. Each wrong PIN is counted in its own committed transaction,
//!   atomically (`failed_attempts + 1`), so concurrent or interrupted logins cannot lose a count;
//! - hashing runs outside the writer lock, so a login never holds up a sale for the hash's cost;
//! - a manager may disable a user (not themselves) and enable them again, audited; a disabled
//!   user cannot log in;
//! - each part of a user (role, PIN, lock, disabled) records when it last changed, so the copies
//!   a store's registers keep converge (`link::shared_people`).

mod pin;
mod roles;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use crate::people::audit::{AuditAction, AuditEvent};
use crate::time::{from_ms, to_ms};
use crate::{Database, StoreError};

pub use pin::{MAX_PIN_DIGITS, MIN_PIN_DIGITS, Pin};
pub use roles::{Actor, Permission, Role, require};

/// Wrong PINs in a row that lock a user.
pub const MAX_FAILED_ATTEMPTS: u32 = 5;

/// Longest user name, in characters.
pub const MAX_NAME_CHARS: usize = 40;

/// A user as the UI lists them (never the PIN hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Name as entered (unique ignoring case).
    pub name: String,
    /// Role.
    pub role: Role,
    /// Wrong PINs since the last correct one or reset.
    pub failed_attempts: u32,
    /// Locked after too many wrong PINs; a manager's PIN reset unlocks.
    pub locked: bool,
    /// Disabled users cannot log in.
    pub disabled: bool,
    /// When the user was added.
    pub created_at: Timestamp,
    /// When the PIN was last set.
    pub pin_changed_at: Timestamp,
}

/// A successful login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    /// Who is logged in, for permission checks and `acting_user`.
    pub actor: Actor,
    /// When they logged in.
    pub started_at: Timestamp,
}

const COLUMNS: &str =
    "id, name, role, failed_attempts, locked, disabled, created_at, pin_changed_at";
const INSERT: &str = "INSERT INTO users (name, role, pin_hash, created_at, created_by,
        pin_changed_at, role_changed_at, lock_changed_at, disabled_changed_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?4, ?4, ?4)";
const LOGIN_ROW: &str =
    "SELECT id, name, role, pin_hash, locked, disabled FROM users WHERE name = ?1";
const RIGHT_PIN: &str = "UPDATE users SET failed_attempts = 0
    WHERE id = ?1 AND pin_hash = ?2 AND locked = 0 AND disabled = 0";
const WRONG_PIN: &str = "UPDATE users SET failed_attempts = failed_attempts + 1,
        locked = (failed_attempts + 1 >= ?3),
        lock_changed_at = CASE WHEN failed_attempts + 1 >= ?3 THEN ?4 ELSE lock_changed_at END
    WHERE id = ?1 AND pin_hash = ?2 AND locked = 0 AND disabled = 0
    RETURNING failed_attempts, locked";
const RESET_PIN: &str = "UPDATE users SET pin_hash = ?2, failed_attempts = 0, locked = 0,
        pin_changed_at = ?3, lock_changed_at = ?3
    WHERE name = ?1";
const SET_DISABLED: &str = "UPDATE users SET disabled = ?2, disabled_changed_at = ?3
    WHERE name = ?1";

fn role_from(text: String) -> rusqlite::Result<Role> {
    Role::parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown role {text:?}").into(),
        )
    })
}

fn user_from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        name: r.get(1)?,
        role: role_from(r.get(2)?)?,
        failed_attempts: r.get(3)?,
        locked: r.get(4)?,
        disabled: r.get(5)?,
        created_at: from_ms(r.get(6)?),
        pin_changed_at: from_ms(r.get(7)?),
    })
}

/// What a login needs from the row (the hash stays inside this module).
struct LoginRow {
    id: i64,
    name: String,
    role: Role,
    pin_hash: String,
    locked: bool,
    disabled: bool,
}

fn login_row(conn: &Connection, name: &str) -> Result<Option<LoginRow>, StoreError> {
    Ok(conn
        .prepare_cached(LOGIN_ROW)?
        .query_row(params![name], |r| {
            Ok(LoginRow {
                id: r.get(0)?,
                name: r.get(1)?,
                role: role_from(r.get(2)?)?,
                pin_hash: r.get(3)?,
                locked: r.get(4)?,
                disabled: r.get(5)?,
            })
        })
        .optional()?)
}

fn user_by_name(conn: &Connection, name: &str) -> Result<Option<User>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE name = ?1"))?
        .query_row(params![name], user_from_row)
        .optional()?)
}

/// A user name trimmed and checked: 1 to 40 characters, no control characters.
fn check_name(name: &str) -> Result<String, StoreError> {
    let name = name.trim();
    let invalid = |detail: &str| StoreError::InvalidInput {
        field: "user name",
        detail: detail.to_owned(),
    };
    if name.is_empty() {
        return Err(invalid("it is empty; enter the person's name"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid("it is longer than 40 characters; shorten it"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(
            "it contains control characters; type it without them",
        ));
    }
    Ok(name.to_owned())
}

/// Fails unless the actor still exists, is enabled and (as stored now) may do `permission`.
fn require_current(
    conn: &Connection,
    actor: &Actor,
    permission: Permission,
) -> Result<(), StoreError> {
    let row: Option<(String, bool)> = conn
        .prepare_cached("SELECT role, disabled FROM users WHERE id = ?1")?
        .query_row(params![actor.user_id()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        None => Err(StoreError::UnknownUser {
            name: actor.name().to_owned(),
        }),
        Some((_, true)) => Err(StoreError::UserDisabled {
            name: actor.name().to_owned(),
        }),
        Some((role, false)) => roles::require_role(role_from(role)?, permission),
    }
}

fn insert(
    conn: &Connection,
    name: &str,
    role: Role,
    pin_hash: &str,
    now: Timestamp,
    created_by: Option<i64>,
) -> Result<User, StoreError> {
    if user_by_name(conn, name)?.is_some() {
        return Err(StoreError::UserExists {
            name: name.to_owned(),
        });
    }
    conn.prepare_cached(INSERT)?.execute(params![
        name,
        role.as_str(),
        pin_hash,
        to_ms(now),
        created_by
    ])?;
    user_by_name(conn, name)?
        .ok_or_else(|| StoreError::Internal("a user just added cannot be read back".into()))
}

/// What one checked PIN did to the row.
enum Checked {
    Right,
    Wrong {
        failed: u32,
        locked: bool,
    },
    /// The row changed between reading the hash and recording the outcome; read it again.
    Changed,
}

impl Database {
    /// Whether this register has no users yet (first run: create the first manager).
    pub fn needs_first_manager(&self) -> Result<bool, StoreError> {
        self.read(|c| {
            let n: i64 = c
                .prepare_cached("SELECT count(*) FROM users")?
                .query_row([], |r| r.get(0))?;
            Ok(n == 0)
        })
    }

    /// First run: creates the first manager and logs them in. Fails with `already_set_up` once any
    /// user exists.
    pub fn create_first_manager(&self, name: &str, pin: &Pin) -> Result<Session, StoreError> {
        let name = check_name(name)?;
        pin::check_format(pin)?;
        let pin_hash = pin::hash(pin)?;
        let now = self.now();
        let user = self.write(|tx| {
            let n: i64 = tx
                .prepare_cached("SELECT count(*) FROM users")?
                .query_row([], |r| r.get(0))?;
            if n > 0 {
                return Err(StoreError::AlreadySetUp);
            }
            let user = insert(tx, &name, Role::Manager, &pin_hash, now, None)?;
            crate::people::audit::append(
                tx,
                now,
                &AuditEvent::by(
                    &user.name,
                    AuditAction::UserAdded,
                    &user.name,
                    "first manager",
                ),
            )?;
            Ok(user)
        })?;
        tracing::info!(user = %user.name, "first manager created");
        Ok(Session {
            actor: Actor::new(user.id, user.name, Role::Manager),
            started_at: now,
        })
    }

    /// A manager adds a user with a role and a first PIN.
    pub fn add_user(
        &self,
        by: &Actor,
        name: &str,
        role: Role,
        pin: &Pin,
    ) -> Result<User, StoreError> {
        require(by, Permission::ManageUsers)?;
        let name = check_name(name)?;
        pin::check_format(pin)?;
        let pin_hash = pin::hash(pin)?;
        let now = self.now();
        let user = self.write(|tx| -> Result<_, StoreError> {
            require_current(tx, by, Permission::ManageUsers)?;
            let user = insert(tx, &name, role, &pin_hash, now, Some(by.user_id()))?;
            crate::people::audit::append(
                tx,
                now,
                &AuditEvent::by(by.name(), AuditAction::UserAdded, &user.name, role.as_str()),
            )?;
            Ok(user)
        })?;
        tracing::info!(user = %user.name, role = %role, by = %by.name(), "user added");
        Ok(user)
    }

    /// Logs a user in with their PIN.
    ///
    /// Errors: `invalid_pin` (not 4 to 8 digits; not counted), `unknown_user`, `user_disabled`,
    /// `wrong_pin` with the attempts left, `user_locked` (on the 5th wrong PIN in a row and on every
    /// later try, right or wrong, until a manager resets the PIN).
    pub fn verify_pin(&self, name: &str, pin: &Pin) -> Result<Session, StoreError> {
        pin::check_format(pin)?;
        let name = name.trim();
        // Re-read only if a manager changed the row while the PIN was being checked.
        for _ in 0..3 {
            let row =
                self.read(|c| login_row(c, name))?
                    .ok_or_else(|| StoreError::UnknownUser {
                        name: name.to_owned(),
                    })?;
            if row.disabled {
                return Err(StoreError::UserDisabled { name: row.name });
            }
            if row.locked {
                return Err(StoreError::UserLocked { name: row.name });
            }
            let right = pin::matches(pin, &row.pin_hash)?;
            let checked = self.write(|tx| -> Result<_, StoreError> {
                if right {
                    let n = tx
                        .prepare_cached(RIGHT_PIN)?
                        .execute(params![row.id, row.pin_hash])?;
                    return Ok(if n == 1 {
                        Checked::Right
                    } else {
                        Checked::Changed
                    });
                }
                let after: Option<(u32, bool)> = tx
                    .prepare_cached(WRONG_PIN)?
                    .query_row(
                        params![row.id, row.pin_hash, MAX_FAILED_ATTEMPTS, to_ms(self.now())],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                if let Some((_, true)) = after {
                    crate::people::audit::append(
                        tx,
                        self.now(),
                        &AuditEvent::by_system(
                            AuditAction::UserLocked,
                            &row.name,
                            format!("{MAX_FAILED_ATTEMPTS} wrong PINs in a row"),
                        ),
                    )?;
                }
                Ok(match after {
                    Some((failed, locked)) => Checked::Wrong { failed, locked },
                    None => Checked::Changed,
                })
            })?;
            match checked {
                Checked::Right => {
                    tracing::info!(user = %row.name, "logged in");
                    return Ok(Session {
                        actor: Actor::new(row.id, row.name, row.role),
                        started_at: self.now(),
                    });
                }
                Checked::Wrong { locked: true, .. } => {
                    tracing::warn!(user = %row.name, "user locked after too many wrong PINs");
                    return Err(StoreError::UserLocked { name: row.name });
                }
                Checked::Wrong { failed, .. } => {
                    tracing::info!(user = %row.name, failed, "wrong PIN");
                    return Err(StoreError::WrongPin {
                        attempts_left: MAX_FAILED_ATTEMPTS.saturating_sub(failed),
                    });
                }
                Checked::Changed => continue,
            }
        }
        Err(StoreError::Internal(
            "the user kept changing during login; try again".into(),
        ))
    }

    /// A manager sets a new PIN for `name` (any user, themselves included); this unlocks the user
    /// and clears the wrong-PIN count.
    pub fn reset_pin(&self, by: &Actor, name: &str, new_pin: &Pin) -> Result<(), StoreError> {
        require(by, Permission::ManageUsers)?;
        pin::check_format(new_pin)?;
        let name = name.trim();
        let pin_hash = pin::hash(new_pin)?;
        let now = self.now();
        self.write(|tx| {
            require_current(tx, by, Permission::ManageUsers)?;
            let n = tx
                .prepare_cached(RESET_PIN)?
                .execute(params![name, pin_hash, to_ms(now)])?;
            if n == 0 {
                return Err(StoreError::UnknownUser {
                    name: name.to_owned(),
                });
            }
            crate::people::audit::append(
                tx,
                now,
                &AuditEvent::by(
                    by.name(),
                    AuditAction::PinReset,
                    name,
                    "PIN reset; user unlocked",
                ),
            )?;
            Ok(())
        })?;
        tracing::info!(user = %name, by = %by.name(), "PIN reset");
        Ok(())
    }

    /// A manager disables `name` (no login, no records on their behalf) or enables them again;
    /// a manager cannot disable themselves. Audited.
    pub fn set_user_disabled(
        &self,
        by: &Actor,
        name: &str,
        disabled: bool,
    ) -> Result<(), StoreError> {
        require(by, Permission::ManageUsers)?;
        let name = name.trim();
        if disabled && name.eq_ignore_ascii_case(by.name()) {
            return Err(StoreError::InvalidInput {
                field: "user name",
                detail: "you cannot disable yourself; ask another manager".into(),
            });
        }
        let now = self.now();
        self.write(|tx| {
            require_current(tx, by, Permission::ManageUsers)?;
            let n =
                tx.prepare_cached(SET_DISABLED)?
                    .execute(params![name, disabled, to_ms(now)])?;
            if n == 0 {
                return Err(StoreError::UnknownUser {
                    name: name.to_owned(),
                });
            }
            crate::people::audit::append(
                tx,
                now,
                &AuditEvent::by(
                    by.name(),
                    AuditAction::UserDisabled,
                    name,
                    if disabled { "disabled" } else { "enabled" },
                ),
            )?;
            Ok(())
        })?;
        tracing::info!(user = %name, by = %by.name(), disabled, "user disabled or enabled");
        Ok(())
    }

    /// Fails unless the user named `name` exists, is enabled, and (as stored now) may do
    /// `permission`: for records made by other systems on a user's behalf (the command line),
    /// where no PIN login happens at this register.
    pub fn require_user_may(&self, name: &str, permission: Permission) -> Result<(), StoreError> {
        self.acting_as(name, permission).map(|_| ())
    }

    /// The actor `name` is when a trusted caller (an integration's token) acts for them without
    /// their PIN: refused like [`Database::require_user_may`] unless the user exists, is enabled
    /// and may do `permission`.
    pub fn acting_as(&self, name: &str, permission: Permission) -> Result<Actor, StoreError> {
        let user = self.user(name)?.ok_or_else(|| StoreError::UnknownUser {
            name: name.trim().to_owned(),
        })?;
        if user.disabled {
            return Err(StoreError::UserDisabled { name: user.name });
        }
        roles::require_role(user.role, permission)?;
        Ok(Actor::new(user.id, user.name, user.role))
    }

    /// Every user, by name (no PIN hashes).
    pub fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM users ORDER BY name COLLATE NOCASE, id"
            ))?;
            let users = stmt
                .query_map([], user_from_row)?
                .collect::<Result<_, _>>()?;
            Ok(users)
        })
    }

    /// One user by name (ignoring case), if there is one.
    pub fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        self.read(|c| user_by_name(c, name.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(check_name("  Ana  ").unwrap(), "Ana");
        for bad in ["", "   ", "a\tb", &"x".repeat(41)] {
            let err = check_name(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_input", "{bad:?}");
        }
        check_name(&"é".repeat(40)).unwrap();
    }
}
