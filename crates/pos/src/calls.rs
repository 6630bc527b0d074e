//! The `integration_calls` table: every call to the local API, by integration, and the owned
//! task that writes them.
//!
//! Guarantees: a call is queued without waiting on the disk (a record call's sale is already
//! committed in its own transaction; the log line follows within [`FLUSH_EVERY`]) and written in
//! batches, one transaction each, which also move each integration's `last_used_at`; stopping the
//! log writes what is queued; lines older than [`KEEP_DAYS`] days are pruned; a call is logged
//! by method, route pattern (never the query string or a body), status and error code only.

use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use stateline_store::time::{from_ms, to_ms};
use stateline_store::{Database, StoreError};
use stateline_tasks::{OwnedTask, StoreCall};
use tokio::sync::mpsc;

/// How often queued call lines are written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// How long call lines are kept.
pub const KEEP_DAYS: i64 = 90;
/// The most lines written in one transaction.
const BATCH: usize = 500;

/// One call to the local API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// The integration, when the token was known.
    pub integration_id: Option<i64>,
    /// When it was answered.
    pub at: Timestamp,
    /// HTTP method.
    pub method: String,
    /// The route pattern (`/v1/records/{ticket_id}`), or the path when no route matched.
    pub route: String,
    /// HTTP status answered.
    pub status: u16,
    /// Error code, for a refusal.
    pub code: Option<String>,
}

/// Where calls are queued; cheap to clone.
#[derive(Debug, Clone)]
pub struct CallLog {
    queue: mpsc::UnboundedSender<Call>,
}

impl CallLog {
    /// Queues a call line.
    pub fn push(&self, call: Call) {
        let _ = self.queue.send(call);
    }
}

/// Starts the writer of the call log; the returned task is its owner.
pub fn start(db: Database) -> (CallLog, OwnedTask) {
    let (queue, mut rx) = mpsc::unbounded_channel::<Call>();
    let task = OwnedTask::spawn(move |mut stop| async move {
        let mut batch = Vec::new();
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        loop {
            tokio::select! {
                _ = &mut stop => break,
                _ = tick.tick() => {}
            }
            while let Ok(call) = rx.try_recv() {
                batch.push(call);
            }
            flush(&db, &mut batch).await;
        }
        rx.close();
        while let Some(call) = rx.recv().await {
            batch.push(call);
        }
        flush(&db, &mut batch).await;
    });
    (CallLog { queue }, task)
}

async fn flush(db: &Database, batch: &mut Vec<Call>) {
    while !batch.is_empty() {
        let rest = batch.split_off(batch.len().min(BATCH));
        let lines = std::mem::replace(batch, rest);
        if let Err(e) = db.call(move |db| write(db, &lines)).await {
            tracing::warn!(error = %e, "the local API's call log could not be written");
        }
    }
}

/// Writes `calls` in one transaction and prunes old lines.
pub fn write(db: &Database, calls: &[Call]) -> Result<(), StoreError> {
    let mut last_used: HashMap<i64, i64> = HashMap::new();
    db.write(|tx| {
        let mut insert = tx.prepare_cached(
            "INSERT INTO integration_calls (integration_id, at, method, route, status, code)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for call in calls {
            let at = to_ms(call.at);
            insert.execute(params![
                call.integration_id,
                at,
                call.method,
                call.route,
                call.status,
                call.code
            ])?;
            if let Some(id) = call.integration_id {
                let seen = last_used.entry(id).or_insert(at);
                *seen = (*seen).max(at);
            }
        }
        for (id, at) in &last_used {
            tx.prepare_cached(
                "UPDATE integrations SET last_used_at = MAX(COALESCE(last_used_at, 0), ?2) WHERE id = ?1",
            )?
            .execute(params![id, at])?;
        }
        if let Some(newest) = calls.iter().map(|c| to_ms(c.at)).max() {
            tx.prepare_cached("DELETE FROM integration_calls WHERE at < ?1")?
                .execute(params![newest - KEEP_DAYS * 24 * 3600 * 1000])?;
        }
        Ok(())
    })
}

/// The latest calls of integration `id` (or of every integration), newest first.
pub fn recent(db: &Database, id: Option<i64>, limit: u32) -> Result<Vec<Call>, StoreError> {
    db.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT integration_id, at, method, route, status, code FROM integration_calls
             WHERE (?1 IS NULL OR integration_id = ?1) ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![id, limit], |r| {
            Ok(Call {
                integration_id: r.get(0)?,
                at: from_ms(r.get(1)?),
                method: r.get(2)?,
                route: r.get(3)?,
                status: r.get(4)?,
                code: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
}
