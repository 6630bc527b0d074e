//! Reporting deadlines across the store (issue #13): every record not yet with Metrc — this
//! register's and, in a store, the other registers' from this register's copy (`peer_records`) —
//! against its licence's reporting deadline, so a manager sees which are near or past it,
//! whichever register made them, even while cut off from the store server.
//!
//! Guarantees: read-only; a record counts while it is not confirmed nor withdrawn (another
//! register's as its register last told the store; one not told yet counts); its deadline is when
//! it happened plus its licence's `reporting_deadline_hours`, and its warning is the same ok /
//! soon / overdue rule as the status chip ([`DeadlineWarning::at`]); a record of a licence not
//! bound here is left out (its deadline is not known here); rows with a warning (soon or
//! overdue) are listed, most urgent first, at most `limit`; the counts per register cover every
//! open record, for this register and every register whose records were pulled (zeros when
//! none is open).

use std::collections::{BTreeMap, HashMap};

use jiff::{SignedDuration, Timestamp};
use rusqlite::params;
use stateline_store::link::peer_records::PeerFilter;
use stateline_store::outbox::{EntryKind, EntryState};
use stateline_store::time::from_ms;
use stateline_store::{Database, DeadlineWarning};

use crate::ComplianceError;

/// One open record against its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineRow {
    /// The register that made it (its install id).
    pub register_id: String,
    /// Whether this register made it.
    pub this_register: bool,
    /// Its client id (external number in Metrc).
    pub client_id: String,
    /// What it is.
    pub kind: EntryKind,
    /// The licence.
    pub licence: String,
    /// Who made it.
    pub acting_user: String,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// Its state (another register's: as last told; `None`: not told yet).
    pub state: Option<EntryState>,
    /// Its reporting deadline.
    pub deadline_at: Timestamp,
    /// Soon or overdue.
    pub warning: DeadlineWarning,
}

/// Open records of one register.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterDeadlines {
    /// The register (its install id).
    pub register_id: String,
    /// Whether it is this register.
    pub this_register: bool,
    /// Records not yet with Metrc.
    pub open: u64,
    /// Of those, with their deadline near.
    pub soon: u64,
    /// Of those, past their deadline.
    pub overdue: u64,
}

/// The store's deadlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreDeadlines {
    /// When it was worked out.
    pub at: Timestamp,
    /// Records near or past their deadline, most urgent (earliest deadline) first.
    pub rows: Vec<DeadlineRow>,
    /// Whether more rows had a warning than `limit`.
    pub truncated: bool,
    /// Per register, this register first.
    pub registers: Vec<RegisterDeadlines>,
}

struct Open {
    register_id: String,
    this_register: bool,
    client_id: String,
    kind: EntryKind,
    licence: String,
    acting_user: String,
    occurred_at: Timestamp,
    state: Option<EntryState>,
}

fn own_open(db: &Database) -> Result<Vec<Open>, ComplianceError> {
    let register_id = db.install_id().to_owned();
    db.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT client_id, kind, licence, acting_user, occurred_at, state FROM outbox
             WHERE state NOT IN ('confirmed', 'voided')",
        )?;
        let rows = stmt
            .query_map(params![], |r| {
                Ok(Open {
                    register_id: register_id.clone(),
                    this_register: true,
                    client_id: r.get(0)?,
                    kind: r.get(1)?,
                    licence: r.get(2)?,
                    acting_user: r.get(3)?,
                    occurred_at: from_ms(r.get(4)?),
                    state: Some(r.get(5)?),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok::<_, ComplianceError>(rows)
    })
}

/// The deadlines of every open record of the store at `now` (see the module doc).
pub fn store_deadlines(
    db: &Database,
    now: Timestamp,
    limit: usize,
) -> Result<StoreDeadlines, ComplianceError> {
    let licences: HashMap<String, u32> = db
        .licences()?
        .into_iter()
        .map(|l| (l.number, l.reporting_deadline_hours))
        .collect();
    let mut open = own_open(db)?;
    let peers = db.peer_entries(&PeerFilter {
        open_only: true,
        ..PeerFilter::default()
    })?;
    open.extend(peers.into_iter().map(|p| Open {
        register_id: p.register_id,
        this_register: false,
        client_id: p.client_id,
        kind: p.kind,
        licence: p.licence,
        acting_user: p.acting_user,
        occurred_at: p.occurred_at,
        state: p.state,
    }));
    let mut registers: BTreeMap<(bool, String), RegisterDeadlines> = BTreeMap::new();
    registers.insert(
        (false, db.install_id().to_owned()),
        RegisterDeadlines {
            register_id: db.install_id().to_owned(),
            this_register: true,
            ..RegisterDeadlines::default()
        },
    );
    for peer in db.peer_counts()? {
        registers.insert(
            (true, peer.register_id.clone()),
            RegisterDeadlines {
                register_id: peer.register_id,
                ..RegisterDeadlines::default()
            },
        );
    }
    let mut rows = Vec::new();
    for o in open {
        let Some(&hours) = licences.get(&o.licence) else {
            continue;
        };
        let deadline_at = o
            .occurred_at
            .checked_add(SignedDuration::from_hours(i64::from(hours)))
            .unwrap_or(Timestamp::MAX);
        let warning = DeadlineWarning::at(Some(deadline_at), hours, now);
        let counts = registers
            .entry((!o.this_register, o.register_id.clone()))
            .or_insert_with(|| RegisterDeadlines {
                register_id: o.register_id.clone(),
                this_register: o.this_register,
                ..RegisterDeadlines::default()
            });
        counts.open += 1;
        match warning {
            DeadlineWarning::Ok => continue,
            DeadlineWarning::Soon => counts.soon += 1,
            DeadlineWarning::Overdue => counts.overdue += 1,
        }
        rows.push(DeadlineRow {
            register_id: o.register_id,
            this_register: o.this_register,
            client_id: o.client_id,
            kind: o.kind,
            licence: o.licence,
            acting_user: o.acting_user,
            occurred_at: o.occurred_at,
            state: o.state,
            deadline_at,
            warning,
        });
    }
    rows.sort_by(|a, b| {
        (a.deadline_at, &a.register_id, &a.client_id).cmp(&(
            b.deadline_at,
            &b.register_id,
            &b.client_id,
        ))
    });
    let truncated = rows.len() > limit;
    rows.truncate(limit);
    Ok(StoreDeadlines {
        at: now,
        rows,
        truncated,
        registers: registers.into_values().collect(),
    })
}
