//! The `key_holders` table: which register holds a Metrc key for whom, so a manager sees whose
//! key is where and a register can tell a budtender where her key is.
//!
//! Guarantees: never a key — the rows carry the holder, the environment, the last four
//! characters, when the key was saved at that register and its last verdict (this crate cannot
//! reach a key: it may not depend on the keys or secrets crates); a register replaces its own
//! rows whole, in one transaction, only when they changed since its last push (a fingerprint in
//! its settings, written after the store committed); registers that left the store are not
//! listed; "newest" marks, per holder and environment, the usable key saved last anywhere in
//! the store (an unusable one only when no copy is usable), so a copy Metrc refused never hides a
//! working key saved elsewhere — save times come from the registers' own clocks, and a register
//! whose clock is minutes fast would otherwise keep its refused old key "newest" after a
//! rotation at a register whose clock is slow, and nobody would hand that user's sales over.

use stateline_store::Database;
use stateline_store::link::held_keys::{HeldKey, KEYS_PUSHED, StoreHeldKey};
use stateline_tasks::run_blocking;

use crate::{LinkError, StoreServer};

impl StoreServer {
    /// Replaces `register_id`'s keys in the store with `keys`.
    pub async fn replace_held_keys(
        &mut self,
        register_id: &str,
        keys: &[HeldKey],
        now: jiff::Timestamp,
    ) -> Result<(), LinkError> {
        let label = self.label.clone();
        let pg = |e| LinkError::from_postgres(&label, e);
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await.map_err(pg)?;
        tx.execute(
            "DELETE FROM key_holders WHERE register_id = $1",
            &[&register_id],
        )
        .await
        .map_err(pg)?;
        let insert = tx
            .prepare(
                "INSERT INTO key_holders (register_id, environment, holder, last_four, saved_at,
                     verdict, validated_at, reported_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .await
            .map_err(pg)?;
        for k in keys {
            tx.execute(
                &insert,
                &[
                    &register_id,
                    &k.environment,
                    &k.holder,
                    &k.last_four,
                    &k.saved_at,
                    &k.verdict,
                    &k.validated_at,
                    &now,
                ],
            )
            .await
            .map_err(pg)?;
        }
        tx.commit().await.map_err(pg)?;
        Ok(())
    }

    /// Every key held by a register still in the store, by holder, newest first.
    pub async fn held_keys(&self) -> Result<Vec<StoreHeldKey>, LinkError> {
        let rows = self
            .conn()
            .await?
            .query(HELD_KEYS, &[])
            .await
            .map_err(|e| self.error(e))?;
        Ok(rows.iter().map(held_key_from_row).collect())
    }
}

/// Every key held by a register still in the store (see [`StoreServer::held_keys`]). The newest
/// of a holder's keys is the usable one saved last — an unusable one only when no copy is usable
/// (the verdicts `HeldKey::usable` accepts: none yet, `all_good`, `missing_permissions`,
/// `could_not_check`).
pub(crate) const HELD_KEYS: &str = "SELECT k.register_id, g.name, g.last_seen_at, k.environment,
        k.holder, k.last_four, k.saved_at, k.verdict, k.validated_at,
        k.saved_at = COALESCE(
            max(k.saved_at) FILTER (WHERE k.verdict IS NULL
                OR k.verdict IN ('all_good', 'missing_permissions', 'could_not_check')) OVER holder,
            max(k.saved_at) OVER holder)
    FROM key_holders k JOIN registers g ON g.register_id = k.register_id
    WHERE g.left_at IS NULL
    WINDOW holder AS (PARTITION BY k.environment, k.holder)
    ORDER BY k.environment, lower(k.holder), k.saved_at DESC, lower(g.name)";

pub(crate) fn held_key_from_row(row: &tokio_postgres::Row) -> StoreHeldKey {
    StoreHeldKey {
        register_id: row.get(0),
        register_name: row.get(1),
        register_seen_at: row.get(2),
        key: HeldKey {
            environment: row.get(3),
            holder: row.get(4),
            last_four: row.get(5),
            saved_at: row.get(6),
            verdict: row.get(7),
            validated_at: row.get(8),
        },
        newest: row.get(9),
    }
}

/// Pushes this register's keys when they changed since the last push, then pulls the store's
/// list into the register's copy. Returns how many keys the store lists.
pub async fn exchange_held_keys(
    db: &Database,
    server: &mut StoreServer,
    now: jiff::Timestamp,
) -> Result<usize, LinkError> {
    let reader = db.clone();
    let (keys, pushed) = run_blocking(move || {
        Ok::<_, LinkError>((reader.held_keys()?, reader.setting(KEYS_PUSHED)?))
    })
    .await?;
    let fingerprint = serde_json::to_string(&keys).unwrap_or_default();
    if pushed.as_deref() != Some(fingerprint.as_str()) {
        server
            .replace_held_keys(db.install_id(), &keys, now)
            .await?;
        let writer = db.clone();
        run_blocking(move || Ok::<_, LinkError>(writer.set_setting(KEYS_PUSHED, &fingerprint)?))
            .await?;
    }
    let store = server.held_keys().await?;
    let listed = store.len();
    let writer = db.clone();
    run_blocking(move || {
        if writer.store_key_holders()? != store {
            writer.save_store_key_holders(&store)?;
        }
        Ok::<_, LinkError>(())
    })
    .await?;
    Ok(listed)
}
