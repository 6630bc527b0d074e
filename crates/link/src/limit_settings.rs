//! The `limit_settings` table: every register's purchase-limit settings — the managers' overrides
//! of the state's figures and their item mappings, removals included — as the store shares them,
//! so an override or a mapping made at one register checks the sales of every register of the
//! store, while each register still checks alone from its own copy when cut off.
//!
//! Guarantees: the store merges what a register pushes with the same rule the registers use
//! (`stateline_store::limits::shared`: the later change wins; on a tie the removal, then the
//! larger value), inside one transaction under [`crate::changes`]'s order, so two registers
//! pushing the same setting at once both count; a damaged setting is refused before anything is
//! written (the registers' own check); a row changes — and takes the next `change_seq`, so the
//! others read every change — only when the merge changed it, so pushing the same settings again
//! is harmless; a change notifies the other registers (the records channel) when it commits. No
//! audit entry is made here: the register that made a change audited it, and its log reaches the
//! store through [`crate::audit`].

use stateline_store::limits::{LimitSettingKind, SharedLimitSetting};
use tokio_postgres::Row;

use crate::{LinkError, StoreServer};

const COLUMNS: &str = "kind, key, value, removed, changed_at, changed_by";

fn from_row(row: &Row) -> Result<SharedLimitSetting, LinkError> {
    let kind: String = row.get(0);
    Ok(SharedLimitSetting {
        kind: LimitSettingKind::parse(&kind).ok_or_else(|| {
            LinkError::Server(format!(
                "the store holds a limit setting of an unknown kind {kind:?}; update Stateline"
            ))
        })?,
        key: row.get(1),
        value: row.get(2),
        removed: row.get(3),
        changed_at: row.get(4),
        changed_by: row.get(5),
    })
}

impl StoreServer {
    /// Merges this register's limit settings into the store's (see the module doc); returns how
    /// many settings the store changed.
    pub async fn push_limit_settings(
        &mut self,
        register_id: &str,
        settings: &[SharedLimitSetting],
    ) -> Result<usize, LinkError> {
        for setting in settings {
            setting.check()?;
        }
        let label = self.label.clone();
        let pg = |e| LinkError::from_postgres(&label, e);
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await.map_err(pg)?;
        crate::changes::order_changes(&tx).await.map_err(pg)?;
        let current = tx
            .prepare(&format!(
                "SELECT {COLUMNS} FROM limit_settings WHERE kind = $1 AND key = $2 FOR UPDATE"
            ))
            .await
            .map_err(pg)?;
        let upsert = tx
            .prepare(&format!(
                "INSERT INTO limit_settings ({COLUMNS}, register_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value,
                     removed = excluded.removed, changed_at = excluded.changed_at,
                     changed_by = excluded.changed_by, register_id = excluded.register_id,
                     change_seq = nextval('limit_settings_change_seq')"
            ))
            .await
            .map_err(pg)?;
        let mut changed = 0;
        for ours in settings {
            let kind = ours.kind.as_str();
            let stored = tx
                .query_opt(&current, &[&kind, &ours.key])
                .await
                .map_err(pg)?;
            let stored = stored.as_ref().map(from_row).transpose()?;
            let merged = stored
                .as_ref()
                .map_or_else(|| ours.clone(), |theirs| theirs.merged(ours));
            if stored.as_ref() == Some(&merged) {
                continue;
            }
            tx.execute(
                &upsert,
                &[
                    &kind,
                    &merged.key,
                    &merged.value,
                    &merged.removed,
                    &merged.changed_at,
                    &merged.changed_by,
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

    /// The store's limit settings changed after `after` (a `change_seq`), in order, at most
    /// `limit`, with the `change_seq` of the last.
    pub async fn limit_settings_since(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<(Vec<SharedLimitSetting>, i64), LinkError> {
        let rows = self
            .conn()
            .await?
            .query(
                &format!(
                    "SELECT {COLUMNS}, change_seq FROM limit_settings WHERE change_seq > $1
                     ORDER BY change_seq LIMIT $2"
                ),
                &[&after, &limit],
            )
            .await
            .map_err(|e| self.error(e))?;
        let through = rows.last().map_or(after, |r| r.get(6));
        let settings = rows.iter().map(from_row).collect::<Result<_, _>>()?;
        Ok((settings, through))
    }
}

/// What one exchange of limit settings did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LimitSettingsExchanged {
    /// Settings this register's copy changed.
    pub merged_here: usize,
    /// Settings the store changed from this register's push.
    pub merged_there: usize,
}

/// Pulls the store's changes of limit settings and merges them here (each batch with its mark,
/// in one local transaction), then pushes this register's settings when they changed since the
/// last push (a fingerprint in the settings, written after the store committed).
pub async fn exchange_limit_settings(
    db: &stateline_store::Database,
    server: &mut StoreServer,
    batch: u32,
) -> Result<LimitSettingsExchanged, LinkError> {
    use stateline_store::limits::shared::{LIMITS_PUSHED, fingerprint};
    use stateline_tasks::run_blocking;

    let mut exchanged = LimitSettingsExchanged::default();
    loop {
        let reader = db.clone();
        let after =
            run_blocking(move || Ok::<_, LinkError>(reader.limits_pulled_through()?)).await?;
        let (settings, through) = server.limit_settings_since(after, i64::from(batch)).await?;
        if settings.is_empty() {
            break;
        }
        let writer = db.clone();
        exchanged.merged_here += run_blocking(move || {
            Ok::<_, LinkError>(writer.merge_shared_limit_settings(&settings, through)?)
        })
        .await?;
    }
    let reader = db.clone();
    let (settings, pushed) = run_blocking(move || {
        Ok::<_, LinkError>((
            reader.shared_limit_settings()?,
            reader.setting(LIMITS_PUSHED)?,
        ))
    })
    .await?;
    let now = fingerprint(&settings);
    if pushed.as_deref() != Some(now.as_str()) {
        exchanged.merged_there = server
            .push_limit_settings(db.install_id(), &settings)
            .await?;
        let writer = db.clone();
        run_blocking(move || Ok::<_, LinkError>(writer.set_setting(LIMITS_PUSHED, &now)?)).await?;
    }
    Ok(exchanged)
}
