//! The register's purchase-limit settings as the store shares them: the managers' overrides of the
//! state's figures ([`super::overrides`]) and their item mappings ([`super::items`]), each with
//! when and by whom it last changed — removals included — so a setting made at one register
//! reaches every register of the store and each checks its sales against the same figures, while
//! each still checks alone from its own copy when cut off.
//!
//! Guarantees — how copies changed at different registers while cut off converge:
//! - A setting is a [`SharedLimitSetting`] named by kind and key (an override: state and rule id;
//!   a mapping: licence and item name). A removal is a setting too: clearing writes a tombstone
//!   (`limit_removals`) in the clearing's own transaction and setting it again deletes it, so a
//!   removal travels and an older copy of the setting never brings it back.
//! - A merge keeps the later `changed_at`; on a tie the removal, then the larger value (its JSON
//!   text), then the larger `changed_by` ([`SharedLimitSetting::merged`]). The rule is
//!   commutative, associative and idempotent, so every register and the store end with the same
//!   setting whatever order the changes meet in, and merging a copy again changes nothing. Times
//!   are the changing register's clock, as for people (`crate::link::shared_people`), except that
//!   a manager's change is stamped after the copy it replaces here (a change pulled from a
//!   register whose clock is ahead), so what a manager does to what they see always wins here
//!   and at the store.
//! - [`Database::merge_shared_limit_settings`] applies pulled settings and moves the pull mark in
//!   one transaction, without a new audit entry (the change was audited at the register that made
//!   it, and that log travels to the store); a damaged setting (unreadable key or value, a
//!   removal with a value, a figure that is not positive, no reason) is refused and nothing
//!   changes ([`SharedLimitSetting::check`], which the store server applies to a push too).
//! - A pulled override applies to the next sale as one set here does (the rules in force read the
//!   same table); one for another state, or for a rule this register's file lacks, is kept and
//!   ignored as before; a mapping for a licence not added here is kept for when it is.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use stateline_limits::Amounts;

use crate::{Database, StoreError};

/// What a setting is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LimitSettingKind {
    /// A store's override of one figure of its state's rules file.
    Override,
    /// A manager's mapping of an item to limit categories.
    ItemMap,
}

impl LimitSettingKind {
    /// The name stored in both databases.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Override => "override",
            Self::ItemMap => "item_map",
        }
    }

    /// The kind named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "override" => Some(Self::Override),
            "item_map" => Some(Self::ItemMap),
            _ => None,
        }
    }
}

/// One setting as registers share it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedLimitSetting {
    /// What it is.
    pub kind: LimitSettingKind,
    /// Which one: [`override_key`] or [`item_map_key`].
    pub key: String,
    /// The setting as JSON (`null` for a removal).
    pub value: String,
    /// The setting was removed (the file's figure, or Metrc's facts, apply again).
    pub removed: bool,
    /// When it last changed (ms since the epoch, the changing register's clock).
    pub changed_at: i64,
    /// The manager who changed it.
    pub changed_by: String,
}

impl SharedLimitSetting {
    /// This setting merged with another copy of the same one (see the module doc).
    pub fn merged(&self, theirs: &SharedLimitSetting) -> SharedLimitSetting {
        let rank = |s: &SharedLimitSetting| {
            (
                s.changed_at,
                s.removed,
                s.value.clone(),
                s.changed_by.clone(),
            )
        };
        if rank(theirs) > rank(self) {
            theirs.clone()
        } else {
            self.clone()
        }
    }
}

/// The value of a removal.
const REMOVED: &str = "null";

/// An override's value.
#[derive(Debug, Serialize, Deserialize)]
struct OverrideValue {
    limit: f64,
    file_version: u32,
    reason: String,
}

/// A mapping's value.
#[derive(Debug, Serialize, Deserialize)]
struct ItemMapValue {
    amounts: Amounts,
    reason: String,
}

/// The key of the override of `rule_id` of `state`'s rules.
pub fn override_key(state: &str, rule_id: &str) -> String {
    key_of(state, rule_id)
}

/// The key of the mapping of `item_name` at `licence`.
pub fn item_map_key(licence: &str, item_name: &str) -> String {
    key_of(licence, item_name)
}

fn key_of(first: &str, second: &str) -> String {
    serde_json::to_string(&[first, second]).expect("two strings serialise")
}

fn damaged(detail: String) -> StoreError {
    StoreError::InvalidInput {
        field: "shared limit setting",
        detail: format!("{detail}; the store's copy is damaged"),
    }
}

/// The two parts of a key, refused unless it is exactly what [`key_of`] writes.
fn parts(key: &str) -> Result<(String, String), StoreError> {
    let parsed: Option<[String; 2]> = serde_json::from_str(key).ok();
    match parsed {
        Some([first, second])
            if !first.is_empty() && !second.is_empty() && key_of(&first, &second) == key =>
        {
            Ok((first, second))
        }
        _ => Err(damaged(format!("{key:?} names no setting"))),
    }
}

/// The setting holding the store's last change of limit settings this register merged.
pub const LIMITS_PULLED_THROUGH: &str = "link.limits_pulled_through";

/// The setting holding a fingerprint of the limit settings as last pushed to the store.
pub const LIMITS_PUSHED: &str = "link.limits_pushed";

/// A fingerprint of these settings (to push only when they changed).
pub fn fingerprint(settings: &[SharedLimitSetting]) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for s in settings {
        (
            s.kind.as_str(),
            &s.key,
            &s.value,
            s.removed,
            s.changed_at,
            &s.changed_by,
        )
            .hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("a limit setting serialises")
}

fn override_setting(r: &rusqlite::Row<'_>) -> rusqlite::Result<SharedLimitSetting> {
    let (state, rule_id): (String, String) = (r.get(0)?, r.get(1)?);
    Ok(SharedLimitSetting {
        kind: LimitSettingKind::Override,
        key: override_key(&state, &rule_id),
        value: json(&OverrideValue {
            limit: r.get(2)?,
            file_version: r.get(3)?,
            reason: r.get(4)?,
        }),
        removed: false,
        changed_by: r.get(5)?,
        changed_at: r.get(6)?,
    })
}

const OVERRIDE_COLUMNS: &str =
    "state, rule_id, limit_value, file_version, reason, set_by, set_at FROM limit_overrides";

type MapRow = (String, String, String, f64, String, String, i64);

fn map_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MapRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

const MAP_COLUMNS: &str = "licence, item_name, category, amount_per_unit, reason, mapped_by,
    mapped_at FROM item_limit_maps";

/// Mapping rows (one per category) as one setting per item.
fn map_settings(rows: Vec<MapRow>) -> Vec<SharedLimitSetting> {
    let mut items: BTreeMap<(String, String), (ItemMapValue, String, i64)> = BTreeMap::new();
    for (licence, item_name, category, amount, reason, by, at) in rows {
        items
            .entry((licence, item_name))
            .or_insert_with(|| {
                (
                    ItemMapValue {
                        amounts: Amounts::new(),
                        reason,
                    },
                    by,
                    at,
                )
            })
            .0
            .amounts
            .insert(category, amount);
    }
    items
        .into_iter()
        .map(
            |((licence, item_name), (value, by, at))| SharedLimitSetting {
                kind: LimitSettingKind::ItemMap,
                key: item_map_key(&licence, &item_name),
                value: json(&value),
                removed: false,
                changed_at: at,
                changed_by: by,
            },
        )
        .collect()
}

fn removal(kind: LimitSettingKind, key: String, at: i64, by: String) -> SharedLimitSetting {
    SharedLimitSetting {
        kind,
        key,
        value: REMOVED.to_owned(),
        removed: true,
        changed_at: at,
        changed_by: by,
    }
}

fn removal_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, i64, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

/// Every limit setting of this register, by kind and key.
fn all(c: &Connection) -> Result<Vec<SharedLimitSetting>, StoreError> {
    let mut settings: Vec<SharedLimitSetting> = c
        .prepare_cached(&format!("SELECT {OVERRIDE_COLUMNS}"))?
        .query_map([], override_setting)?
        .collect::<Result<_, _>>()?;
    let rows: Vec<MapRow> = c
        .prepare_cached(&format!("SELECT {MAP_COLUMNS}"))?
        .query_map([], map_row)?
        .collect::<Result<_, _>>()?;
    settings.extend(map_settings(rows));
    let removals: Vec<(String, String, i64, String)> = c
        .prepare_cached("SELECT kind, key, removed_at, removed_by FROM limit_removals")?
        .query_map([], removal_row)?
        .collect::<Result<_, _>>()?;
    for (kind, key, at, by) in removals {
        if let Some(kind) = LimitSettingKind::parse(&kind) {
            settings.push(removal(kind, key, at, by));
        }
    }
    settings.sort_by(|a, b| (a.kind, &a.key).cmp(&(b.kind, &b.key)));
    Ok(settings)
}

/// This register's copy of one setting, if it has one.
fn find(
    c: &Connection,
    kind: LimitSettingKind,
    key: &str,
) -> Result<Option<SharedLimitSetting>, StoreError> {
    let (first, second) = parts(key)?;
    let found = match kind {
        LimitSettingKind::Override => c
            .prepare_cached(&format!(
                "SELECT {OVERRIDE_COLUMNS} WHERE state = ?1 AND rule_id = ?2"
            ))?
            .query_row(params![first, second], override_setting)
            .optional()?,
        LimitSettingKind::ItemMap => {
            let rows: Vec<MapRow> = c
                .prepare_cached(&format!(
                    "SELECT {MAP_COLUMNS} WHERE licence = ?1 AND item_name = ?2"
                ))?
                .query_map(params![first, second], map_row)?
                .collect::<Result<_, _>>()?;
            map_settings(rows).pop()
        }
    };
    if found.is_some() {
        return Ok(found);
    }
    Ok(c.prepare_cached(
        "SELECT kind, key, removed_at, removed_by FROM limit_removals
         WHERE kind = ?1 AND key = ?2",
    )?
    .query_row(params![kind.as_str(), key], removal_row)
    .optional()?
    .map(|(_, key, at, by)| removal(kind, key, at, by)))
}

/// When a change of `kind`/`key` made here at `now` (ms) is stamped: `now`, or just after this
/// register's copy when that is stamped later (a change pulled from a register whose clock is
/// ahead), so a manager's change always supersedes what this register showed them — here and, by
/// the same rule, everywhere else.
pub(crate) fn change_at(
    c: &Connection,
    kind: LimitSettingKind,
    key: &str,
    now: i64,
) -> Result<i64, StoreError> {
    Ok(find(c, kind, key)?.map_or(now, |ours| now.max(ours.changed_at + 1)))
}

/// Records, in the caller's transaction, that the setting `kind`/`key` was removed at `at` by `by`.
pub(crate) fn record_removal(
    c: &Connection,
    kind: LimitSettingKind,
    key: &str,
    at: i64,
    by: &str,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO limit_removals (kind, key, removed_at, removed_by) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (kind, key) DO UPDATE SET removed_at = excluded.removed_at,
             removed_by = excluded.removed_by",
    )?
    .execute(params![kind.as_str(), key, at, by])?;
    Ok(())
}

/// Forgets, in the caller's transaction, a removal of `kind`/`key` (it was set again).
pub(crate) fn forget_removal(
    c: &Connection,
    kind: LimitSettingKind,
    key: &str,
) -> Result<(), StoreError> {
    c.prepare_cached("DELETE FROM limit_removals WHERE kind = ?1 AND key = ?2")?
        .execute(params![kind.as_str(), key])?;
    Ok(())
}

fn positive(what: &str, amount: f64) -> Result<(), StoreError> {
    if amount.is_finite() && amount > 0.0 {
        Ok(())
    } else {
        Err(damaged(format!("{what} {amount} is not positive")))
    }
}

fn reason(key: &str, reason: &str) -> Result<(), StoreError> {
    if reason.trim().is_empty() {
        Err(damaged(format!("{key} has no reason")))
    } else {
        Ok(())
    }
}

/// A setting read and checked.
enum Checked {
    Removed,
    Override(OverrideValue),
    ItemMap(ItemMapValue),
}

/// `s`'s key parts and value, or why it is damaged.
fn checked(s: &SharedLimitSetting) -> Result<(String, String, Checked), StoreError> {
    let (first, second) = parts(&s.key)?;
    if s.changed_by.trim().is_empty() {
        return Err(damaged(format!("{} names nobody who changed it", s.key)));
    }
    let value = match (s.removed, s.kind) {
        (true, _) if s.value == REMOVED => Checked::Removed,
        (true, _) => return Err(damaged(format!("the removal of {} has a value", s.key))),
        (false, LimitSettingKind::Override) => {
            let value: OverrideValue = serde_json::from_str(&s.value)
                .map_err(|e| damaged(format!("the override {} is unreadable ({e})", s.key)))?;
            positive(&format!("the override {}'s limit", s.key), value.limit)?;
            reason(&s.key, &value.reason)?;
            Checked::Override(value)
        }
        (false, LimitSettingKind::ItemMap) => {
            let value: ItemMapValue = serde_json::from_str(&s.value)
                .map_err(|e| damaged(format!("the mapping {} is unreadable ({e})", s.key)))?;
            if value.amounts.is_empty() {
                return Err(damaged(format!("the mapping {} counts nothing", s.key)));
            }
            for (category, amount) in &value.amounts {
                positive(&format!("the mapping {}'s {category}", s.key), *amount)?;
            }
            reason(&s.key, &value.reason)?;
            Checked::ItemMap(value)
        }
    };
    Ok((first, second, value))
}

impl SharedLimitSetting {
    /// Refuses a damaged setting: an unreadable key or value, a removal with a value, a figure
    /// that is not positive, no reason, nobody who changed it.
    pub fn check(&self) -> Result<(), StoreError> {
        checked(self).map(|_| ())
    }
}

/// Writes a merged setting over this register's copy of it (no audit entry: see the module doc).
fn apply(c: &Connection, s: &SharedLimitSetting) -> Result<(), StoreError> {
    let (first, second, value) = checked(s)?;
    let delete = match s.kind {
        LimitSettingKind::Override => {
            "DELETE FROM limit_overrides WHERE state = ?1 AND rule_id = ?2"
        }
        LimitSettingKind::ItemMap => {
            "DELETE FROM item_limit_maps WHERE licence = ?1 AND item_name = ?2"
        }
    };
    c.prepare_cached(delete)?.execute(params![first, second])?;
    match value {
        Checked::Removed => {
            return record_removal(c, s.kind, &s.key, s.changed_at, &s.changed_by);
        }
        Checked::Override(value) => {
            c.prepare_cached(
                "INSERT INTO limit_overrides (state, rule_id, limit_value, file_version, reason,
                     set_by, set_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                first,
                second,
                value.limit,
                value.file_version,
                value.reason,
                s.changed_by,
                s.changed_at
            ])?;
        }
        Checked::ItemMap(value) => {
            let mut insert = c.prepare_cached(
                "INSERT INTO item_limit_maps (licence, item_name, category, amount_per_unit,
                     reason, mapped_by, mapped_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (category, amount) in &value.amounts {
                insert.execute(params![
                    first,
                    second,
                    category,
                    amount,
                    value.reason,
                    s.changed_by,
                    s.changed_at
                ])?;
            }
        }
    }
    forget_removal(c, s.kind, &s.key)
}

impl Database {
    /// Every purchase-limit setting of this register as the store shares them, by kind and key.
    pub fn shared_limit_settings(&self) -> Result<Vec<SharedLimitSetting>, StoreError> {
        self.read(all)
    }

    /// The store's last change of limit settings merged here (0: none yet).
    pub fn limits_pulled_through(&self) -> Result<i64, StoreError> {
        Ok(self
            .setting(LIMITS_PULLED_THROUGH)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Merges settings from the store into this register's and moves [`LIMITS_PULLED_THROUGH`]
    /// to `through`, in one transaction (see the module doc). Returns how many settings changed
    /// here.
    pub fn merge_shared_limit_settings(
        &self,
        settings: &[SharedLimitSetting],
        through: i64,
    ) -> Result<usize, StoreError> {
        self.write(|tx| {
            crate::settings::set(tx, LIMITS_PULLED_THROUGH, &through.to_string())?;
            let mut changed = 0;
            for theirs in settings {
                theirs.check()?;
                let ours = find(tx, theirs.kind, &theirs.key)?;
                let merged = ours
                    .as_ref()
                    .map_or_else(|| theirs.clone(), |ours| ours.merged(theirs));
                if ours.as_ref() != Some(&merged) {
                    apply(tx, &merged)?;
                    changed += 1;
                }
            }
            Ok(changed)
        })
    }
}
