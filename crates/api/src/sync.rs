//! The Sync screen: the status snapshot, records by state/licence/user, a record's history, sync
//! now, retry, edit-and-resend of a rejected record, void with a reason, and the backlog chart.
//!
//! Guarantees: state changes go through the outbox's guarded transitions (an illegal one fails
//! with `illegal_transition` and changes nothing); resolving rejected records and voiding need
//! `resolve_rejected` (managers); the store writes the audit row in the same transaction.

use jiff::SignedDuration;
use stateline_store::people::users::Permission;
use stateline_store::{EntryFilter, EntryKind, EntryState, Quantity, RejectedEdit, StoreError};

use super::dto::{
    self, AttemptView, BacklogPoint, BacklogRequest, EditRejectedRequest, EntryHistoryView,
    EntryIdRequest, EntryQuery, EntryView, RecordContent, RejectedEditView, SyncStatus,
    TransitionView, VoidRequest,
};
use super::store::AppTables;
use super::{App, convert};
use crate::ApiError;

impl App {
    /// `sync_status`.
    pub async fn sync_status(&self) -> Result<SyncStatus, ApiError> {
        self.current_actor()?;
        Ok(self.status_now())
    }

    /// `list_entries`.
    pub async fn list_entries(&self, req: EntryQuery) -> Result<Vec<EntryView>, ApiError> {
        self.current_actor()?;
        let filter = EntryFilter {
            licence: req.licence,
            acting_user: req.user,
            states: req.states.into_iter().map(Into::into).collect(),
            kind: req.kind.map(Into::into),
            before_id: req.before_id,
            limit: Some(req.limit.unwrap_or(100).clamp(1, 1000)),
        };
        let entries = self.db(move |db| db.list_entries(&filter)).await?;
        Ok(entries.into_iter().map(convert::entry).collect())
    }

    /// `entry_history`.
    pub async fn entry_history(&self, req: EntryIdRequest) -> Result<EntryHistoryView, ApiError> {
        self.current_actor()?;
        self.db(move |db| -> Result<_, ApiError> {
            let history = db.entry_history(req.id)?;
            let entry = &history.entry;
            let content = match entry.kind {
                EntryKind::Sale => {
                    let sale = db.sale(entry.record_id)?;
                    RecordContent::Sale {
                        lines: sale
                            .current_lines
                            .iter()
                            .map(|l| dto::CartLine {
                                label: l.label.clone(),
                                quantity: l.quantity.to_string(),
                                price: l.total_amount.to_string(),
                            })
                            .collect(),
                        customer_type: sale.customer_type,
                    }
                }
                EntryKind::Adjustment => {
                    let a = db.adjustment(entry.record_id)?;
                    RecordContent::Adjustment {
                        label: a.label,
                        quantity: a.quantity.to_string(),
                        reason: a.reason,
                        note: a.note,
                    }
                }
                kind => RecordContent::Other {
                    summary: format!("{kind} {}", entry.client_id),
                },
            };
            Ok(EntryHistoryView {
                content,
                transitions: history
                    .transitions
                    .into_iter()
                    .map(|t| TransitionView {
                        at: t.at,
                        from: t.from.into(),
                        to: t.to.into(),
                        detail: t.detail,
                    })
                    .collect(),
                attempts: history
                    .attempts
                    .into_iter()
                    .map(|a| AttemptView {
                        at: a.at,
                        outcome: a.outcome.map(|o| o.as_str().to_owned()),
                        http_status: a.http_status,
                        message: a.message,
                    })
                    .collect(),
                entry: convert::entry(history.entry),
            })
        })
        .await
    }

    /// `sync_now`.
    pub async fn sync_now(&self) -> Result<(), ApiError> {
        self.current_actor()?;
        self.wake_worker().await;
        Ok(())
    }

    /// `retry_entry`: a rejected record is resent unchanged (managers); a record waiting for its
    /// maker's key releases that user's records to try the key again.
    pub async fn retry_entry(&self, req: EntryIdRequest) -> Result<EntryView, ApiError> {
        let actor = self.current_actor()?;
        let id = req.id;
        let entry = self.db(move |db| db.entry(id)).await?;
        match entry.state {
            EntryState::Rejected => {
                return self
                    .edit_and_resend(EditRejectedRequest {
                        id,
                        edit: RejectedEditView::Unchanged,
                    })
                    .await;
            }
            EntryState::WaitingForKey => {
                if !entry.acting_user.eq_ignore_ascii_case(actor.name()) {
                    actor.require(Permission::ResolveRejected)?;
                }
                let link = self.link()?;
                link.engine.release_user(&entry.acting_user).await?;
            }
            from => {
                return Err(StoreError::IllegalTransition {
                    id,
                    from,
                    action: "retry",
                }
                .into());
            }
        }
        self.after_entry_change(&entry.licence).await;
        Ok(convert::entry(self.db(move |db| db.entry(id)).await?))
    }

    /// `edit_and_resend` (managers).
    pub async fn edit_and_resend(&self, req: EditRejectedRequest) -> Result<EntryView, ApiError> {
        let actor = self.require(Permission::ResolveRejected)?;
        let now = self.now();
        let by = actor.name().to_owned();
        let entry = self
            .db(move |db| -> Result<_, ApiError> {
                let edit = match req.edit {
                    RejectedEditView::Unchanged => RejectedEdit::Unchanged,
                    RejectedEditView::SaleLines { lines } => {
                        RejectedEdit::SaleLines(super::sell::cart_lines(db, &lines)?)
                    }
                    RejectedEditView::Adjustment {
                        quantity,
                        reason,
                        note,
                    } => RejectedEdit::Adjustment {
                        quantity: Quantity::parse(&quantity)?,
                        reason,
                        note: note.filter(|n| !n.trim().is_empty()),
                    },
                };
                Ok(db.edit_rejected_and_resend(req.id, &edit, &by, now)?)
            })
            .await?;
        self.after_entry_change(&entry.licence).await;
        self.audited("rejected_resent");
        Ok(convert::entry(entry))
    }

    /// `void_entry` (managers): withdraws a record that is certainly not in Metrc.
    pub async fn void_entry(&self, req: VoidRequest) -> Result<EntryView, ApiError> {
        let actor = self.require(Permission::ResolveRejected)?;
        let by = actor.name().to_owned();
        let entry = self
            .db(move |db| {
                db.void_entry(req.id, req.reason.trim(), &by)?;
                db.entry(req.id)
            })
            .await?;
        self.after_entry_change(&entry.licence).await;
        self.audited("record_voided");
        Ok(convert::entry(entry))
    }

    async fn after_entry_change(&self, licence: &str) {
        self.recorded(licence).await;
        if let Ok(link) = self.link() {
            link.engine.publish().await;
        }
    }

    /// `backlog_series`: samples of the backlog over the last hours, ending with the current count.
    pub async fn backlog_series(&self, req: BacklogRequest) -> Result<Vec<BacklogPoint>, ApiError> {
        self.current_actor()?;
        let hours = req.hours.unwrap_or(6).clamp(1, 72);
        let now = self.now();
        let since = now
            .checked_sub(SignedDuration::from_hours(i64::from(hours)))
            .unwrap_or(now);
        let mut points = self.db(move |db| db.backlog_since(since)).await?;
        let current = self.status_now().waiting;
        if points.last().is_none_or(|p| p.waiting != current) {
            points.push(BacklogPoint {
                at: now,
                waiting: current,
            });
        }
        Ok(points)
    }
}

impl App {
    /// Records not yet in Metrc (for the shell's quit check; no session needed).
    pub async fn waiting_records(&self) -> Result<u64, ApiError> {
        let counts = self.db(|db| db.counts(None)).await?;
        Ok(counts
            .iter()
            .filter(|c| !c.state.is_terminal())
            .map(|c| c.count)
            .sum())
    }

    /// Wakes the delivery worker (the tray's "Sync now"; no session needed).
    pub async fn wake_delivery(&self) {
        self.wake_worker().await;
    }
}
