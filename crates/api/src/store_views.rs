//! The store-wide views (issue #13): the Sync screen's records and the Audit screen's log scoped
//! to the whole store or one register (`store_registers`, `list_store_entries`,
//! `list_store_audit`), the deadlines of every register's open records (`store_deadlines`), and
//! every register's audit chain verified from the store server (`verify_store_audits`, the Store
//! screen's action; the same verification as `stateline store verify-audit`).
//!
//! Guarantees: thin — the records come from `stateline_store::link::store_records` and the
//! deadlines from `stateline_compliance::deadlines`, both read from this register's SQLite, so
//! they answer while cut off and say how fresh the copy is (`as_of`, the last store sync);
//! another register's record is read-only here (no entry id to act on); the audit log of
//! another register and the chains are read from the store server, and a server that cannot be
//! reached fails with its code (`store_server_unreachable`, `store_server_login_refused`,
//! `keychain_*`); a register in no store gets `store_not_joined`; nothing here writes.

use stateline_link::membership;
use stateline_store::link::store_records::{RecordScope, StoreRecord, StoreRecordFilter};
use stateline_store::link::store_registers::KnownRegisters;
use stateline_store::people::audit::AuditVerification;
use stateline_store::people::users::Permission;
use stateline_store::time::from_ms;

use super::dto::{
    AuditEntryView, AuditVerificationView, KnownRegisterView, RegisterChainView,
    RegisterDeadlinesView, StoreAuditChainsView, StoreAuditRequest, StoreAuditView,
    StoreDeadlineView, StoreDeadlinesView, StoreEntriesView, StoreEntryQuery, StoreEntryView,
    StoreRegistersView, StoreScope,
};
use super::{App, convert};
use crate::ApiError;

/// The most deadline rows listed.
const DEADLINE_ROWS: usize = 200;

fn name_of(known: &KnownRegisters, id: &str) -> String {
    known
        .name_of(id)
        .map_or_else(|| id.to_owned(), str::to_owned)
}

fn verification_view(v: AuditVerification) -> (AuditVerificationView, Option<String>) {
    match v {
        AuditVerification::Intact { entries, head_hash } => {
            (AuditVerificationView::Intact { entries, head_hash }, None)
        }
        AuditVerification::Broken { seq, reason } => (
            AuditVerificationView::Broken { seq, reason },
            Some("audit_chain_broken".to_owned()),
        ),
    }
}

impl App {
    /// `store_registers` (anyone logged in): the registers known from this register's copy.
    pub async fn store_registers(&self) -> Result<StoreRegistersView, ApiError> {
        self.current_actor()?;
        let (joined, known) = self
            .db(|db| Ok::<_, ApiError>((membership::joined(db)?.is_some(), db.known_registers()?)))
            .await?;
        let this = self.inner.db.install_id().to_owned();
        Ok(StoreRegistersView {
            joined,
            as_of: known.as_of,
            registers: known
                .registers
                .into_iter()
                .map(|r| KnownRegisterView {
                    this_register: r.id == this,
                    id: r.id,
                    name: r.name,
                    current: r.current,
                })
                .collect(),
            this_register_id: this,
        })
    }

    /// `list_store_entries` (anyone logged in): the Sync screen's records for a scope.
    pub async fn list_store_entries(
        &self,
        req: StoreEntryQuery,
    ) -> Result<StoreEntriesView, ApiError> {
        self.current_actor()?;
        let filter = StoreRecordFilter {
            scope: match req.scope {
                StoreScope::Store => RecordScope::Store,
                StoreScope::Register { register_id } => RecordScope::Register(register_id),
            },
            licence: req.licence,
            acting_user: req.user,
            kind: req.kind.map(Into::into),
            states: req.states.into_iter().map(Into::into).collect(),
            limit: req.limit.unwrap_or(100).clamp(1, 1000),
        };
        let (records, known) = self
            .db(move |db| Ok::<_, ApiError>((db.store_records(&filter)?, db.known_registers()?)))
            .await?;
        let this = self.inner.db.install_id().to_owned();
        let entries = records
            .into_iter()
            .map(|r| match r {
                StoreRecord::Own(e) => StoreEntryView {
                    register_id: this.clone(),
                    register_name: known.name_of(&this).unwrap_or_default().to_owned(),
                    this_register: true,
                    seq: e.id,
                    client_id: e.client_id.clone(),
                    kind: e.kind.into(),
                    licence: e.licence.clone(),
                    acting_user: e.acting_user.clone(),
                    state: Some(e.state.into()),
                    occurred_at: e.occurred_at,
                    own: Some(convert::entry(e)),
                },
                StoreRecord::Peer(p) => StoreEntryView {
                    register_name: name_of(&known, &p.register_id),
                    register_id: p.register_id,
                    this_register: false,
                    own: None,
                    seq: p.local_seq,
                    client_id: p.client_id,
                    kind: p.kind.into(),
                    licence: p.licence,
                    acting_user: p.acting_user,
                    state: p.state.map(Into::into),
                    occurred_at: p.occurred_at,
                },
            })
            .collect();
        Ok(StoreEntriesView {
            as_of: known.as_of,
            entries,
        })
    }

    /// `store_deadlines` (`view_reports`): every register's open records near or past their
    /// reporting deadline.
    pub async fn store_deadlines(&self) -> Result<StoreDeadlinesView, ApiError> {
        self.require(Permission::ViewReports)?;
        let now = self.now();
        let (deadlines, known) = self
            .db(move |db| {
                Ok::<_, ApiError>((
                    stateline_compliance::store_deadlines(db, now, DEADLINE_ROWS)?,
                    db.known_registers()?,
                ))
            })
            .await?;
        Ok(StoreDeadlinesView {
            at: deadlines.at,
            as_of: known.as_of,
            rows: deadlines
                .rows
                .into_iter()
                .map(|r| StoreDeadlineView {
                    register_name: name_of(&known, &r.register_id),
                    register_id: r.register_id,
                    this_register: r.this_register,
                    client_id: r.client_id,
                    kind: r.kind.into(),
                    licence: r.licence,
                    acting_user: r.acting_user,
                    occurred_at: r.occurred_at,
                    state: r.state.map(Into::into),
                    deadline_at: r.deadline_at,
                    warning: r.warning.code().to_owned(),
                })
                .collect(),
            truncated: deadlines.truncated,
            registers: deadlines
                .registers
                .into_iter()
                .map(|r| RegisterDeadlinesView {
                    register_name: name_of(&known, &r.register_id),
                    register_id: r.register_id,
                    this_register: r.this_register,
                    open: r.open,
                    soon: r.soon,
                    overdue: r.overdue,
                })
                .collect(),
        })
    }

    /// `list_store_audit` (`view_reports`): one register's audit log as the store server holds
    /// it, newest first.
    pub async fn list_store_audit(
        &self,
        req: StoreAuditRequest,
    ) -> Result<StoreAuditView, ApiError> {
        self.require(Permission::ViewReports)?;
        let server = self.store_server().await?;
        let limit = i64::from(req.limit.unwrap_or(100).clamp(1, 1000));
        let rows = server
            .audit_rows(
                &req.register_id,
                req.before_seq,
                req.action.as_deref(),
                limit,
            )
            .await?;
        let register_name = match server
            .registers()
            .await?
            .into_iter()
            .find(|r| r.id == req.register_id)
        {
            Some(r) => r.name,
            None => {
                let known = self.db(|db| db.known_registers()).await?;
                name_of(&known, &req.register_id)
            }
        };
        Ok(StoreAuditView {
            register_name,
            entries: rows
                .into_iter()
                .map(|r| AuditEntryView {
                    seq: r.seq,
                    at: from_ms(r.at_ms),
                    actor: r.actor,
                    action: r.action,
                    subject: r.subject,
                    detail: r.detail,
                })
                .collect(),
        })
    }

    /// `verify_store_audits` (`view_reports`): every register's audit chain, verified from the
    /// store server's copy — the same verification as `stateline store verify-audit`.
    pub async fn verify_store_audits(&self) -> Result<StoreAuditChainsView, ApiError> {
        self.require(Permission::ViewReports)?;
        let server = self.store_server().await?;
        let this = self.inner.db.install_id().to_owned();
        let registers: Vec<RegisterChainView> = server
            .verify_every_audit()
            .await?
            .into_iter()
            .map(|chain| {
                let (verification, code) = verification_view(chain.verdict);
                RegisterChainView {
                    this_register: chain.register.id == this,
                    register_id: chain.register.id,
                    register_name: chain.register.name,
                    verification,
                    code,
                }
            })
            .collect();
        Ok(StoreAuditChainsView {
            checked_at: self.now(),
            broken: registers.iter().filter(|r| r.code.is_some()).count() as u64,
            registers,
        })
    }
}
