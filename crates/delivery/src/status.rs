//! The delivery status snapshot: what the status chip, the Sync screen and `stateline queue` show.
//!
//! Guarantees: a snapshot is built from one read of the store plus the engine's in-memory view of
//! why a licence is not in step; it names users (never keys); it is published to subscribers after
//! every change, so no screen polls the database.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use stateline_store::{DeadlineWarning, EntryState, StateCount};

/// Why the register is, or is not, in step with Metrc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Nothing waits, or what waits is being sent normally.
    InStep,
    /// Metrc is rate limiting this register.
    RateLimited,
    /// Metrc answers with errors or its replies are lost.
    MetrcUnavailable,
    /// Metrc cannot be reached at all (no network, DNS, refused).
    Offline,
    /// A user's key (or the facility key) was refused; that user's records wait.
    KeyProblem,
}

impl Health {
    /// The stable code stored in gates and shown to the UI.
    pub fn code(self) -> &'static str {
        match self {
            Self::InStep => "in_step",
            Self::RateLimited => "rate_limited",
            Self::MetrcUnavailable => "metrc_unavailable",
            Self::Offline => "offline",
            Self::KeyProblem => "key_problem",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            Self::InStep,
            Self::RateLimited,
            Self::MetrcUnavailable,
            Self::Offline,
            Self::KeyProblem,
        ]
        .into_iter()
        .find(|h| h.code() == code)
    }
}

/// Counts of entries not yet in Metrc, by state. Confirmed and voided records are history, not
/// backlog, and the store keeps no running count of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCounts {
    pub pending: u64,
    pub sending: u64,
    pub ambiguous: u64,
    pub rejected: u64,
    pub waiting_for_key: u64,
}

impl StateCounts {
    pub fn add(&mut self, state: EntryState, count: u64) {
        let slot = match state {
            EntryState::Pending => &mut self.pending,
            EntryState::Sending => &mut self.sending,
            EntryState::Ambiguous => &mut self.ambiguous,
            EntryState::Rejected => &mut self.rejected,
            EntryState::WaitingForKey => &mut self.waiting_for_key,
            EntryState::Confirmed | EntryState::Voided => return,
        };
        *slot += count;
    }

    /// Records not yet in Metrc and not withdrawn.
    pub fn waiting(&self) -> u64 {
        self.pending + self.sending + self.ambiguous + self.rejected + self.waiting_for_key
    }
}

/// One licence's delivery status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenceStatus {
    pub licence: String,
    pub counts: StateCounts,
    /// When the oldest record still waiting was made.
    pub oldest_waiting_at: Option<Timestamp>,
    /// The state's reporting deadline for that oldest record.
    pub deadline_at: Option<Timestamp>,
    /// How close `deadline_at` is (ok / soon / overdue), from the clock at `at` of the snapshot.
    pub deadline_warning: DeadlineWarning,
    pub health: Health,
    /// Why it is not in step, in words (no secrets).
    pub reason: Option<String>,
    /// No request goes to Metrc for this licence before this time.
    pub blocked_until: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
}

/// One user's records on one licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserStatus {
    pub licence: String,
    pub user: String,
    pub counts: StateCounts,
    /// Set when this user's key was refused: what to do about it.
    pub key_problem: Option<String>,
}

/// Everything a screen needs to show whether the register is in step with Metrc.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusSnapshot {
    pub at: Timestamp,
    /// The worst health over all licences.
    pub health: Health,
    pub licences: Vec<LicenceStatus>,
    pub users: Vec<UserStatus>,
    /// Records waiting over all licences.
    pub waiting: u64,
    pub oldest_waiting_at: Option<Timestamp>,
    /// The earliest reporting deadline among waiting records.
    pub deadline_at: Option<Timestamp>,
    /// The worst deadline warning over all licences.
    pub deadline_warning: DeadlineWarning,
    /// Whether the worker is running.
    pub running: bool,
}

impl StatusSnapshot {
    /// The snapshot before anything is known.
    pub fn starting(at: Timestamp) -> Self {
        Self {
            at,
            health: Health::InStep,
            licences: Vec::new(),
            users: Vec::new(),
            waiting: 0,
            oldest_waiting_at: None,
            deadline_at: None,
            deadline_warning: DeadlineWarning::Ok,
            running: false,
        }
    }
}

/// Groups per-(licence, user, state) counts into per-user statuses.
pub(crate) fn user_statuses(counts: &[StateCount]) -> Vec<UserStatus> {
    let mut users: Vec<UserStatus> = Vec::new();
    for row in counts {
        let position = users
            .iter()
            .position(|u| u.licence == row.licence && u.user == row.acting_user);
        let status = match position {
            Some(i) => &mut users[i],
            None => {
                users.push(UserStatus {
                    licence: row.licence.clone(),
                    user: row.acting_user.clone(),
                    counts: StateCounts::default(),
                    key_problem: None,
                });
                users.last_mut().expect("just pushed")
            }
        };
        status.counts.add(row.state, row.count);
    }
    users
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_codes_round_trip() {
        for health in [
            Health::InStep,
            Health::RateLimited,
            Health::MetrcUnavailable,
            Health::Offline,
            Health::KeyProblem,
        ] {
            assert_eq!(Health::from_code(health.code()), Some(health));
        }
        assert_eq!(Health::from_code("nonsense"), None);
    }

    #[test]
    fn counts_group_by_licence_and_user() {
        let row = |licence: &str, user: &str, state, count| StateCount {
            licence: licence.into(),
            acting_user: user.into(),
            state,
            count,
        };
        let users = user_statuses(&[
            row("L1", "ana", EntryState::Pending, 3),
            row("L1", "ana", EntryState::Rejected, 1),
            row("L1", "ben", EntryState::WaitingForKey, 2),
            row("L2", "ana", EntryState::Confirmed, 5),
        ]);
        assert_eq!(users.len(), 3);
        assert_eq!(users[0].counts.waiting(), 4);
        assert_eq!(users[1].counts.waiting_for_key, 2);
        assert_eq!(users[2].counts.waiting(), 0);
    }
}
