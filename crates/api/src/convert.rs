//! Conversions from the lower crates' types to the IPC shapes (`dto`). Their enums (roles,
//! permissions, record states and kinds, health, area outcomes, key mode) cross the boundary as
//! they are — they derive `TS` — so they cannot drift from the contract; only structs are
//! reshaped here.

use stateline_delivery::status as core_status;
use stateline_keys::validation;
use stateline_store::inventory::packages;
use stateline_store::outbox;
use stateline_store::people::users;

use super::dto;

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
