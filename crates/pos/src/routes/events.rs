//! The stream of record state changes (Server-Sent Events), so a POS can show "reported".
//!
//! Guarantees: each state change of one of the caller's tickets' records is sent once per stream,
//! in the order the changes happened, as event `record` whose id is the change's number (it only
//! grows); a POS that reconnects with `Last-Event-ID` (or `?since=`) gets every change after that
//! id, none missed; the stream wakes on the register's own change signal and looks again every
//! few seconds in case a signal was missed; it ends when the server stops or the integration is
//! revoked.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::Deserialize;
use stateline_store::{Database, EntryState};
use stateline_tasks::StoreCall;
use tokio::sync::{broadcast, watch};
use utoipa::IntoParams;

use super::{ApiState, Caller};
use crate::PosError;
use crate::body::QueryParams;
use crate::dto::RecordView;
use crate::tokens::{self, Scope};

/// How often the stream looks for changes when no signal came.
const LOOK_AGAIN: Duration = Duration::from_secs(5);
/// The most changes read at once.
const PAGE: u32 = 200;

/// Where a stream starts.
#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct Since {
    /// Send changes after this event id (`0` for every change ever); changes from now on when
    /// left out. `Last-Event-ID` wins when both are given.
    since: Option<String>,
}

fn parse_cursor(text: &str) -> Option<i64> {
    text.trim().parse().ok().filter(|id: &i64| *id >= 0)
}

struct Follow {
    db: Database,
    integration: i64,
    source: String,
    cursor: i64,
    changes: broadcast::Receiver<()>,
    ending: watch::Receiver<bool>,
    ready: VecDeque<(String, RecordView)>,
}

impl Follow {
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Follow)> {
        loop {
            if let Some((id, view)) = self.ready.pop_front() {
                let event = Event::default()
                    .event("record")
                    .id(id)
                    .json_data(&view)
                    .unwrap_or_else(|_| Event::default().comment("unreadable record"));
                return Some((Ok(event), self));
            }
            if *self.ending.borrow() {
                return None;
            }
            let (source, cursor, id) = (self.source.clone(), self.cursor, self.integration);
            match self
                .db
                .call(move |db| -> Result<_, PosError> {
                    db.read(|c| tokens::confirm_live(c, id))?;
                    Ok(db.ticket_changes(&source, cursor, PAGE)?)
                })
                .await
            {
                Ok(rows) if !rows.is_empty() => {
                    for row in rows {
                        self.cursor = row.change_id;
                        let mut view = RecordView::of(row.ticket, &row.entry, false);
                        view.state = row.state.into();
                        view.reported = row.state == EntryState::Confirmed;
                        view.state_changed_at = row.at;
                        self.ready.push_back((row.change_id.to_string(), view));
                    }
                    continue;
                }
                Ok(_) => {}
                // Revoked while following: the stream ends (a reconnect is refused).
                Err(PosError::TokenRevoked | PosError::Unauthorized) => return None,
                Err(e) => tracing::warn!(error = %e, "the event stream could not read changes"),
            }
            tokio::select! {
                signal = self.changes.recv() => {
                    if matches!(signal, Err(broadcast::error::RecvError::Closed)) {
                        tokio::time::sleep(LOOK_AGAIN).await;
                    }
                }
                _ = self.ending.changed() => {}
                _ = tokio::time::sleep(LOOK_AGAIN) => {}
            }
        }
    }
}

/// Follow the state changes of this integration's records.
#[utoipa::path(
    get, path = "/v1/events", tag = "records",
    params(Since, ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id")),
    security(("token" = [])),
    responses(
        (status = 200, description = "`text/event-stream`: events named `record` (one per state change), data a RecordView in the state it changed to, id the change's number", content_type = "text/event-stream", body = String),
        (status = 401, description = "No valid token", body = crate::ErrorBody),
        (status = 403, description = "The token has neither `status` nor `record`", body = crate::ErrorBody),
        (status = 422, description = "`since` is not an event id", body = crate::ErrorBody),
    )
)]
pub(crate) async fn get_events(
    State(api): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    QueryParams(since): QueryParams<Since>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PosError> {
    let integration = caller.require_any(&[Scope::Status, Scope::Record], "follow records")?;
    let given = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(since.since);
    let cursor = match given {
        Some(text) => parse_cursor(&text).ok_or_else(|| PosError::BadRequest {
            detail: format!(
                "`since` / Last-Event-ID {text:?} is not an event id; give the id of an event \
                 received, or 0 for every change"
            ),
        })?,
        None => api.ctx.db.call(|db| db.latest_change()).await?,
    };
    let id = integration.id;
    api.ctx
        .db
        .call(move |db| db.read(|c| tokens::confirm_live(c, id)))
        .await?;
    let follow = Follow {
        db: api.ctx.db.clone(),
        integration: integration.id,
        source: integration.ticket_source(),
        cursor,
        changes: api.ctx.host.record_changes(),
        ending: api.ending.clone(),
        ready: VecDeque::new(),
    };
    let stream = futures::stream::unfold(follow, Follow::next);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
