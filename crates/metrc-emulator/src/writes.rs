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

async fn never() -> Response {
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
            never().await
        }
        WriteFaultKind::LostReplyReset => {
            drop(commit(&mut shared.lock()));
            if let Some(c) = conn {
                c.kill();
            }
            never().await
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
                LateReply::Hang => never().await,
                LateReply::Reset => {
                    if let Some(c) = conn {
                        c.kill();
                    }
                    never().await
                }
            }
        }
    }
}
