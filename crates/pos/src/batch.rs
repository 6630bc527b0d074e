//! Group commit of the API's sales: sales that arrive while one is being written are recorded
//! together, in one write transaction and one durable commit (`Database::record_sales_for_tickets`),
//! so several tills share a commit instead of queueing for one each.
//!
//! Guarantees: a till is answered only after the transaction holding its sale committed (or with
//! its own refusal: each sale has its own savepoint); the batch is taken from what is already
//! waiting — a lone sale is written at once, never held back for company; a batch whose
//! transaction fails as a whole (the disk) is recorded again one sale at a time, so each till
//! gets its own answer; a batch once begun is written and answered even if the till leading it
//! hangs up; stopping takes no more sales and waits for the batch being written.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::http::StatusCode;
use stateline_store::{Database, StoreError, Ticket};
use stateline_tasks::StoreCall;
use tokio::sync::oneshot;

use crate::PosError;
use crate::dto::{RecordView, SaleRequest};

/// The most sales written in one transaction.
const MAX_BATCH: usize = 64;

/// A till's answer.
pub(crate) type Answer = Result<(StatusCode, RecordView), PosError>;

/// One sale handed to the writer.
pub(crate) struct SaleJob {
    /// The integration whose till sent it.
    pub integration: i64,
    /// Its ticket.
    pub ticket: Ticket,
    /// The request as received.
    pub request: SaleRequest,
    /// Where the answer goes.
    pub reply: oneshot::Sender<Answer>,
}

#[derive(Default)]
struct State {
    /// Sales handed over and not yet taken into a batch.
    waiting: Vec<SaleJob>,
    /// Whether a batch is being written (by the till that found the writer idle: the leader).
    writing: bool,
    /// Set by `stop`: no sale is taken any more.
    stopped: bool,
}

/// Where the API's handlers hand sales over; cheap to clone.
///
/// The till that finds no batch being written leads: it writes its sale at once — with whatever
/// arrived meanwhile — and goes on writing batches while sales keep arriving; the others wait
/// for their answers. So a lone till pays no hand-off, and tills at once share commits.
#[derive(Clone)]
pub(crate) struct SaleWriter {
    db: Database,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for SaleWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaleWriter").finish_non_exhaustive()
    }
}

impl SaleWriter {
    /// A writer on `db`.
    pub fn new(db: Database) -> SaleWriter {
        SaleWriter {
            db,
            state: Arc::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a sale with whatever else is waiting, and answers when it is committed.
    pub async fn record(&self, integration: i64, ticket: Ticket, request: SaleRequest) -> Answer {
        let (reply, answer) = oneshot::channel();
        let lead = {
            let mut state = self.state();
            if state.stopped {
                return Err(PosError::Stopping);
            }
            state.waiting.push(SaleJob {
                integration,
                ticket,
                request,
                reply,
            });
            !std::mem::replace(&mut state.writing, true)
        };
        if lead {
            let mut leading = Leading {
                writer: self.clone(),
                done: false,
            };
            self.lead().await;
            leading.done = true;
        }
        answer.await.unwrap_or(Err(PosError::Stopping))
    }

    /// Writes batches until none is waiting.
    async fn lead(&self) {
        loop {
            let batch = {
                let mut state = self.state();
                if state.waiting.is_empty() {
                    state.writing = false;
                    return;
                }
                let take = state.waiting.len().min(MAX_BATCH);
                state.waiting.drain(..take).collect::<Vec<_>>()
            };
            write(&self.db, batch).await;
        }
    }

    /// Takes no more sales and waits (at most `timeout`) for the batch being written.
    pub async fn stop(&self, timeout: Duration) {
        self.state().stopped = true;
        let deadline = tokio::time::Instant::now() + timeout;
        while self.state().writing && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A leading till's duty: when its call is dropped while it leads (the till hung up), another
/// task takes the lead over, so the sales waiting behind it are still written and answered.
struct Leading {
    writer: SaleWriter,
    done: bool,
}

impl Drop for Leading {
    fn drop(&mut self) {
        if !self.done {
            let writer = self.writer.clone();
            tokio::spawn(async move { writer.lead().await });
        }
    }
}

/// Records `batch` and answers each till, both on the blocking thread: a batch once begun is
/// written and answered even if the leading till hangs up meanwhile.
async fn write(db: &Database, batch: Vec<SaleJob>) {
    let written = db
        .call(move |db| {
            let (replies, work): (Vec<_>, Vec<_>) = batch
                .into_iter()
                .map(|job| (job.reply, (job.integration, job.ticket, job.request)))
                .unzip();
            let answers = crate::routes::record_sales(db, &work);
            for (reply, answer) in replies.into_iter().zip(answers) {
                let _ = reply.send(answer);
            }
            Ok::<_, StoreError>(())
        })
        .await;
    if let Err(e) = written {
        // The tills' answer senders went with the failed call: they are told `api_stopping`.
        tracing::error!(error = %e, "a batch of the local API's sales could not run");
    }
}
