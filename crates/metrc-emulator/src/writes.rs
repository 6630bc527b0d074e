//! Running a write (POST/PUT/DELETE) with write faults: lost reply after commit (hang or dropped
//! connection), commit then 500, and late-landing writes.
//!
//! Guarantees: the commit closure runs exactly once (validation included) under the world lock,
//! except for a late write whose commit runs after `delay_ms` in a background task; a write fault
//! fires only for requests that passed authentication and body parsing.

use crate::faults::{LateReply, WriteFaultKind};
use crate::reply::{server_error, unavailable};
use crate::server::ConnHandle;
use crate::state::{Shared, World};
use axum::response::Response;
use std::sync::Arc;
use std::time::Duration;

/// The write itself: validate and apply, returning Metrc's reply.
pub(crate) type Commit = Box<dyn FnOnce(&mut World) -> Response + Send>;

/// How long a "no reply" fault holds a request before dropping its connection, so hung requests
/// (and any rate-limit slot they hold) do not live forever. Clients give up long before this.
pub const HANG_LIMIT: Duration = Duration::from_secs(120);

async fn never(conn: Option<ConnHandle>) -> Response {
    tokio::time::sleep(HANG_LIMIT).await;
    if let Some(c) = conn {
        c.kill();
    }
    std::future::pending::<()>().await;
    server_error()
}

/// Applies `commit`, or misbehaves as the matching write fault says.
pub(crate) async fn run_write(
    shared: &Arc<Shared>,
    conn: Option<ConnHandle>,
    path: &str,
    commit: Commit,
) -> Response {
    let fault = shared.lock().faults.write_fault(path);
    let Some(fault) = fault else {
        let mut world = shared.lock();
        return commit(&mut world);
    };
    tracing::info!(path, ?fault, "write fault fires");
    match fault {
        WriteFaultKind::LostReplyHang => {
            drop(commit(&mut shared.lock()));
            never(conn).await
        }
        WriteFaultKind::LostReplyReset => {
            drop(commit(&mut shared.lock()));
            if let Some(c) = &conn {
                c.kill();
            }
            never(conn).await
        }
        WriteFaultKind::CommitThen500 => {
            drop(commit(&mut shared.lock()));
            server_error()
        }
        WriteFaultKind::LateWrite { delay_ms, reply } => {
            let late = shared.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                let outcome = commit(&mut late.lock());
                tracing::info!(status = outcome.status().as_u16(), "late write landed");
            });
            match reply {
                LateReply::Status500 => server_error(),
                LateReply::Status503 => unavailable(),
                LateReply::Hang => never(conn).await,
                LateReply::Reset => {
                    if let Some(c) = &conn {
                        c.kill();
                    }
                    never(conn).await
                }
            }
        }
    }
}
