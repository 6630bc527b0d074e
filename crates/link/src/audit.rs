//! The `audit_entries` table: every register's audit log, row for row with its hash chain, so a
//! manager verifies any register's chain from the store (issue #13: compliance across the store).
//!
//! Guarantees: rows are copied exactly as the register stored them (the store never rehashes or
//! edits them), append-only and idempotently (a row already there is left as it was — so a row
//! edited at the register after it was copied shows up as a break at the register, not here);
//! the register's mark moves only after the store committed; verification walks the store's copy
//! with the register's own rule (`stateline_store::people::audit::verify_rows`), so a row edited
//! or removed in the store's copy is found too; listing ([`StoreServer::audit_rows`]) reads the
//! copy newest first, for the Audit screen's store scope; nothing here is a secret (the log never
//! holds a key or a PIN).

use stateline_store::Database;
use stateline_store::people::audit::{AuditVerification, ChainRow, verify_rows};
use stateline_tasks::run_blocking;

use crate::{LinkError, Register, StoreServer};

/// One register's audit chain as the store holds it, verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterChain {
    /// The register (every register still in the store).
    pub register: Register,
    /// Intact, or the first entry that does not check out.
    pub verdict: AuditVerification,
}

/// The setting holding the last audit row of this register the store has.
pub const AUDIT_PUSHED_THROUGH: &str = "link.audit_pushed_through";

impl StoreServer {
    /// Copies `rows` of `register_id`'s log (see the module doc); returns how many were new.
    pub async fn push_audit(
        &mut self,
        register_id: &str,
        rows: &[ChainRow],
    ) -> Result<u64, LinkError> {
        let label = self.label.clone();
        let pg = |e| LinkError::from_postgres(&label, e);
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await.map_err(pg)?;
        let insert = tx
            .prepare(
                "INSERT INTO audit_entries (register_id, seq, at_ms, actor, action, subject,
                     detail, prev_hash, hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (register_id, seq) DO NOTHING",
            )
            .await
            .map_err(pg)?;
        let mut new = 0;
        for r in rows {
            new += tx
                .execute(
                    &insert,
                    &[
                        &register_id,
                        &r.seq,
                        &r.at_ms,
                        &r.actor,
                        &r.action,
                        &r.subject,
                        &r.detail,
                        &r.prev_hash,
                        &r.hash,
                    ],
                )
                .await
                .map_err(pg)?;
        }
        tx.commit().await.map_err(pg)?;
        Ok(new)
    }

    /// `register_id`'s rows as the store holds them, newest first: at most `limit`, with a
    /// sequence below `before_seq` (paging) and of `action` when given.
    pub async fn audit_rows(
        &self,
        register_id: &str,
        before_seq: Option<i64>,
        action: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ChainRow>, LinkError> {
        let rows = self
            .conn()
            .await?
            .query(
                "SELECT seq, at_ms, actor, action, subject, detail, prev_hash, hash
                 FROM audit_entries
                 WHERE register_id = $1 AND ($2::BIGINT IS NULL OR seq < $2)
                   AND ($3::TEXT IS NULL OR action = $3)
                 ORDER BY seq DESC LIMIT $4",
                &[&register_id, &before_seq, &action, &limit],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(rows.iter().map(chain_row).collect())
    }

    /// Every register's chain as the store holds it, verified, by register name: what `stateline
    /// store verify-audit` and the Store screen's check report.
    pub async fn verify_every_audit(&self) -> Result<Vec<RegisterChain>, LinkError> {
        let mut chains = Vec::new();
        for register in self.registers().await? {
            let verdict = self.verify_register_audit(&register.id).await?;
            chains.push(RegisterChain { register, verdict });
        }
        Ok(chains)
    }

    /// Verifies `register_id`'s chain as the store holds it.
    pub async fn verify_register_audit(
        &self,
        register_id: &str,
    ) -> Result<AuditVerification, LinkError> {
        let rows = self
            .conn()
            .await?
            .query(
                "SELECT seq, at_ms, actor, action, subject, detail, prev_hash, hash
                 FROM audit_entries WHERE register_id = $1 ORDER BY seq",
                &[&register_id],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(verify_rows(rows.iter().map(chain_row)))
    }
}

fn chain_row(r: &tokio_postgres::Row) -> ChainRow {
    ChainRow {
        seq: r.get(0),
        at_ms: r.get(1),
        actor: r.get(2),
        action: r.get(3),
        subject: r.get(4),
        detail: r.get(5),
        prev_hash: r.get(6),
        hash: r.get(7),
    }
}

/// Copies this register's audit rows the store does not have yet, `batch` at a time; returns
/// how many were new.
pub async fn push_audit(
    db: &Database,
    server: &mut StoreServer,
    batch: u32,
) -> Result<u64, LinkError> {
    let mut pushed = 0;
    loop {
        let reader = db.clone();
        let rows = run_blocking(move || {
            let after = reader
                .setting(AUDIT_PUSHED_THROUGH)?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            Ok::<_, LinkError>(reader.audit_rows_after(after, batch)?)
        })
        .await?;
        let Some(last) = rows.last().map(|r| r.seq) else {
            return Ok(pushed);
        };
        pushed += server.push_audit(db.install_id(), &rows).await?;
        let writer = db.clone();
        run_blocking(move || {
            Ok::<_, LinkError>(writer.set_setting(AUDIT_PUSHED_THROUGH, &last.to_string())?)
        })
        .await?;
    }
}
