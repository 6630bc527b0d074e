//! Conversions from the core's types to the IPC shapes (`dto`). Exhaustive matches, so a new core
//! state or role cannot silently miss the contract.

use super::dto;
use crate::delivery::status as core_status;
use crate::{outbox, packages, users, validation};

impl From<users::Role> for dto::Role {
    fn from(role: users::Role) -> Self {
        match role {
            users::Role::Budtender => dto::Role::Budtender,
            users::Role::Manager => dto::Role::Manager,
        }
    }
}

impl From<dto::Role> for users::Role {
    fn from(role: dto::Role) -> Self {
        match role {
            dto::Role::Budtender => users::Role::Budtender,
            dto::Role::Manager => users::Role::Manager,
        }
    }
}

impl From<users::Permission> for dto::Permission {
    fn from(p: users::Permission) -> Self {
        use users::Permission as P;
        match p {
            P::Sell => dto::Permission::Sell,
            P::SetOwnKey => dto::Permission::SetOwnKey,
            P::Adjust => dto::Permission::Adjust,
            P::MergeOrSplit => dto::Permission::MergeOrSplit,
            P::VoidOrCorrectSale => dto::Permission::VoidOrCorrectSale,
            P::ResolveRejected => dto::Permission::ResolveRejected,
            P::SetOtherKeys => dto::Permission::SetOtherKeys,
            P::ValidateAnyKey => dto::Permission::ValidateAnyKey,
            P::ChooseKeyMode => dto::Permission::ChooseKeyMode,
            P::SendUnderFacilityKey => dto::Permission::SendUnderFacilityKey,
            P::ManageUsers => dto::Permission::ManageUsers,
            P::ChangeSettings => dto::Permission::ChangeSettings,
            P::ViewReports => dto::Permission::ViewReports,
            P::ReconcileWithMetrc => dto::Permission::ReconcileWithMetrc,
            P::RestoreBackup => dto::Permission::RestoreBackup,
        }
    }
}

impl From<outbox::EntryState> for dto::EntryState {
    fn from(s: outbox::EntryState) -> Self {
        use outbox::EntryState as S;
        match s {
            S::Pending => dto::EntryState::Pending,
            S::Sending => dto::EntryState::Sending,
            S::Confirmed => dto::EntryState::Confirmed,
            S::Ambiguous => dto::EntryState::Ambiguous,
            S::Rejected => dto::EntryState::Rejected,
            S::WaitingForKey => dto::EntryState::WaitingForKey,
            S::Voided => dto::EntryState::Voided,
        }
    }
}

impl From<dto::EntryState> for outbox::EntryState {
    fn from(s: dto::EntryState) -> Self {
        use outbox::EntryState as S;
        match s {
            dto::EntryState::Pending => S::Pending,
            dto::EntryState::Sending => S::Sending,
            dto::EntryState::Confirmed => S::Confirmed,
            dto::EntryState::Ambiguous => S::Ambiguous,
            dto::EntryState::Rejected => S::Rejected,
            dto::EntryState::WaitingForKey => S::WaitingForKey,
            dto::EntryState::Voided => S::Voided,
        }
    }
}

impl From<outbox::EntryKind> for dto::EntryKind {
    fn from(k: outbox::EntryKind) -> Self {
        use outbox::EntryKind as K;
        match k {
            K::Sale => dto::EntryKind::Sale,
            K::Adjustment => dto::EntryKind::Adjustment,
            K::NewPackage => dto::EntryKind::NewPackage,
            K::SaleCorrection => dto::EntryKind::SaleCorrection,
            K::SaleVoid => dto::EntryKind::SaleVoid,
        }
    }
}

impl From<dto::EntryKind> for outbox::EntryKind {
    fn from(k: dto::EntryKind) -> Self {
        use outbox::EntryKind as K;
        match k {
            dto::EntryKind::Sale => K::Sale,
            dto::EntryKind::Adjustment => K::Adjustment,
            dto::EntryKind::NewPackage => K::NewPackage,
            dto::EntryKind::SaleCorrection => K::SaleCorrection,
            dto::EntryKind::SaleVoid => K::SaleVoid,
        }
    }
}

impl From<core_status::Health> for dto::Health {
    fn from(h: core_status::Health) -> Self {
        use core_status::Health as H;
        match h {
            H::InStep => dto::Health::InStep,
            H::RateLimited => dto::Health::RateLimited,
            H::MetrcUnavailable => dto::Health::MetrcUnavailable,
            H::Offline => dto::Health::Offline,
            H::KeyProblem => dto::Health::KeyProblem,
        }
    }
}

impl From<&core_status::StateCounts> for dto::StateCounts {
    fn from(c: &core_status::StateCounts) -> Self {
        dto::StateCounts {
            pending: c.pending,
            sending: c.sending,
            ambiguous: c.ambiguous,
            rejected: c.rejected,
            waiting_for_key: c.waiting_for_key,
            waiting: c.waiting(),
        }
    }
}

/// The snapshot as the UI gets it, with the drain progress the facade tracks.
pub(crate) fn sync_status(
    s: &core_status::StatusSnapshot,
    drain: Option<dto::DrainProgress>,
) -> dto::SyncStatus {
    dto::SyncStatus {
        at: s.at,
        health: s.health.into(),
        licences: s
            .licences
            .iter()
            .map(|l| dto::LicenceSync {
                licence: l.licence.clone(),
                counts: (&l.counts).into(),
                oldest_waiting_at: l.oldest_waiting_at,
                deadline_at: l.deadline_at,
                deadline_warning: l.deadline_warning.code().to_owned(),
                health: l.health.into(),
                reason: l.reason.clone(),
                blocked_until: l.blocked_until,
                last_success_at: l.last_success_at,
            })
            .collect(),
        users: s
            .users
            .iter()
            .map(|u| dto::UserSync {
                licence: u.licence.clone(),
                user: u.user.clone(),
                counts: (&u.counts).into(),
                key_problem: u.key_problem.clone(),
            })
            .collect(),
        waiting: s.waiting,
        oldest_waiting_at: s.oldest_waiting_at,
        deadline_at: s.deadline_at,
        deadline_warning: s.deadline_warning.code().to_owned(),
        running: s.running,
        drain,
    }
}

pub(crate) fn package(p: packages::Package) -> dto::PackageView {
    dto::PackageView {
        on_hand: p.on_hand.to_string(),
        metrc_quantity: p.metrc_quantity.to_string(),
        label: p.label,
        licence: p.licence,
        item_name: p.item_name,
        unit_of_measure: p.unit_of_measure,
        local_only: p.local_only,
        last_modified: p.last_modified,
    }
}

pub(crate) fn entry(e: outbox::OutboxEntry) -> dto::EntryView {
    dto::EntryView {
        id: e.id,
        client_id: e.client_id,
        kind: e.kind.into(),
        licence: e.licence,
        acting_user: e.acting_user,
        state: e.state.into(),
        attempts: e.attempts,
        next_attempt_at: e.next_attempt_at,
        last_error: e.last_error,
        occurred_at: e.occurred_at,
        created_at: e.created_at,
        state_changed_at: e.state_changed_at,
        metrc_id: e.metrc_id,
        void_reason: e.void_reason,
        voided_by: e.voided_by,
        depends_on: e.depends_on,
    }
}

pub(crate) fn user(u: users::User) -> dto::UserView {
    dto::UserView {
        name: u.name,
        role: u.role.into(),
        failed_attempts: u.failed_attempts,
        locked: u.locked,
        disabled: u.disabled,
        created_at: u.created_at,
        pin_changed_at: u.pin_changed_at,
    }
}

impl From<validation::AreaOutcome> for dto::AreaOutcome {
    fn from(o: validation::AreaOutcome) -> Self {
        use validation::AreaOutcome as O;
        match o {
            O::Allowed => dto::AreaOutcome::Allowed,
            O::NotAllowed => dto::AreaOutcome::NotAllowed,
            O::NotApplicable => dto::AreaOutcome::NotApplicable,
            O::NotVerifiable => dto::AreaOutcome::NotVerifiable,
            O::CouldNotCheck => dto::AreaOutcome::CouldNotCheck,
        }
    }
}

pub(crate) fn validation(v: validation::KeyValidation) -> dto::KeyValidationView {
    dto::KeyValidationView {
        checked_at: v.checked_at,
        last_four: v.last_four,
        verdict: dto::VerdictView {
            code: v.verdict.code().to_owned(),
            message: v.verdict.message(),
        },
        licences: v
            .licences
            .into_iter()
            .map(|l| dto::LicenceMatrixView {
                licence: l.licence,
                name: l.name,
                reachable: l.reachable,
                detail: l.detail,
                permissions: l.permissions,
                areas: l
                    .areas
                    .into_iter()
                    .map(|a| dto::AreaView {
                        area: format!("{:?}", a.area),
                        label: validation::area_label(a.area).to_owned(),
                        outcome: a.outcome.into(),
                        detail: a.detail,
                    })
                    .collect(),
            })
            .collect(),
    }
}
