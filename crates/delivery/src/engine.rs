//! The delivery engine: one pass over every licence — reconcile what might have landed, then
//! drain what is pending, batch by batch, under the right key.
//!
//! Guarantees: every state change is written before the network call that depends on it (a batch
//! is claimed — committed as `sending` — before it is posted); nothing is sent for a licence whose
//! gate is closed; batches never mix licences, kinds or (with individual keys) users; at most
//! `concurrency` write requests are in flight per licence; time comes from the store's injected
//! clock (never going back within a run: a clock jumping back does not lengthen any wait) and
//! randomness from the configured seed, so simulations replay exactly.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jiff::{SignedDuration, Timestamp};
use metrc::{ReadLimiter, ReadLimits};
use rand::SeedableRng;
use rand::rngs::StdRng;
use stateline_keys::{KeyOwner, KeySource, SendingKey};
use stateline_store::{Database, EntryKind, Licence, StoreError};
use stateline_tasks::StoreCall;
use tokio::sync::{Notify, watch};

use super::backoff::BackoffPolicy;
use super::status::{Health, LicenceStatus, StateCounts, StatusSnapshot, user_statuses};
use crate::DeliveryError;

/// Tuning of the delivery engine.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Most records in one write request (Metrc's object limit; a licence may override it).
    pub object_limit: usize,
    /// Most write requests in flight per licence.
    pub concurrency: usize,
    /// How long to wait between two lookups of an ambiguous record before it counts as missing.
    pub settle: SignedDuration,
    pub backoff: BackoffPolicy,
    pub read_limits: ReadLimits,
    /// Seed of the backoff jitter.
    pub seed: u64,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            object_limit: 10,
            concurrency: 4,
            settle: SignedDuration::from_secs(60),
            backoff: BackoffPolicy::default(),
            read_limits: ReadLimits::default(),
            seed: rand::random(),
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Write requests made.
    pub requests: u64,
    pub confirmed: u64,
    pub rejected: u64,
    pub ambiguous: u64,
    /// Lookups made for ambiguous records.
    pub lookups: u64,
    /// Ambiguous records sent again after their lookups missed.
    pub resends: u64,
}

impl PassReport {
    /// Whether anything changed state (another pass may find more to do at once).
    pub fn made_progress(&self) -> bool {
        self.confirmed + self.rejected + self.resends > 0
    }

    pub(crate) fn merge(&mut self, other: &PassReport) {
        self.requests += other.requests;
        self.confirmed += other.confirmed;
        self.rejected += other.rejected;
        self.ambiguous += other.ambiguous;
        self.lookups += other.lookups;
        self.resends += other.resends;
    }
}

/// What the engine remembers between passes (all of it can be rebuilt; none of it is a secret).
#[derive(Debug, Default)]
pub(crate) struct Memory {
    /// (licence, user) → what to do about a refused key.
    pub key_problems: HashMap<(String, String), String>,
    /// licence → the facility key was refused.
    pub facility_key_problem: HashMap<String, String>,
    pub last_success: HashMap<String, Timestamp>,
    /// licence → an object limit learned from a 413.
    pub learned_limits: HashMap<String, usize>,
    /// Why the keys cannot be read now (the keychain is down), as the key source said at the
    /// last pass.
    pub keychain_problem: Option<String>,
    pub running: bool,
}

pub(crate) struct Inner {
    pub db: Database,
    pub client: metrc::MetrcClient,
    pub keys: Arc<dyn KeySource>,
    pub config: DeliveryConfig,
    pub rng: Mutex<StdRng>,
    pub reads: ReadLimiter,
    pub memory: Mutex<Memory>,
    pub status: watch::Sender<StatusSnapshot>,
    /// Wakes the worker's loop (if one runs) when work became sendable outside a pass.
    pub wake: Arc<Notify>,
    pub schedule_clock: Mutex<ScheduleClock>,
}

/// The engine's time. It follows the store's clock forward; when that clock jumps back (a wrong
/// time corrected, a manual change), it carries on from where it was instead, the jump added to
/// every later reading. So a gate closed "until T", a record to retry at T and a lookup spaced
/// from the last one all wait what they were meant to wait, not that plus the jump; and no
/// waiting record is claimed early either. Across a restart the first pass starts the engine's
/// time no earlier than the last time a gate was saved (see [`Self::not_before`]). Records keep
/// their own times (`occurred_at`): what Metrc receives never depends on this; when a record was
/// confirmed and when an attempt was made are recorded in the store's clock
/// ([`DeliveryEngine::recorded_now`]), and what the status shows is turned back into it.
#[derive(Debug, Default)]
pub(crate) struct ScheduleClock {
    last_wall: Option<Timestamp>,
    behind: SignedDuration,
    /// Whether the floor from the saved gates was applied (once, at the first pass).
    floored: bool,
}

impl ScheduleClock {
    /// The engine's time for the store's clock reading `wall`.
    pub(crate) fn at(&mut self, wall: Timestamp) -> Timestamp {
        if let Some(last) = self.last_wall
            && wall < last
        {
            let back = last.duration_since(wall);
            self.behind += back;
            tracing::warn!(%last, %wall, "the clock went back; delivery waits keep their length");
        }
        self.last_wall = Some(wall);
        wall.checked_add(self.behind).unwrap_or(wall)
    }

    /// Moves the engine's time forward to `floor` if it is behind it: the time a previous run
    /// saved a gate, so a clock that went back while the register was closed does not lengthen
    /// that gate's wait, nor the retry times of the records it held back.
    pub(crate) fn not_before(&mut self, floor: Timestamp, wall: Timestamp) {
        let now = self.at(wall);
        if floor > now {
            self.behind += floor.duration_since(now);
            tracing::warn!(%floor, %wall, "the clock is behind the last delivery gate; delivery waits keep their length");
        }
    }

    /// A time of the engine's as the store's clock reads it now (for what a person is shown).
    pub(crate) fn shown(&self, at: Timestamp) -> Timestamp {
        at.checked_sub(self.behind).unwrap_or(at)
    }
}

/// The delivery engine: a cheap, cloneable handle.
#[derive(Clone)]
pub struct DeliveryEngine {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for DeliveryEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryEngine")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// A stream of batches to send: one kind, one key, one user (or all users under a facility key).
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub kind: EntryKind,
    pub user: Option<String>,
    pub key: SendingKey,
}

/// The order in which kinds are drained within a pass: what creates packages first, what
/// changes recorded sales last.
const KIND_ORDER: [EntryKind; 5] = [
    EntryKind::NewPackage,
    EntryKind::Sale,
    EntryKind::Adjustment,
    EntryKind::SaleCorrection,
    EntryKind::SaleVoid,
];

impl DeliveryEngine {
    pub fn new(
        db: Database,
        client: metrc::MetrcClient,
        keys: Arc<dyn KeySource>,
        config: DeliveryConfig,
    ) -> Self {
        let now = db.now();
        let (status, _) = watch::channel(StatusSnapshot::starting(now));
        Self {
            inner: Arc::new(Inner {
                rng: Mutex::new(StdRng::seed_from_u64(config.seed)),
                reads: ReadLimiter::new(config.read_limits),
                db,
                client,
                keys,
                config,
                memory: Mutex::new(Memory::default()),
                status,
                wake: Arc::new(Notify::new()),
                schedule_clock: Mutex::new(ScheduleClock::default()),
            }),
        }
    }

    /// Wakes the worker's loop now (a record was made, a key released records, a person pressed
    /// "sync now"); a wake while a pass runs is kept, so the loop passes once more.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    pub fn database(&self) -> &Database {
        &self.inner.db
    }

    /// The engine's GET limiter, for other readers of Metrc (inventory refresh, manifests) to
    /// share, so all of the register's GETs stay under Metrc's limits together.
    pub fn read_limiter(&self) -> ReadLimiter {
        self.inner.reads.clone()
    }

    /// The engine's time: the store's clock, except that it never goes back (see
    /// [`ScheduleClock`]); gates, retry times and lookup spacing are all measured in it.
    pub(crate) fn now(&self) -> Timestamp {
        let wall = self.inner.db.now();
        self.schedule_clock().at(wall)
    }

    /// The store's clock as it reads now: for what is recorded and shown (when a record was
    /// confirmed, when an attempt was made), which must agree with every other time the register
    /// records (a patient reading's, an audit entry's) even after the clock went back.
    pub(crate) fn recorded_now(&self) -> Timestamp {
        let _ = self.now();
        self.inner.db.now()
    }

    fn schedule_clock(&self) -> MutexGuard<'_, ScheduleClock> {
        self.inner
            .schedule_clock
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn rng(&self) -> MutexGuard<'_, StdRng> {
        self.inner
            .rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn memory(&self) -> MutexGuard<'_, Memory> {
        self.inner
            .memory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs a store call off the async threads.
    pub(crate) async fn db<R, E, F>(&self, call: F) -> Result<R, DeliveryError>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
        DeliveryError: From<E>,
        F: FnOnce(&Database) -> Result<R, E> + Send + 'static,
    {
        Ok(self.inner.db.call(call).await?)
    }

    /// Subscribe to status snapshots (the current one is available at once).
    pub fn subscribe(&self) -> watch::Receiver<StatusSnapshot> {
        self.inner.status.subscribe()
    }

    /// The latest published snapshot.
    pub fn status(&self) -> StatusSnapshot {
        self.inner.status.borrow().clone()
    }

    /// At start-up: anything left `sending` by a previous run might have landed; it becomes
    /// ambiguous and is looked up before any resend.
    pub async fn recover(&self) -> Result<usize, DeliveryError> {
        let recovered = self.db(|db| db.recover_sending_on_start()).await?;
        if recovered > 0 {
            tracing::warn!(
                recovered,
                "records left mid-send by the last run will be looked up"
            );
        }
        Ok(recovered)
    }

    /// A user's key was replaced (or a manager asked to retry): that user's waiting records go
    /// back to pending, with their original times.
    pub async fn release_user(&self, user: &str) -> Result<usize, DeliveryError> {
        let owned = user.to_owned();
        let released = self
            .db(move |db| db.release_waiting_for_key(&owned))
            .await?;
        self.memory().key_problems.retain(|(_, u), _| u != user);
        self.publish().await;
        if released > 0 {
            self.wake();
        }
        Ok(released)
    }

    /// The facility key was replaced: its gate problems are forgotten.
    pub async fn facility_key_replaced(&self) -> Result<(), DeliveryError> {
        let licences: Vec<String> = self
            .memory()
            .facility_key_problem
            .drain()
            .map(|(l, _)| l)
            .collect();
        for licence in licences {
            self.db(move |db| db.clear_gate(&licence)).await?;
        }
        self.publish().await;
        self.wake();
        Ok(())
    }

    /// One pass over every licence. Returns what it did.
    pub async fn run_once(&self) -> Result<PassReport, DeliveryError> {
        let licences = self.db(|db| db.licences()).await?;
        self.floor_clock(&licences).await?;
        let mut report = PassReport::default();
        for licence in &licences {
            let licence_report = self.run_licence(licence).await?;
            report.merge(&licence_report);
        }
        self.publish().await;
        Ok(report)
    }

    /// At the first pass: the engine's time starts no earlier than the last saved gate (see
    /// [`ScheduleClock::not_before`]).
    async fn floor_clock(&self, licences: &[Licence]) -> Result<(), DeliveryError> {
        if self.schedule_clock().floored {
            return Ok(());
        }
        let numbers: Vec<String> = licences.iter().map(|l| l.number.clone()).collect();
        let latest = self
            .db(move |db| -> Result<_, StoreError> {
                let mut latest = None;
                for number in &numbers {
                    let saved = db.gate(number)?.map(|g| g.updated_at);
                    latest = latest.max(saved);
                }
                Ok(latest)
            })
            .await?;
        let wall = self.inner.db.now();
        let mut clock = self.schedule_clock();
        if let Some(floor) = latest {
            clock.not_before(floor, wall);
        }
        clock.floored = true;
        Ok(())
    }

    async fn run_licence(&self, licence: &Licence) -> Result<PassReport, DeliveryError> {
        let mut report = PassReport::default();
        if self
            .gate_closed_until(&licence.number, self.now())
            .await?
            .is_some()
        {
            return Ok(report);
        }
        self.reconcile(licence, &mut report).await?;
        if self
            .gate_closed_until(&licence.number, self.now())
            .await?
            .is_some()
        {
            return Ok(report);
        }
        let groups = self.groups(licence).await?;
        if groups.is_empty() {
            return Ok(report);
        }
        let queue = WorkQueue::new(groups);
        let workers =
            (0..self.inner.config.concurrency.max(1)).map(|_| self.drain(licence, &queue));
        for worker_report in futures::future::join_all(workers).await {
            report.merge(&worker_report?);
        }
        Ok(report)
    }

    /// One of `concurrency` cooperating loops: take a group, claim a batch, put the group back,
    /// send the batch; stop when nothing is left or the gate closes.
    async fn drain(
        &self,
        licence: &Licence,
        queue: &WorkQueue,
    ) -> Result<PassReport, DeliveryError> {
        let mut report = PassReport::default();
        while let Some(group) = queue.take().await {
            let now = self.now();
            let closed = self.gate_closed_until(&licence.number, now).await;
            if !matches!(closed, Ok(None)) {
                queue.done();
                return closed.map(|_| report);
            }
            let limit = self.batch_limit(licence, group.kind);
            let (number, kind, user) = (licence.number.clone(), group.kind, group.user.clone());
            let claimed = self
                .db(move |db| db.claim_batch(&number, kind, user.as_deref(), limit, now))
                .await;
            let batch = match claimed {
                Ok(batch) if !batch.is_empty() => batch,
                Ok(_) => {
                    queue.done();
                    continue;
                }
                Err(error) => {
                    queue.done();
                    return Err(error);
                }
            };
            crate::crash::point(crate::crash::AFTER_CLAIM_BEFORE_SEND);
            // The group goes back at once so another loop can claim its next batch while this
            // one is in flight: one budtender's backlog also drains `concurrency` requests at a
            // time. Same-kind records commute (causal order only holds between kinds), and a
            // failure stops the other loops through the gate or by parking the user's records.
            let key = group.key.clone();
            queue.put_back(group);
            self.send_batch(licence, &key, batch, &mut report).await?;
            self.publish_throttled().await;
        }
        Ok(report)
    }

    fn batch_limit(&self, licence: &Licence, kind: EntryKind) -> usize {
        if kind == EntryKind::SaleVoid {
            return 1;
        }
        let configured = licence
            .object_limit
            .map_or(self.inner.config.object_limit, |l| l as usize);
        let learned = self.memory().learned_limits.get(&licence.number).copied();
        learned.map_or(configured, |l| l.min(configured)).max(1)
    }

    /// The groups with pending work on this licence, each with the key it goes under. Users
    /// without a usable key have their records moved to `waiting_for_key` here.
    async fn groups(&self, licence: &Licence) -> Result<Vec<Group>, DeliveryError> {
        let number = licence.number.clone();
        let users = self.db(move |db| db.pending_users(&number)).await?;
        let across_users = self.inner.keys.batches_across_users();
        let mut groups = Vec::new();
        let mut facility_group_added = false;
        let unreadable = self.inner.keys.unreadable();
        self.memory().keychain_problem = unreadable.clone();
        for user in users {
            let Some(key) = self.inner.keys.key_for(&user) else {
                if let Some(why) = &unreadable {
                    // Not known to have no key: the keychain cannot be read. The records stay
                    // pending and go once the keys can be read again.
                    tracing::warn!(licence = %licence.number, user, %why, "records wait for the keychain");
                    continue;
                }
                self.park_user(
                    licence,
                    &user,
                    "has no Metrc key on this register: paste the key to send these records",
                )
                .await?;
                continue;
            };
            let shared = across_users && key.owner == KeyOwner::Facility;
            if shared && facility_group_added {
                continue;
            }
            facility_group_added |= shared;
            for kind in KIND_ORDER {
                groups.push(Group {
                    kind,
                    user: if shared { None } else { Some(user.clone()) },
                    key: key.clone(),
                });
            }
        }
        Ok(groups)
    }

    /// Moves a user's pending records on a licence to `waiting_for_key` and remembers why.
    pub(crate) async fn park_user(
        &self,
        licence: &Licence,
        user: &str,
        why: &str,
    ) -> Result<(), DeliveryError> {
        let (number, owned) = (licence.number.clone(), user.to_owned());
        let parked = self
            .db(move |db| db.mark_waiting_for_key(&owned, Some(&number)))
            .await?;
        tracing::warn!(licence = %licence.number, user, parked, "records wait for a key");
        self.memory().key_problems.insert(
            (licence.number.clone(), user.to_owned()),
            format!("{user} {why}"),
        );
        Ok(())
    }

    /// Builds and publishes a status snapshot.
    pub async fn publish(&self) {
        match self.snapshot().await {
            Ok(snapshot) => {
                self.inner.status.send_replace(snapshot);
            }
            Err(error) => tracing::warn!(%error, "could not build the delivery status"),
        }
    }

    async fn publish_throttled(&self) {
        let last = self.inner.status.borrow().at;
        if self.inner.db.now().duration_since(last) >= SignedDuration::from_millis(500) {
            self.publish().await;
        }
    }

    async fn snapshot(&self) -> Result<StatusSnapshot, DeliveryError> {
        // Gates are in the engine's time; what a person reads is in the store's clock.
        let now = self.now();
        let wall = self.inner.db.now();
        let (licences, counts, gates, oldest) = self
            .db(|db| -> Result<_, StoreError> {
                let licences = db.licences()?;
                let counts = db.counts(None)?;
                let mut gates = HashMap::new();
                let mut oldest = HashMap::new();
                for licence in &licences {
                    gates.insert(licence.number.clone(), db.gate(&licence.number)?);
                    oldest.insert(licence.number.clone(), db.oldest_waiting(&licence.number)?);
                }
                Ok((licences, counts, gates, oldest))
            })
            .await?;
        let memory = self.memory();
        let mut users = user_statuses(&counts);
        for user in &mut users {
            user.key_problem = memory
                .key_problems
                .get(&(user.licence.clone(), user.user.clone()))
                .cloned();
        }
        let mut statuses = Vec::new();
        for licence in licences {
            let mut counts_here = StateCounts::default();
            for row in counts.iter().filter(|c| c.licence == licence.number) {
                counts_here.add(row.state, row.count);
            }
            let gate = gates.get(&licence.number).cloned().flatten();
            let blocked_until = gate
                .as_ref()
                .and_then(|g| g.blocked_until)
                .filter(|u| *u > now);
            let gate_health = blocked_until
                .and(gate.as_ref().and_then(|g| g.reason.as_deref()))
                .and_then(Health::from_code);
            let user_problem = users.iter().find(|u| {
                u.licence == licence.number
                    && u.key_problem.is_some()
                    && u.counts.waiting_for_key > 0
            });
            let keychain_problem = memory
                .keychain_problem
                .as_ref()
                .filter(|_| counts_here.pending > 0)
                .map(|why| {
                    format!(
                        "The keychain cannot be read ({why}). Selling continues; records are kept and sent once it can."
                    )
                });
            let facility_problem = memory
                .facility_key_problem
                .get(&licence.number)
                .or(keychain_problem.as_ref());
            let (health, reason) = match (gate_health, facility_problem, user_problem) {
                (_, Some(problem), _) => (Health::KeyProblem, Some(problem.clone())),
                (Some(health), _, _) => (health, Some(health_reason(health))),
                (None, None, Some(user)) => (Health::KeyProblem, user.key_problem.clone()),
                (None, None, None) => (Health::InStep, None),
            };
            let oldest_waiting_at = oldest.get(&licence.number).copied().flatten();
            let deadline_at = oldest_waiting_at.and_then(|at| {
                at.checked_add(SignedDuration::from_hours(i64::from(
                    licence.reporting_deadline_hours,
                )))
                .ok()
            });
            statuses.push(LicenceStatus {
                counts: counts_here,
                oldest_waiting_at,
                deadline_at,
                deadline_warning: stateline_store::DeadlineWarning::at(
                    deadline_at,
                    licence.reporting_deadline_hours,
                    wall,
                ),
                health,
                reason,
                blocked_until: blocked_until.map(|u| self.schedule_clock().shown(u)),
                last_success_at: memory.last_success.get(&licence.number).copied(),
                licence: licence.number,
            });
        }
        Ok(StatusSnapshot {
            at: wall,
            health: statuses
                .iter()
                .map(|s| s.health)
                .max()
                .unwrap_or(Health::InStep),
            waiting: statuses.iter().map(|s| s.counts.waiting()).sum(),
            oldest_waiting_at: statuses.iter().filter_map(|s| s.oldest_waiting_at).min(),
            deadline_at: statuses.iter().filter_map(|s| s.deadline_at).min(),
            deadline_warning: statuses
                .iter()
                .map(|s| s.deadline_warning)
                .max()
                .unwrap_or(stateline_store::DeadlineWarning::Ok),
            licences: statuses,
            users,
            running: memory.running,
        })
    }

    pub(crate) fn set_running(&self, running: bool) {
        self.memory().running = running;
    }
}

/// The health in words (the next try is `blocked_until` beside it, for each screen to show in its
/// licence's time zone).
fn health_reason(health: Health) -> String {
    let what = match health {
        Health::InStep => "In step with Metrc.",
        Health::Offline => {
            "Metrc cannot be reached (no network). Selling continues; records are kept and sent when the connection is back."
        }
        Health::MetrcUnavailable => {
            "Metrc is not answering properly. Selling continues; records are kept, checked and sent when Metrc recovers."
        }
        Health::RateLimited => {
            "Metrc asked this register to slow down. Records are sent as fast as Metrc allows."
        }
        Health::KeyProblem => "A Metrc key was refused.",
    };
    what.to_owned()
}

/// The groups a pass still has to look at, shared by the cooperating drain loops. A loop that
/// finds it empty waits while another loop holds a group (it will come back with more work) and
/// ends only when the queue is empty and no group is held.
struct WorkQueue {
    state: Mutex<(VecDeque<Group>, usize)>,
}

impl WorkQueue {
    fn new(groups: Vec<Group>) -> Self {
        Self {
            state: Mutex::new((groups.into(), 0)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, (VecDeque<Group>, usize)> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next group, or `None` when the pass is over. The caller must `put_back` or `done`.
    async fn take(&self) -> Option<Group> {
        loop {
            {
                let mut state = self.lock();
                if let Some(group) = state.0.pop_front() {
                    state.1 += 1;
                    return Some(group);
                }
                if state.1 == 0 {
                    return None;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }

    fn put_back(&self, group: Group) {
        let mut state = self.lock();
        state.0.push_back(group);
        state.1 -= 1;
    }

    fn done(&self) {
        self.lock().1 -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a time")
    }

    #[test]
    fn the_engine_time_never_goes_back_and_waits_keep_their_length() {
        let mut clock = ScheduleClock::default();
        assert_eq!(
            clock.at(at("2026-11-22T18:00:00Z")),
            at("2026-11-22T18:00:00Z")
        );
        // The clock goes back an hour: the engine carries on from where it was.
        assert_eq!(
            clock.at(at("2026-11-22T17:00:00Z")),
            at("2026-11-22T18:00:00Z")
        );
        assert_eq!(
            clock.at(at("2026-11-22T17:00:30Z")),
            at("2026-11-22T18:00:30Z")
        );
        assert_eq!(
            clock.shown(at("2026-11-22T18:00:30Z")),
            at("2026-11-22T17:00:30Z")
        );
    }

    #[test]
    fn a_restarted_engine_starts_no_earlier_than_the_last_gate() {
        let mut clock = ScheduleClock::default();
        clock.not_before(at("2026-11-22T18:00:00Z"), at("2026-11-22T17:00:00Z"));
        assert_eq!(
            clock.at(at("2026-11-22T17:00:10Z")),
            at("2026-11-22T18:00:10Z")
        );
        let mut ahead = ScheduleClock::default();
        ahead.not_before(at("2026-11-22T16:00:00Z"), at("2026-11-22T17:00:00Z"));
        assert_eq!(
            ahead.at(at("2026-11-22T17:00:10Z")),
            at("2026-11-22T17:00:10Z")
        );
    }
}
