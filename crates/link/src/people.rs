//! The `people` table: every user of every register, as the store shares them, so a user added,
//! locked, re-PINned or disabled at one register reaches the others and each keeps a copy to log
//! in with while cut off.
//!
//! Guarantees: the store merges what a register pushes with the same rule the registers use
//! (`stateline_store::link::shared_people`: part by part, the later change wins, a lock or a
//! disabling wins a tie), inside one transaction that locks each user's row, so two registers
//! pushing the same user at once both count; a row changes — and takes the next `change_seq`,
//! under [`crate::changes`] so the others read every change — only when the merge changed it, so
//! pushing the same users again is harmless; a change notifies the other registers (the records
//! channel) when it commits; PIN hashes are Argon2id strings,
//! never PINs, and no Metrc key is here.

use stateline_store::Role;
use stateline_store::link::shared_people::{Part, SharedUser};
use tokio_postgres::Row;

use crate::{LinkError, StoreServer};

const COLUMNS: &str = "name, created_at, role, role_changed_at, pin_hash, pin_changed_at, locked,
    lock_changed_at, disabled, disabled_changed_at";

fn from_row(row: &Row) -> SharedUser {
    let role: String = row.get(2);
    SharedUser {
        name: row.get(0),
        created_at: row.get(1),
        role: Part {
            value: Role::parse(&role).unwrap_or(Role::Budtender),
            changed_at: row.get(3),
        },
        pin_hash: Part {
            value: row.get(4),
            changed_at: row.get(5),
        },
        locked: Part {
            value: row.get(6),
            changed_at: row.get(7),
        },
        disabled: Part {
            value: row.get(8),
            changed_at: row.get(9),
        },
    }
}

/// A user's key in the store: the name ignoring (ASCII) case, as the registers compare names.
fn name_key(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

impl StoreServer {
    /// Merges this register's users into the store's (see the module doc); returns how many
    /// users the store changed.
    pub async fn push_people(
        &mut self,
        register_id: &str,
        users: &[SharedUser],
    ) -> Result<usize, LinkError> {
        let label = self.label.clone();
        let pg = |e| LinkError::from_postgres(&label, e);
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await.map_err(pg)?;
        crate::changes::order_changes(&tx).await.map_err(pg)?;
        let current = tx
            .prepare(&format!(
                "SELECT {COLUMNS} FROM people WHERE name_key = $1 FOR UPDATE"
            ))
            .await
            .map_err(pg)?;
        let upsert = tx
            .prepare(&format!(
                "INSERT INTO people (name_key, {COLUMNS}, changed_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (name_key) DO UPDATE SET name = excluded.name,
                     created_at = excluded.created_at, role = excluded.role,
                     role_changed_at = excluded.role_changed_at, pin_hash = excluded.pin_hash,
                     pin_changed_at = excluded.pin_changed_at, locked = excluded.locked,
                     lock_changed_at = excluded.lock_changed_at, disabled = excluded.disabled,
                     disabled_changed_at = excluded.disabled_changed_at,
                     changed_by = excluded.changed_by,
                     change_seq = nextval('people_change_seq')"
            ))
            .await
            .map_err(pg)?;
        let mut changed = 0;
        for ours in users {
            let key = name_key(&ours.name);
            let stored = tx.query_opt(&current, &[&key]).await.map_err(pg)?;
            let stored = stored.as_ref().map(from_row);
            let merged = stored
                .as_ref()
                .map_or_else(|| ours.clone(), |theirs| theirs.merged(ours));
            if stored.as_ref() == Some(&merged) {
                continue;
            }
            tx.execute(
                &upsert,
                &[
                    &key,
                    &merged.name,
                    &merged.created_at,
                    &merged.role.value.as_str(),
                    &merged.role.changed_at,
                    &merged.pin_hash.value,
                    &merged.pin_hash.changed_at,
                    &merged.locked.value,
                    &merged.locked.changed_at,
                    &merged.disabled.value,
                    &merged.disabled.changed_at,
                    &register_id,
                ],
            )
            .await
            .map_err(pg)?;
            changed += 1;
        }
        if changed > 0 {
            crate::server::notify_others(&tx, register_id)
                .await
                .map_err(pg)?;
        }
        tx.commit().await.map_err(pg)?;
        Ok(changed)
    }

    /// The store's users changed after `after` (a `change_seq`), in order, at most `limit`, with
    /// the `change_seq` of the last.
    pub async fn people_since(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<(Vec<SharedUser>, i64), LinkError> {
        let rows = self
            .conn()
            .await?
            .query(
                &format!(
                    "SELECT {COLUMNS}, change_seq FROM people WHERE change_seq > $1
                     ORDER BY change_seq LIMIT $2"
                ),
                &[&after, &limit],
            )
            .await
            .map_err(|e| self.error(e))?;
        let through = rows.last().map_or(after, |r| r.get(10));
        Ok((rows.iter().map(from_row).collect(), through))
    }
}

/// What one exchange of people did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeopleExchanged {
    /// Users this register's copy changed.
    pub merged_here: usize,
    /// Users the store changed from this register's push.
    pub merged_there: usize,
}

/// Pulls the store's changes of people and merges them here (each batch with its mark, in one
/// local transaction), then pushes this register's users when they changed since the last push
/// (a fingerprint in the settings, written after the store committed).
pub async fn exchange_people(
    db: &stateline_store::Database,
    server: &mut StoreServer,
    batch: u32,
) -> Result<PeopleExchanged, LinkError> {
    use stateline_store::link::shared_people::{PEOPLE_PUSHED, fingerprint};
    use stateline_tasks::run_blocking;

    let mut exchanged = PeopleExchanged::default();
    loop {
        let reader = db.clone();
        let after =
            run_blocking(move || Ok::<_, LinkError>(reader.people_pulled_through()?)).await?;
        let (users, through) = server.people_since(after, i64::from(batch)).await?;
        if users.is_empty() {
            break;
        }
        let writer = db.clone();
        exchanged.merged_here +=
            run_blocking(move || Ok::<_, LinkError>(writer.merge_shared_users(&users, through)?))
                .await?;
    }
    let reader = db.clone();
    let (users, pushed) = run_blocking(move || {
        Ok::<_, LinkError>((reader.shared_users()?, reader.setting(PEOPLE_PUSHED)?))
    })
    .await?;
    let now = fingerprint(&users);
    if pushed.as_deref() != Some(now.as_str()) {
        exchanged.merged_there = server.push_people(db.install_id(), &users).await?;
        let writer = db.clone();
        run_blocking(move || Ok::<_, LinkError>(writer.set_setting(PEOPLE_PUSHED, &now)?)).await?;
    }
    Ok(exchanged)
}
