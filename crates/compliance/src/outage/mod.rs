//! The outage report: every record made while the register was not in step with Metrc, when it
//! was made, by whom, why it waited, when Metrc accepted it and how late that was.
//!
//! **Not in step**, precisely: a record (outbox entry) made in the report's period counts as made
//! while the register was not in step with Metrc unless it was *delivered promptly on its first
//! attempt*, that is: its first logged attempt happened no later than `prompt_within` (default
//! five minutes) after the record was made (`created_at`) **and** that attempt's outcome was
//! `confirmed`. So the report holds records whose first attempt failed (not sent, might have
//! landed, key refused, rate limited, refused by Metrc), records whose first attempt came late
//! because nothing could be sent (the licence's gate was closed, the user's key was missing, the
//! sync was not running), records still waiting longer than `prompt_within` at the report time,
//! and records withdrawn before Metrc accepted them. A record delivered promptly on its first
//! attempt is still in the report when the licence was out of step while it waited: when it was
//! made, the licence's latest attempt had failed for want of Metrc (offline, Metrc unavailable,
//! rate limited), or such a failure was logged between its making and its first attempt (a short
//! outage whose records were sent, all at once, as soon as it ended).
//!
//! **Why it waited** is derived from the append-only logs, never guessed: the record's own
//! attempts (`not_sent` → offline, or Metrc unavailable on a 404; `ambiguous` → Metrc
//! unavailable; `key_problem`; `rate_limited`; `rejected`; failed lookups by their HTTP status),
//! its `waiting_for_key` transitions in `outbox_history`, and — for the time before its first
//! attempt — the failed attempts of other records of the same licence (that is what kept the gate
//! closed). When none of these explain a delay the reason is `queued` (no delivery ran).
//!
//! **How late**: the deadline is the time the record was made plus the licence's
//! `reporting_deadline_hours`; lateness is Metrc's acceptance (the `confirmed` transition) minus
//! the deadline, or, for a record still waiting, the report time minus the deadline.
//!
//! **Across the store** (issue #13): a register in a store also reports the other registers'
//! records from its copy of them (`peer_records`), each row naming its register. Their attempt
//! logs stay at their registers, so a record of another register is in the report when, as its
//! register last told the store, it was not with Metrc `prompt_within` after it was made — still
//! waiting, refused, or withdrawn, or confirmed later than that (with when Metrc accepted it, by
//! its register's clock, and how late) — its reason being what its state says (waiting for a key
//! → key problem, refused → rejected, might have landed → Metrc unavailable; otherwise none, and
//! that register's own report has the details, including records sent promptly while its
//! licence was out of step). A record of a licence not bound at this register is left out (its
//! time zone and deadline are not known here).
//!
//! **Why each sale was allowed** (issue #14): each of this register's sale rows carries the
//! purchase-limit check made when it was recorded (`sale_limit_checks`) — the rules and their
//! version, whose sales the windows summed and as of when, every total against its limit, the
//! patient reading used and its age, the store's overrides and any manager's approval — so an
//! inspector sees why a sale made offline was allowed.
//!
//! Guarantees: read-only; this register's rows from one consistent snapshot, the other
//! registers' from the copy as of the last store sync; rows in the order records were made;
//! names and reasons only (never a key). CSV and HTML renderings are in [`render`].

pub mod render;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use stateline_store::limits::LimitEvidence;
use stateline_store::link::peer_records::{PeerEntry, PeerFilter};
use stateline_store::outbox::attempts::{self, AttemptOutcome};
use stateline_store::outbox::{EntryKind, EntryState};
use stateline_store::time::{from_ms, to_ms};
use stateline_store::{Database, StoreError};

use crate::ComplianceError;

/// Why a record waited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    /// Metrc could not be reached (no network, DNS, refused connection).
    Offline,
    /// Metrc answered with errors, or its replies were lost.
    MetrcUnavailable,
    /// A Metrc key was refused or missing.
    KeyProblem,
    /// Metrc slowed this register down.
    RateLimited,
    /// Metrc refused the record; a person had to fix it.
    Rejected,
    /// Nothing was sent for a while with no failure logged (no delivery ran).
    Queued,
}

impl WaitReason {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            WaitReason::Offline => "offline",
            WaitReason::MetrcUnavailable => "metrc_unavailable",
            WaitReason::KeyProblem => "key_problem",
            WaitReason::RateLimited => "rate_limited",
            WaitReason::Rejected => "rejected",
            WaitReason::Queued => "queued",
        }
    }
}

/// What to report on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutageQuery {
    /// Records made at or after this time.
    pub from: Timestamp,
    /// Records made before this time.
    pub to: Timestamp,
    /// Only this licence.
    pub licence: Option<String>,
    /// How soon a first, successful attempt must follow a record to count as in step.
    pub prompt_within: SignedDuration,
}

impl OutageQuery {
    /// Records made in `[from, to)`, every licence, five minutes' grace.
    pub fn new(from: Timestamp, to: Timestamp) -> Self {
        Self {
            from,
            to,
            licence: None,
            prompt_within: SignedDuration::from_mins(5),
        }
    }
}

/// One record made while not in step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutageRow {
    pub entry_id: i64,
    /// The record's client id (its ExternalReceiptNumber or note token).
    pub client_id: String,
    pub kind: EntryKind,
    pub licence: String,
    /// The licence's IANA time zone (for local display).
    pub time_zone: String,
    /// When it happened.
    pub made_at: Timestamp,
    /// When it was recorded here.
    pub recorded_at: Timestamp,
    /// Who made it.
    pub made_by: String,
    /// Why it waited, most specific first.
    pub reasons: Vec<WaitReason>,
    /// Send attempts (lookups not counted).
    pub attempts: u32,
    /// When Metrc accepted it (`None`: not yet, or withdrawn).
    pub accepted_at: Option<Timestamp>,
    /// Its reporting deadline.
    pub deadline_at: Timestamp,
    /// How late Metrc's acceptance was (or, still waiting, how overdue it is now); zero if on time.
    pub late_by: SignedDuration,
    pub state: EntryState,
    /// The register that made it (its install id).
    pub register_id: String,
    /// That register's name in the store (empty when this register is in no store).
    pub register: String,
    /// Whether this register made it (the other registers' rows come from the pulled copy).
    pub this_register: bool,
    /// For this register's sales: the purchase-limit check made when it was recorded, in one
    /// line (the rules, whose sales were summed, each total, the patient reading and approvals
    /// used); empty for other records and other registers' (their report has it).
    pub limit_check: String,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutageReport {
    pub from: Timestamp,
    pub to: Timestamp,
    pub licence: Option<String>,
    pub generated_at: Timestamp,
    pub rows: Vec<OutageRow>,
}

struct Candidate {
    id: i64,
    client_id: String,
    kind: EntryKind,
    licence: String,
    time_zone: String,
    deadline_hours: i64,
    made_at: Timestamp,
    recorded_at: Timestamp,
    made_by: String,
    state: EntryState,
    limit_check: String,
}

fn candidates(conn: &Connection, q: &OutageQuery) -> Result<Vec<Candidate>, ComplianceError> {
    let mut stmt = conn.prepare_cached(
        "SELECT o.id, o.client_id, o.kind, o.licence, l.time_zone, l.reporting_deadline_hours,
                o.occurred_at, o.created_at, o.acting_user, o.state, k.evidence
         FROM outbox o JOIN licences l ON l.number = o.licence
         LEFT JOIN sale_limit_checks k ON o.kind = 'sale' AND k.sale_id = o.record_id
         WHERE o.occurred_at >= ?1 AND o.occurred_at < ?2 AND (?3 IS NULL OR o.licence = ?3)
         ORDER BY o.occurred_at, o.id",
    )?;
    let rows = stmt
        .query_map(
            params![to_ms(q.from), to_ms(q.to), q.licence.as_deref()],
            |r| {
                let recorded_at: i64 = r.get(7)?;
                Ok(Candidate {
                    id: r.get(0)?,
                    client_id: r.get(1)?,
                    kind: r.get(2)?,
                    licence: r.get(3)?,
                    time_zone: r.get(4)?,
                    deadline_hours: r.get(5)?,
                    made_at: from_ms(r.get(6)?),
                    recorded_at: from_ms(r.get(7)?),
                    made_by: r.get(8)?,
                    state: r.get(9)?,
                    limit_check: r
                        .get::<_, Option<String>>(10)?
                        .and_then(|text| serde_json::from_str::<LimitEvidence>(&text).ok())
                        .map(|e| e.summary(from_ms(recorded_at)))
                        .unwrap_or_default(),
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

fn reason_of(outcome: AttemptOutcome, status: Option<u16>) -> Option<WaitReason> {
    match outcome {
        AttemptOutcome::NotSent if status == Some(404) => Some(WaitReason::MetrcUnavailable),
        AttemptOutcome::NotSent => Some(WaitReason::Offline),
        AttemptOutcome::Ambiguous => Some(WaitReason::MetrcUnavailable),
        AttemptOutcome::KeyProblem => Some(WaitReason::KeyProblem),
        AttemptOutcome::RateLimited => Some(WaitReason::RateLimited),
        AttemptOutcome::Rejected => Some(WaitReason::Rejected),
        AttemptOutcome::LookupFailed => Some(match status {
            None => WaitReason::Offline,
            Some(401 | 403) => WaitReason::KeyProblem,
            Some(429) => WaitReason::RateLimited,
            Some(_) => WaitReason::MetrcUnavailable,
        }),
        AttemptOutcome::Confirmed
        | AttemptOutcome::TooLarge
        | AttemptOutcome::LookupFound
        | AttemptOutcome::LookupMissed => None,
    }
}

/// A stored outcome code back to its variant (`None` for a code this build does not know).
fn outcome_of(code: &str) -> Option<AttemptOutcome> {
    serde_json::from_value(serde_json::Value::String(code.to_owned())).ok()
}

fn is_send(outcome: Option<AttemptOutcome>) -> bool {
    !matches!(
        outcome,
        Some(
            AttemptOutcome::LookupFound
                | AttemptOutcome::LookupMissed
                | AttemptOutcome::LookupFailed
        )
    )
}

/// Each licence's attempts since the earliest record of the report was made, loaded on demand:
/// the failures by reason (what kept the gate shut) and when Metrc answered or could not be
/// reached, as sorted times. Read once per licence (one pass over the attempt log), then each
/// record is checked with binary searches, so the report stays linear in the log however many
/// records waited.
struct Failures {
    since: Timestamp,
    by_licence: HashMap<String, LicenceFailures>,
}

#[derive(Debug, Default)]
struct LicenceFailures {
    times: BTreeMap<WaitReason, Vec<i64>>,
    /// Failures for want of Metrc (see [`for_want_of_metrc`]), sorted.
    metrc_failures: Vec<i64>,
    /// Attempts Metrc answered (whatever it said), sorted.
    answered: Vec<i64>,
    /// Whether the licence's latest attempt before the loaded period was a failure for want of
    /// Metrc.
    failing_before: bool,
}

/// Whether a failure means the register could not work with Metrc at all (rather than Metrc
/// refusing one record or one key).
fn for_want_of_metrc(reason: Option<WaitReason>) -> bool {
    matches!(
        reason,
        Some(WaitReason::Offline | WaitReason::MetrcUnavailable | WaitReason::RateLimited)
    )
}

/// The last of the sorted `times` at or before `t`.
fn last_at_or_before(times: &[i64], t: i64) -> Option<i64> {
    times[..times.partition_point(|&x| x <= t)].last().copied()
}

impl LicenceFailures {
    fn load(conn: &Connection, licence: &str, since: Timestamp) -> Result<Self, ComplianceError> {
        let mut stmt = conn.prepare_cached(
            "SELECT a.at, a.outcome, a.http_status FROM attempts a JOIN outbox o ON o.id = a.entry_id
             WHERE o.licence = ?1 AND a.at >= ?2",
        )?;
        let rows: Vec<(i64, String, Option<u16>)> = stmt
            .query_map(params![licence, to_ms(since)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<Result<_, _>>()?;
        let mut failures = LicenceFailures::default();
        for (at, outcome, status) in rows {
            let Some(outcome) = outcome_of(&outcome) else {
                continue;
            };
            let reason = reason_of(outcome, status);
            if for_want_of_metrc(reason) {
                failures.metrc_failures.push(at);
            } else {
                failures.answered.push(at);
            }
            if let Some(reason) = reason {
                failures.times.entry(reason).or_default().push(at);
            }
        }
        for times in failures.times.values_mut() {
            times.sort_unstable();
        }
        failures.metrc_failures.sort_unstable();
        failures.answered.sort_unstable();
        let latest_before: Option<(String, Option<u16>)> = conn
            .prepare_cached(
                "SELECT a.outcome, a.http_status FROM attempts a JOIN outbox o ON o.id = a.entry_id
                 WHERE o.licence = ?1 AND a.at < ?2 ORDER BY a.at DESC, a.id DESC LIMIT 1",
            )?
            .query_row(params![licence, to_ms(since)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        failures.failing_before = latest_before.is_some_and(|(outcome, status)| {
            for_want_of_metrc(outcome_of(&outcome).and_then(|o| reason_of(o, status)))
        });
        Ok(failures)
    }

    /// Where the licence's run of failures for want of Metrc that is going on at `t` began
    /// (`None` when Metrc answered its latest attempt at or before `t`). A run that began before
    /// the loaded period is dated from the period's first failure, or `t`.
    fn failing_since(&self, t: Timestamp) -> Option<Timestamp> {
        let t = to_ms(t);
        let last_answer = last_at_or_before(&self.answered, t);
        let last_failure = last_at_or_before(&self.metrc_failures, t);
        let failing = match (last_failure, last_answer) {
            (Some(failure), Some(answer)) => failure > answer,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => self.failing_before,
        };
        if !failing {
            return None;
        }
        let after_answer =
            last_answer.map_or(0, |a| self.metrc_failures.partition_point(|&x| x <= a));
        let start = self
            .metrc_failures
            .get(after_answer)
            .copied()
            .filter(|&x| x <= t)
            .unwrap_or(t);
        Some(from_ms(start))
    }

    /// Whether a failure for want of Metrc is logged in `[from, until)`.
    fn metrc_failure_between(&self, from: Timestamp, until: Timestamp) -> bool {
        let (from, until) = (to_ms(from), to_ms(until));
        let first = self.metrc_failures.partition_point(|&t| t < from);
        first < self.metrc_failures.len() && self.metrc_failures[first] < until
    }

    /// The reasons with a failure logged in `[from, until)`.
    fn between(&self, from: Timestamp, until: Timestamp) -> impl Iterator<Item = WaitReason> + '_ {
        let (from, until) = (to_ms(from), to_ms(until));
        self.times.iter().filter_map(move |(reason, times)| {
            let first = times.partition_point(|&t| t < from);
            (first < times.len() && times[first] < until).then_some(*reason)
        })
    }
}

fn confirmed_at(conn: &Connection, entry_id: i64) -> Result<Option<Timestamp>, ComplianceError> {
    Ok(conn
        .prepare_cached(
            "SELECT at FROM outbox_history WHERE entry_id = ?1 AND to_state = 'confirmed'
             ORDER BY id LIMIT 1",
        )?
        .query_row(params![entry_id], |r| r.get::<_, i64>(0))
        .optional()?
        .map(from_ms))
}

fn waited_for_key(conn: &Connection, entry_id: i64) -> Result<bool, ComplianceError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM outbox_history
                            WHERE entry_id = ?1 AND to_state = 'waiting_for_key')",
        )?
        .query_row(params![entry_id], |r| r.get(0))?)
}

fn row_for(
    conn: &Connection,
    c: Candidate,
    q: &OutageQuery,
    now: Timestamp,
    failures: &mut Failures,
) -> Result<Option<OutageRow>, ComplianceError> {
    let log = attempts::for_entry(conn, c.id)?;
    let sends: Vec<_> = log.iter().filter(|a| is_send(a.outcome)).collect();
    let prompt_until = c
        .recorded_at
        .checked_add(q.prompt_within)
        .unwrap_or(Timestamp::MAX);
    let first = sends.first();
    if !failures.by_licence.contains_key(&c.licence) {
        let loaded = LicenceFailures::load(conn, &c.licence, failures.since)?;
        failures.by_licence.insert(c.licence.clone(), loaded);
    }
    let licence_failures = &failures.by_licence[&c.licence];
    // A prompt first success still waited on the licence's outage if one was going on when the
    // record was made, or began before its first attempt: the reasons are then counted from the
    // start of that outage.
    let mut outage_from = None;
    let in_step = match first {
        Some(a) if a.outcome == Some(AttemptOutcome::Confirmed) && a.at <= prompt_until => {
            outage_from = licence_failures.failing_since(c.recorded_at).or_else(|| {
                licence_failures
                    .metrc_failure_between(c.recorded_at, a.at)
                    .then_some(c.recorded_at)
            });
            outage_from.is_none()
        }
        Some(_) => false,
        None => c.state != EntryState::Voided && now <= prompt_until,
    };
    if in_step {
        return Ok(None);
    }
    let accepted_at = confirmed_at(conn, c.id)?;
    let mut reasons: BTreeSet<WaitReason> = log
        .iter()
        .filter_map(|a| reason_of(a.outcome?, a.http_status))
        .collect();
    if waited_for_key(conn, c.id)? {
        reasons.insert(WaitReason::KeyProblem);
    }
    let first_at = first.map(|a| a.at).or(accepted_at).unwrap_or(now);
    if let Some(from) = outage_from {
        reasons.extend(
            licence_failures
                .between(from, first_at)
                .filter(|r| for_want_of_metrc(Some(*r))),
        );
    } else if first_at > prompt_until {
        reasons.extend(licence_failures.between(c.recorded_at, first_at));
    }
    if reasons.is_empty() {
        reasons.insert(WaitReason::Queued);
    }
    let deadline_at = c
        .made_at
        .checked_add(SignedDuration::from_hours(c.deadline_hours))
        .unwrap_or(Timestamp::MAX);
    let settled = match (accepted_at, c.state) {
        (Some(at), _) => Some(at),
        (None, EntryState::Voided) => None,
        (None, _) => Some(now),
    };
    let late_by = settled
        .map(|at| at.duration_since(deadline_at).max(SignedDuration::ZERO))
        .unwrap_or(SignedDuration::ZERO);
    Ok(Some(OutageRow {
        entry_id: c.id,
        client_id: c.client_id,
        kind: c.kind,
        licence: c.licence,
        time_zone: c.time_zone,
        made_at: c.made_at,
        recorded_at: c.recorded_at,
        made_by: c.made_by,
        reasons: reasons.into_iter().collect(),
        attempts: sends.len() as u32,
        accepted_at,
        deadline_at,
        late_by,
        state: c.state,
        register_id: String::new(),
        register: String::new(),
        this_register: true,
        limit_check: c.limit_check,
    }))
}

/// What a state says about why another register's record waited.
fn peer_reasons(state: Option<EntryState>) -> Vec<WaitReason> {
    match state {
        Some(EntryState::WaitingForKey) => vec![WaitReason::KeyProblem],
        Some(EntryState::Rejected) => vec![WaitReason::Rejected],
        Some(EntryState::Ambiguous) => vec![WaitReason::MetrcUnavailable],
        _ => Vec::new(),
    }
}

/// Another register's record as a row, when it belongs in the report (see the module doc).
fn peer_row(
    p: PeerEntry,
    licences: &HashMap<String, (String, i64)>,
    q: &OutageQuery,
    now: Timestamp,
    register: String,
) -> Option<OutageRow> {
    let (time_zone, deadline_hours) = licences.get(&p.licence)?.clone();
    let state = p.state.unwrap_or(EntryState::Pending);
    let prompt_until = p
        .occurred_at
        .checked_add(q.prompt_within)
        .unwrap_or(Timestamp::MAX);
    let accepted_at = match state {
        // Delivered late by its register's word: in the report, with when Metrc accepted it.
        EntryState::Confirmed => match p.state_changed_at {
            Some(at) if at > prompt_until => Some(at),
            _ => return None,
        },
        _ => None,
    };
    if state != EntryState::Voided && accepted_at.is_none() && now <= prompt_until {
        return None;
    }
    let deadline_at = p
        .occurred_at
        .checked_add(SignedDuration::from_hours(deadline_hours))
        .unwrap_or(Timestamp::MAX);
    let late_by = match (state, accepted_at) {
        (EntryState::Voided, _) => SignedDuration::ZERO,
        (_, Some(at)) => at.duration_since(deadline_at).max(SignedDuration::ZERO),
        _ => now.duration_since(deadline_at).max(SignedDuration::ZERO),
    };
    Some(OutageRow {
        entry_id: p.local_seq,
        client_id: p.client_id,
        kind: p.kind,
        licence: p.licence,
        time_zone,
        made_at: p.occurred_at,
        recorded_at: p.occurred_at,
        made_by: p.acting_user,
        reasons: peer_reasons(p.state),
        attempts: 0,
        accepted_at,
        deadline_at,
        late_by,
        state,
        register_id: p.register_id,
        register,
        this_register: false,
        limit_check: String::new(),
    })
}

/// The outage report, read from the store (import this trait to call it on a `Database`).
pub trait OutageReports {
    /// The outage report for records made in `[query.from, query.to)` (see the module doc for
    /// exactly which records are in it).
    fn outage_report(&self, query: &OutageQuery) -> Result<OutageReport, ComplianceError>;
}

impl OutageReports for Database {
    fn outage_report(&self, query: &OutageQuery) -> Result<OutageReport, ComplianceError> {
        if query.to <= query.from {
            return Err(StoreError::InvalidInput {
                field: "report period",
                detail: format!(
                    "it ends ({}) before it starts ({}); swap --from and --to",
                    query.to, query.from
                ),
            }
            .into());
        }
        if let Some(licence) = &query.licence {
            self.licence(licence)?;
        }
        let now = self.now();
        let mut report = self.read(|c| {
            let mut rows = Vec::new();
            let found = candidates(c, query)?;
            let since = found
                .iter()
                .map(|f| f.recorded_at)
                .min()
                .map_or(query.from, |earliest| earliest.min(query.from));
            let mut failures = Failures {
                since,
                by_licence: HashMap::new(),
            };
            for candidate in found {
                if let Some(row) = row_for(c, candidate, query, now, &mut failures)? {
                    rows.push(row);
                }
            }
            Ok::<_, ComplianceError>(OutageReport {
                from: query.from,
                to: query.to,
                licence: query.licence.clone(),
                generated_at: now,
                rows,
            })
        })?;
        let registers = self.known_registers()?;
        let own_name = registers.name_of(self.install_id()).unwrap_or_default();
        for row in &mut report.rows {
            row.register_id = self.install_id().to_owned();
            row.register = own_name.to_owned();
        }
        let licences: HashMap<String, (String, i64)> = self
            .licences()?
            .into_iter()
            .map(|l| {
                let hours = i64::from(l.reporting_deadline_hours);
                (l.number, (l.time_zone, hours))
            })
            .collect();
        let peers = self.peer_entries(&PeerFilter {
            licence: query.licence.clone(),
            from: Some(query.from),
            to: Some(query.to),
            ..PeerFilter::default()
        })?;
        let before = report.rows.len();
        for p in peers {
            let register = registers
                .name_of(&p.register_id)
                .map_or_else(|| p.register_id.clone(), str::to_owned);
            if let Some(row) = peer_row(p, &licences, query, now, register) {
                report.rows.push(row);
            }
        }
        if report.rows.len() > before {
            report.rows.sort_by(|a, b| {
                (a.made_at, !a.this_register, &a.register_id, a.entry_id).cmp(&(
                    b.made_at,
                    !b.this_register,
                    &b.register_id,
                    b.entry_id,
                ))
            });
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_licence_is_failing_from_its_first_failure_after_metrc_last_answered() {
        let at = |s: i64| Timestamp::from_second(1_800_000_000 + s).unwrap();
        let f = LicenceFailures {
            answered: vec![to_ms(at(0)), to_ms(at(50))],
            metrc_failures: vec![to_ms(at(10)), to_ms(at(20)), to_ms(at(60))],
            ..LicenceFailures::default()
        };
        assert_eq!(f.failing_since(at(5)), None, "Metrc answered last");
        assert_eq!(
            f.failing_since(at(10)),
            Some(at(10)),
            "a failure at the same time counts"
        );
        assert_eq!(
            f.failing_since(at(30)),
            Some(at(10)),
            "from the run's first failure"
        );
        assert_eq!(f.failing_since(at(55)), None, "an answer ends the run");
        assert_eq!(f.failing_since(at(70)), Some(at(60)));
        assert!(f.metrc_failure_between(at(51), at(61)));
        assert!(
            !f.metrc_failure_between(at(21), at(60)),
            "the end is exclusive"
        );

        let before = LicenceFailures {
            failing_before: true,
            ..LicenceFailures::default()
        };
        assert_eq!(
            before.failing_since(at(5)),
            Some(at(5)),
            "a run older than the period"
        );
        assert_eq!(LicenceFailures::default().failing_since(at(5)), None);
    }

    #[test]
    fn failures_count_from_the_start_of_a_wait_up_to_its_end() {
        let at = |s: i64| Timestamp::from_second(1_800_000_000 + s).unwrap();
        let mut f = LicenceFailures::default();
        f.times
            .insert(WaitReason::Offline, vec![to_ms(at(10)), to_ms(at(20))]);
        f.times.insert(WaitReason::RateLimited, vec![to_ms(at(30))]);
        let between = |a, b| f.between(at(a), at(b)).collect::<Vec<_>>();
        assert_eq!(
            between(10, 11),
            vec![WaitReason::Offline],
            "start is inclusive"
        );
        assert_eq!(between(0, 10), Vec::<WaitReason>::new(), "end is exclusive");
        assert_eq!(between(21, 30), Vec::<WaitReason>::new());
        assert_eq!(
            between(15, 31),
            vec![WaitReason::Offline, WaitReason::RateLimited]
        );
    }

    #[test]
    fn stored_outcome_codes_map_to_reasons() {
        assert_eq!(outcome_of("not_sent"), Some(AttemptOutcome::NotSent));
        assert_eq!(outcome_of("from_a_newer_build"), None);
        assert_eq!(
            reason_of(AttemptOutcome::NotSent, Some(404)),
            Some(WaitReason::MetrcUnavailable)
        );
        assert_eq!(
            reason_of(AttemptOutcome::LookupFailed, Some(429)),
            Some(WaitReason::RateLimited)
        );
        assert_eq!(reason_of(AttemptOutcome::LookupMissed, Some(404)), None);
    }
}
