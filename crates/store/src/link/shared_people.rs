//! The register's people as the store shares them: every user, part by part with the time each
//! part last changed, so a user added, locked, re-PINned or disabled at one register reaches the
//! others, and every register keeps a copy it can log in with while cut off.
//!
//! Guarantees — how copies changed at different registers while cut off converge:
//! - Each part of a user (role; PIN hash; locked; disabled) carries the time it last changed, and
//!   a merge keeps, part by part, the later change ([`merge_part`]); merging is commutative,
//!   associative and idempotent, so every register and the store end with the same user whatever
//!   order the changes meet in, and merging the same copy again changes nothing.
//! - On a tie the restrictive side wins: locked over unlocked, disabled over enabled; so a
//!   lockout or a disabling is never lost to a change of the same moment, and a PIN reset or an
//!   enabling wins only when it came later. Times are the changing register's clock: a register
//!   whose clock is behind loses ties it should have won by that much (register clocks are
//!   expected within minutes; the store records when a register was last seen).
//! - A locked user's wrong-PIN count stays local (only the lock travels); a PIN hash travels as
//!   the Argon2id string, never a PIN, and [`SharedUser`]'s `Debug` leaves it out.
//! - A user new here is inserted with every part as shared; nothing here deletes a user.

use rusqlite::{Connection, OptionalExtension, params};

use crate::people::users::Role;
use crate::time::{from_ms, to_ms};
use crate::{Database, StoreError};

/// One part of a user with when it last changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part<T> {
    /// The value.
    pub value: T,
    /// When it last changed (ms since the epoch).
    pub changed_at: i64,
}

/// A user as registers share them.
#[derive(Clone, PartialEq, Eq)]
pub struct SharedUser {
    /// The name (unique in the store ignoring case).
    pub name: String,
    /// When the user was first added (ms).
    pub created_at: i64,
    /// Role.
    pub role: Part<Role>,
    /// The Argon2id PHC string of the PIN (`changed_at`: when the PIN was set).
    pub pin_hash: Part<String>,
    /// Locked after too many wrong PINs (a PIN reset unlocks).
    pub locked: Part<bool>,
    /// Disabled by a manager.
    pub disabled: Part<bool>,
}

impl std::fmt::Debug for SharedUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedUser")
            .field("name", &self.name)
            .field("role", &self.role.value)
            .field("pin_changed_at", &from_ms(self.pin_hash.changed_at))
            .field("locked", &self.locked.value)
            .field("disabled", &self.disabled.value)
            .finish_non_exhaustive()
    }
}

/// The later of two versions of a part; on a tie, the one `restrictive` prefers (or `ours`).
pub fn merge_part<T: Clone + PartialEq>(
    ours: &Part<T>,
    theirs: &Part<T>,
    restrictive: impl Fn(&T, &T) -> bool,
) -> Part<T> {
    use std::cmp::Ordering::{Equal, Greater, Less};
    match theirs.changed_at.cmp(&ours.changed_at) {
        Greater => theirs.clone(),
        Less => ours.clone(),
        Equal if restrictive(&theirs.value, &ours.value) => theirs.clone(),
        Equal => ours.clone(),
    }
}

/// A strictly greater string wins a tie, so two different hashes set at the same instant settle
/// on the same one everywhere.
fn greater(theirs: &String, ours: &String) -> bool {
    theirs > ours
}

fn set(theirs: &bool, ours: &bool) -> bool {
    *theirs && !*ours
}

fn manager_over_budtender(theirs: &Role, ours: &Role) -> bool {
    // A tie between two roles settles on the same one everywhere; the smaller privilege.
    *theirs == Role::Budtender && *ours != Role::Budtender
}

impl SharedUser {
    /// This user merged with another copy of the same user (see the module doc).
    pub fn merged(&self, theirs: &SharedUser) -> SharedUser {
        SharedUser {
            name: self.name.clone(),
            created_at: self.created_at.min(theirs.created_at),
            role: merge_part(&self.role, &theirs.role, manager_over_budtender),
            pin_hash: merge_part(&self.pin_hash, &theirs.pin_hash, greater),
            locked: merge_part(&self.locked, &theirs.locked, set),
            disabled: merge_part(&self.disabled, &theirs.disabled, set),
        }
    }
}

/// The setting holding the store's last change of people this register merged.
pub const PEOPLE_PULLED_THROUGH: &str = "link.people_pulled_through";

/// The setting holding a fingerprint of the users as last pushed to the store.
pub const PEOPLE_PUSHED: &str = "link.people_pushed";

/// A fingerprint of these users (to push only when they changed).
pub fn fingerprint(users: &[SharedUser]) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for u in users {
        (
            &u.name,
            u.created_at,
            u.role.value.as_str(),
            u.role.changed_at,
            &u.pin_hash.value,
            u.pin_hash.changed_at,
            u.locked.value,
            u.locked.changed_at,
            u.disabled.value,
            u.disabled.changed_at,
        )
            .hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

const COLUMNS: &str = "name, created_at, role, role_changed_at, pin_hash, pin_changed_at, locked,
    lock_changed_at, disabled, disabled_changed_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SharedUser> {
    let role: String = r.get(2)?;
    Ok(SharedUser {
        name: r.get(0)?,
        created_at: r.get(1)?,
        role: Part {
            value: Role::parse(&role).unwrap_or(Role::Budtender),
            changed_at: r.get(3)?,
        },
        pin_hash: Part {
            value: r.get(4)?,
            changed_at: r.get(5)?,
        },
        locked: Part {
            value: r.get(6)?,
            changed_at: r.get(7)?,
        },
        disabled: Part {
            value: r.get(8)?,
            changed_at: r.get(9)?,
        },
    })
}

fn find(conn: &Connection, name: &str) -> Result<Option<SharedUser>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE name = ?1"))?
        .query_row(params![name], from_row)
        .optional()?)
}

/// Writes a merged user: inserts one new here, or updates the parts that changed (a lock that
/// lifts clears the wrong-PIN count). Returns whether anything changed.
fn save(
    conn: &Connection,
    before: Option<&SharedUser>,
    user: &SharedUser,
) -> Result<bool, StoreError> {
    if before == Some(user) {
        return Ok(false);
    }
    if !user.pin_hash.value.starts_with("$argon2id$") {
        return Err(StoreError::InvalidInput {
            field: "shared user",
            detail: format!(
                "{}'s PIN is not an Argon2id hash; the store's copy is damaged",
                user.name
            ),
        });
    }
    let unlocked = before.is_some_and(|b| b.locked.value) && !user.locked.value;
    conn.prepare_cached(
        "INSERT INTO users (name, created_at, role, role_changed_at, pin_hash, pin_changed_at,
             locked, lock_changed_at, disabled, disabled_changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (name) DO UPDATE SET created_at = excluded.created_at, role = excluded.role,
             role_changed_at = excluded.role_changed_at, pin_hash = excluded.pin_hash,
             pin_changed_at = excluded.pin_changed_at, locked = excluded.locked,
             lock_changed_at = excluded.lock_changed_at, disabled = excluded.disabled,
             disabled_changed_at = excluded.disabled_changed_at",
    )?
    .execute(params![
        user.name,
        user.created_at,
        user.role.value.as_str(),
        user.role.changed_at,
        user.pin_hash.value,
        user.pin_hash.changed_at,
        user.locked.value,
        user.locked.changed_at,
        user.disabled.value,
        user.disabled.changed_at,
    ])?;
    if unlocked {
        conn.prepare_cached("UPDATE users SET failed_attempts = 0 WHERE name = ?1")?
            .execute(params![user.name])?;
    }
    Ok(true)
}

impl Database {
    /// The store's last change of people merged here (0: none yet).
    pub fn people_pulled_through(&self) -> Result<i64, StoreError> {
        Ok(self
            .setting(PEOPLE_PULLED_THROUGH)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Every user of this register as the store shares them, by name.
    pub fn shared_users(&self) -> Result<Vec<SharedUser>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM users ORDER BY name COLLATE NOCASE"
            ))?;
            let rows = stmt.query_map([], from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Merges copies of users from the store into this register's users and moves
    /// [`PEOPLE_PULLED_THROUGH`] to `through`, in one transaction (see the module doc). Returns
    /// how many users changed here.
    pub fn merge_shared_users(
        &self,
        users: &[SharedUser],
        through: i64,
    ) -> Result<usize, StoreError> {
        self.write(|tx| {
            crate::settings::set(tx, PEOPLE_PULLED_THROUGH, &through.to_string())?;
            let mut changed = 0;
            for theirs in users {
                let before = find(tx, &theirs.name)?;
                let merged = before
                    .as_ref()
                    .map_or_else(|| theirs.clone(), |ours| ours.merged(theirs));
                if save(tx, before.as_ref(), &merged)? {
                    changed += 1;
                }
            }
            Ok(changed)
        })
    }
}

/// A part changed at `at` (for callers building a copy).
pub fn part<T>(value: T, at: jiff::Timestamp) -> Part<T> {
    Part {
        value,
        changed_at: to_ms(at),
    }
}
