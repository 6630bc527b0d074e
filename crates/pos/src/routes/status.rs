//! The register's status: what waits for Metrc per licence, why sending is paused, and the
//! delivery and store lines the app shows.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use stateline_store::EntryState;
use stateline_tasks::StoreCall;

use super::{ApiState, Caller};
use crate::PosError;
use crate::dto::{LicenceStatus, StatusView};
use crate::tokens::{self, Scope};

/// Read the register's status.
#[utoipa::path(
    get, path = "/v1/status", tag = "status",
    security(("token" = [])),
    responses(
        (status = 200, description = "The register's status now", body = StatusView),
        (status = 401, description = "No valid token", body = crate::ErrorBody),
        (status = 403, description = "The token lacks the `status` scope", body = crate::ErrorBody),
    )
)]
pub(crate) async fn get_status(
    State(api): State<ApiState>,
    caller: Caller,
) -> Result<Json<StatusView>, PosError> {
    let integration = caller.require(Scope::Status, "read the register's status")?;
    let host = api.ctx.host.clone();
    let mut view = api
        .ctx
        .db
        .call(move |db| -> Result<_, PosError> {
            db.read(|c| tokens::confirm_live(c, integration.id))?;
            let mut by_licence: BTreeMap<String, LicenceStatus> = db
                .licences()?
                .into_iter()
                .map(|l| {
                    (
                        l.number.clone(),
                        LicenceStatus {
                            licence: l.number,
                            waiting: 0,
                            waiting_for_key: 0,
                            rejected: 0,
                            confirmed: 0,
                            oldest_waiting: None,
                            paused_because: None,
                        },
                    )
                })
                .collect();
            for count in db.counts(None)? {
                let Some(status) = by_licence.get_mut(&count.licence) else {
                    continue;
                };
                match count.state {
                    s if super::records::waiting(s) => status.waiting += count.count,
                    EntryState::WaitingForKey => status.waiting_for_key += count.count,
                    EntryState::Rejected => status.rejected += count.count,
                    EntryState::Confirmed => status.confirmed += count.count,
                    _ => {}
                }
            }
            let now = db.now();
            for status in by_licence.values_mut() {
                status.oldest_waiting = db.oldest_waiting(&status.licence)?;
                status.paused_because = db
                    .gate(&status.licence)?
                    .filter(|g| g.blocked_until.is_some_and(|until| until > now))
                    .and_then(|g| g.reason);
            }
            let licences: Vec<LicenceStatus> = by_licence.into_values().collect();
            Ok(StatusView {
                waiting_total: licences
                    .iter()
                    .map(|l| l.waiting + l.waiting_for_key + l.rejected)
                    .sum(),
                licences,
                delivery: String::new(),
                store: None,
                as_of: now,
            })
        })
        .await?;
    let lines = host.status_lines();
    view.delivery = lines.delivery;
    view.store = lines.store;
    Ok(Json(view))
}
