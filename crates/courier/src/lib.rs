//! The courier: this register delivers the records other registers of its store handed over
//! because this register holds their user's Metrc key (issue #13: the work travels to the key;
//! the key never leaves the keychain it was entered in).
//!
//! A pass takes leases on handed-over records — sales, adjustments, new packages, corrections
//! and voids — of the users whose keys this register holds (`stateline_link::handover`); looks
//! each up in Metrc by the identifier it carries first when it was ever leased before
//! (`stateline_delivery::lookup`, the engine's own lookups); sends the rest with the user's key,
//! built by the engine's own payload rows from the maker's record (their original times, their
//! makers' client ids, note tokens and tags), up to Metrc's object limit per request (voids one
//! each) and never mixing licences, keys or kinds, only while the lease has more than the
//! safety margin left; and writes each outcome under its lease's fence. Causal order between
//! records is the maker's: it hands a record over only once what it waits for is confirmed.
//!
//! Guarantees (this register's half of "Exactly once across registers" in CONTRIBUTING.md):
//! - nothing is POSTed without a lease with at least [`CourierConfig::margin`] left, measured
//!   from before the lease was asked for, on this register's monotonic clock;
//! - a record leased before is looked up by its external number before any POST, and a lease is
//!   only taken over after the previous one lapsed plus the grace (request timeout and settle
//!   window), so a late write of the previous holder has landed by then;
//! - an answer that may have landed (a timeout, a 5xx after sending) writes nothing: the lease
//!   lapses and the next holder looks the record up; an answer that certainly did not land (not
//!   sent, 429, 413) gives the lease back; a refused key (401/403) gives it back and tells the
//!   key source, which re-checks the key;
//! - a `Validation` refusal (400) is the record's outcome (`rejected`), for its maker to fix;
//! - every lookup waits for the register's GET limiter ([`Courier::sharing_reads`]: the delivery
//!   engine's, in the app), so the courier never pushes the register past Metrc's read limits;
//! - a record goes only under the key its maker's mode names (SPEC guarantee 5): its acting
//!   user's own key, or — from a register in facility mode — the facility key; never the key this
//!   register's own mode would pick.

mod error;
pub mod worker;

use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::tz::TimeZone;
use metrc::{ErrorClass, ReadLimiter, ReadLimits};
use serde::de::DeserializeOwned;
use stateline_clock::Clock;
use stateline_delivery::lookup::{self, Lookup, Target};
use stateline_delivery::payload::{self, Payload};
use stateline_keys::{KeyOwner, KeySource};
use stateline_link::StoreServer;
use stateline_link::handover::{Delivered, LeaseTerms, Leased};
use stateline_link::records::StoreRecord;
use stateline_store::records::adjustments::Adjustment;
use stateline_store::records::corrections::SaleCorrection;
use stateline_store::records::new_packages::NewPackageRecord;
use stateline_store::{Database, EntryKind, Sale};
use stateline_tasks::run_blocking;

pub use error::CourierError;
pub use worker::CourierWorker;

/// How the courier leases and how careful it is.
#[derive(Debug, Clone, Copy)]
pub struct CourierConfig {
    /// Lease length and the grace before a lapsed lease is taken over.
    pub terms: LeaseTerms,
    /// The least lease time left to start a POST (the request timeout and some slack).
    pub margin: Duration,
    /// Records leased per pass.
    pub batch: u32,
    /// Most receipts in one POST (Metrc's object limit).
    pub object_limit: usize,
    /// Most POSTs in flight at once.
    pub concurrency: usize,
}

impl Default for CourierConfig {
    /// 60-second leases; a lapsed one waits 90 s more (a 30-second request timeout and Metrc's
    /// 60-second settle window); a POST starts only with 35 s of lease left.
    fn default() -> Self {
        Self {
            terms: LeaseTerms {
                lease: Duration::from_secs(60),
                grace: Duration::from_secs(90),
            },
            margin: Duration::from_secs(35),
            batch: 80,
            object_limit: 10,
            concurrency: 4,
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CourierReport {
    /// Records leased.
    pub leased: usize,
    /// Confirmed by a POST.
    pub sent: usize,
    /// Found in Metrc by a lookup (a previous holder's POST had landed).
    pub found: usize,
    /// Refused by Metrc (the maker's manager fixes them).
    pub rejected: usize,
    /// Given back without an outcome (key refused, not sent, too little lease left).
    pub given_back: usize,
    /// Left to lapse because Metrc's answer was unknown.
    pub unsure: usize,
    /// Outcomes not written because the lease was no longer ours.
    pub fenced_out: usize,
}

/// The courier of one register (cheap to clone).
#[derive(Clone)]
pub struct Courier {
    db: Database,
    client: metrc::MetrcClient,
    keys: Arc<dyn KeySource>,
    clock: Arc<dyn Clock>,
    config: CourierConfig,
    reads: ReadLimiter,
}

impl std::fmt::Debug for Courier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Courier")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What to do with one leased record.
enum Step {
    Outcome(Delivered, bool),
    GiveBack,
    Unsure,
}

impl Courier {
    /// A courier over this register's database, Metrc client and keys.
    pub fn new(
        db: Database,
        client: metrc::MetrcClient,
        keys: Arc<dyn KeySource>,
        clock: Arc<dyn Clock>,
        config: CourierConfig,
    ) -> Self {
        Self {
            db,
            client,
            keys,
            clock,
            config,
            reads: ReadLimiter::new(ReadLimits::default()),
        }
    }

    /// Looks records up under `reads`, the register's one GET limiter (the delivery engine's),
    /// so the courier's lookups and everything else the register reads stay under Metrc's
    /// limits together.
    pub fn sharing_reads(mut self, reads: ReadLimiter) -> Self {
        self.reads = reads;
        self
    }

    /// Whose handed-over records this register can send: the users whose own keys it holds
    /// (usable, and loaded in the key source), and whether it holds the facility key.
    async fn keys_held(&self) -> Result<(Vec<String>, bool), CourierError> {
        let db = self.db.clone();
        let held = run_blocking(move || Ok::<_, CourierError>(db.held_keys()?)).await?;
        let mut users: Vec<String> = held
            .iter()
            .filter(|k| k.usable())
            .filter_map(|k| k.user().map(str::to_owned))
            .filter(|user| self.keys.held_key(&KeyOwner::User(user.clone())).is_some())
            .collect();
        users.sort();
        users.dedup();
        let facility = held.iter().any(|k| k.usable() && k.user().is_none())
            && self.keys.held_key(&KeyOwner::Facility).is_some();
        Ok((users, facility))
    }

    /// One pass (see the module doc).
    pub async fn run_once(&self, server: &mut StoreServer) -> Result<CourierReport, CourierError> {
        let mut report = CourierReport::default();
        let (users, facility) = self.keys_held().await?;
        if users.is_empty() && !facility {
            return Ok(report);
        }
        let asked_at = Instant::now();
        let holder = self.db.install_id().to_owned();
        let leased = server
            .take_leases(
                &holder,
                &users,
                facility,
                self.config.terms,
                i64::from(self.config.batch),
            )
            .await?;
        report.leased = leased.len();
        // Ready to send, by licence, key and kind (a request never mixes them), in lease order.
        let mut ready: Vec<Group<'_>> = Vec::new();
        for lease in &leased {
            match self.prepare(lease).await? {
                Prepared::Send(row) => {
                    let row = *row;
                    let group = (lease.record.licence.clone(), needed_key(lease), row.kind());
                    match ready.iter_mut().find(|(g, _)| *g == group) {
                        Some((_, records)) => records.push((lease, row)),
                        None => ready.push((group, vec![(lease, row)])),
                    }
                }
                Prepared::Done(step) => {
                    self.settle(server, &holder, lease, step, &mut report)
                        .await?;
                }
            }
        }
        // Up to `concurrency` requests in flight; the outcomes are written together afterwards,
        // in one store transaction.
        let chunks: Vec<&[(&Leased, Row)]> = ready
            .iter()
            .flat_map(|((_, _, kind), records)| {
                let limit = match kind {
                    EntryKind::SaleVoid => 1,
                    _ => self.config.object_limit.max(1),
                };
                records.chunks(limit)
            })
            .collect();
        let mut posted: Vec<Vec<Step>> = Vec::with_capacity(chunks.len());
        for window in chunks.chunks(self.config.concurrency.max(1)) {
            let mut in_flight = Vec::with_capacity(window.len());
            for chunk in window {
                in_flight.push(self.post(chunk, asked_at));
            }
            posted.extend(futures::future::join_all(in_flight).await);
        }
        let mut outcomes = Vec::new();
        for (chunk, steps) in chunks.iter().zip(posted) {
            for ((lease, _), step) in chunk.iter().zip(steps) {
                match step {
                    Step::Outcome(delivered, found) => outcomes.push((*lease, delivered, found)),
                    other => {
                        self.settle(server, &holder, lease, other, &mut report)
                            .await?;
                    }
                }
            }
        }
        let written = server
            .record_deliveries(
                &holder,
                &outcomes
                    .iter()
                    .map(|(lease, delivered, _)| (*lease, delivered.clone()))
                    .collect::<Vec<_>>(),
                self.clock.now(),
            )
            .await?;
        for ((_, delivered, found), written) in outcomes.iter().zip(written) {
            if !written {
                report.fenced_out += 1;
            } else if *found {
                report.found += 1;
            } else if matches!(delivered, Delivered::Rejected(_)) {
                report.rejected += 1;
            } else {
                report.sent += 1;
            }
        }
        if report.leased > 0 {
            tracing::info!(
                ?report,
                "courier pass: delivered records of other registers"
            );
        }
        Ok(report)
    }

    /// Writes, gives back or leaves one leased record, as `step` says.
    async fn settle(
        &self,
        server: &mut StoreServer,
        holder: &str,
        lease: &Leased,
        step: Step,
        report: &mut CourierReport,
    ) -> Result<(), CourierError> {
        match step {
            Step::Outcome(delivered, found) => {
                let written = server
                    .record_delivery(holder, lease, &delivered, self.clock.now())
                    .await?;
                if !written {
                    report.fenced_out += 1;
                } else if found {
                    report.found += 1;
                } else if matches!(delivered, Delivered::Rejected(_)) {
                    report.rejected += 1;
                } else {
                    report.sent += 1;
                }
            }
            Step::GiveBack => {
                server.release_lease(holder, lease).await?;
                report.given_back += 1;
            }
            Step::Unsure => report.unsure += 1,
        }
        Ok(())
    }

    /// Reads a leased record and, when it was leased before, looks it up in Metrc: either the
    /// row to send, or what to do with it already.
    async fn prepare(&self, lease: &Leased) -> Result<Prepared, CourierError> {
        let record = &lease.record;
        let db = self.db.clone();
        let licence = record.licence.clone();
        let Ok(tz) = run_blocking(move || Ok::<_, CourierError>(db.licence(&licence)?.tz()?)).await
        else {
            return Ok(Prepared::Done(Step::GiveBack));
        };
        let Some(row) = row_of(lease, &tz) else {
            tracing::warn!(record = %record.client_id, kind = %record.kind, "a handed-over record cannot be read; left for another register");
            return Ok(Prepared::Done(Step::GiveBack));
        };
        let Some(key) = self.keys.held_key(&needed_key(lease)) else {
            return Ok(Prepared::Done(Step::GiveBack));
        };
        if lease.leased_before {
            let found = {
                let _permit = self.reads.acquire(&record.licence).await;
                lookup::find(&self.client, &key.key, &record.licence, row.target(record)).await
            };
            match found {
                Ok(Lookup::Found(metrc_id)) => {
                    return Ok(Prepared::Done(Step::Outcome(
                        Delivered::Confirmed(metrc_id),
                        true,
                    )));
                }
                Ok(Lookup::Missing) => {}
                Err(error) => {
                    tracing::info!(code = error.code(), record = %record.client_id, "lookup failed; the lease lapses");
                    return Ok(Prepared::Done(Step::Unsure));
                }
            }
        }
        Ok(Prepared::Send(Box::new(row)))
    }

    /// Sends one licence's, user's and kind's rows in one request — or, when Metrc refuses the
    /// request and it holds more than one, each alone, so each record gets its own outcome —
    /// only while the lease has the margin left. One step per record, in order.
    async fn post(&self, chunk: &[(&Leased, Row)], asked_at: Instant) -> Vec<Step> {
        let give_back = || chunk.iter().map(|_| Step::GiveBack).collect();
        if asked_at.elapsed() + self.config.margin > self.config.terms.lease {
            return give_back();
        }
        let Some((first, _)) = chunk.first() else {
            return Vec::new();
        };
        let Some(key) = self.keys.held_key(&needed_key(first)) else {
            return give_back();
        };
        let Some(payload) = Row::payload(chunk.iter().map(|(_, row)| row)) else {
            return give_back();
        };
        match payload::send(&self.client, &key.key, &first.record.licence, &payload).await {
            Ok(ids) => (0..chunk.len())
                .map(|i| Step::Outcome(Delivered::Confirmed(ids.get(i).copied().flatten()), false))
                .collect(),
            Err(error) => match error.class() {
                ErrorClass::Validation if chunk.len() > 1 => {
                    let mut steps = Vec::with_capacity(chunk.len());
                    for one in chunk {
                        steps
                            .extend(Box::pin(self.post(std::slice::from_ref(one), asked_at)).await);
                    }
                    steps
                }
                ErrorClass::Validation => {
                    vec![Step::Outcome(Delivered::Rejected(error.to_string()), false)]
                }
                ErrorClass::Unauthorized | ErrorClass::Forbidden => {
                    self.keys.key_refused(&key.owner);
                    give_back()
                }
                ErrorClass::NotSent
                | ErrorClass::RateLimited
                | ErrorClass::TooLarge
                | ErrorClass::NotFound
                | ErrorClass::InvalidInput => give_back(),
                ErrorClass::Ambiguous => chunk.iter().map(|_| Step::Unsure).collect(),
            },
        }
    }
}

/// Rows ready to send for one (licence, key, kind), with their leases, in lease order.
type Group<'a> = ((String, KeyOwner, EntryKind), Vec<(&'a Leased, Row)>);

/// A leased record read and, if need be, looked up.
enum Prepared {
    Send(Box<Row>),
    Done(Step),
}

/// One leased record as the Metrc row it becomes (built by the engine's own payload rows).
enum Row {
    Receipt(metrc::NewReceipt),
    Adjustment(metrc::PackageAdjustment),
    NewPackage(metrc::NewPackage),
    Correction(metrc::ReceiptUpdate, Vec<stateline_store::NewSaleLine>),
    Void(i64),
}

/// The key a handed-over record goes under: its maker's key mode decided (never this register's).
fn needed_key(lease: &Leased) -> KeyOwner {
    if lease.via_facility {
        KeyOwner::Facility
    } else {
        KeyOwner::User(lease.record.acting_user.clone())
    }
}

/// The maker's record body as its type, if it reads.
fn body<T: DeserializeOwned>(record: &StoreRecord) -> Option<T> {
    serde_json::from_value(record.body.clone()).ok()
}

/// The row a leased record becomes; `None` when its body does not read (or a void or
/// correction came without the sale it changes).
fn row_of(lease: &Leased, tz: &TimeZone) -> Option<Row> {
    let record = &lease.record;
    Some(match record.kind.parse::<EntryKind>().ok()? {
        EntryKind::Sale => Row::Receipt(payload::receipt_of(&body::<Sale>(record)?, tz)),
        EntryKind::Adjustment => {
            Row::Adjustment(payload::adjustment_row(&body::<Adjustment>(record)?, tz))
        }
        EntryKind::NewPackage => Row::NewPackage(payload::new_package_row(
            &body::<NewPackageRecord>(record)?,
            tz,
        )),
        EntryKind::SaleCorrection => {
            let (sale, receipt_id) = lease.changes.as_ref()?;
            let correction = body::<SaleCorrection>(record)?;
            let update =
                payload::correction_row(&body::<Sale>(sale)?, &correction.lines, *receipt_id, tz);
            Row::Correction(update, correction.lines)
        }
        EntryKind::SaleVoid => Row::Void(lease.changes.as_ref()?.1),
    })
}

impl Row {
    fn kind(&self) -> EntryKind {
        match self {
            Row::Receipt(_) => EntryKind::Sale,
            Row::Adjustment(_) => EntryKind::Adjustment,
            Row::NewPackage(_) => EntryKind::NewPackage,
            Row::Correction(..) => EntryKind::SaleCorrection,
            Row::Void(_) => EntryKind::SaleVoid,
        }
    }

    /// What a lookup of this record searches Metrc for.
    fn target<'a>(&'a self, record: &'a StoreRecord) -> Target<'a> {
        match self {
            Row::Receipt(_) => Target::Receipt {
                client_id: &record.client_id,
            },
            Row::Adjustment(_) => Target::Adjustment {
                client_id: &record.client_id,
            },
            Row::NewPackage(package) => Target::Package { tag: &package.tag },
            Row::Correction(update, lines) => Target::Correction {
                receipt_id: update.id,
                lines,
            },
            Row::Void(receipt_id) => Target::Void {
                receipt_id: *receipt_id,
            },
        }
    }

    /// One request's payload from rows of one kind, one row per record in order; `None` if the
    /// rows mix kinds (the grouping never does; the records are then given back, never answered
    /// for rows that were not sent).
    fn payload<'a>(rows: impl Iterator<Item = &'a Row>) -> Option<Payload> {
        let mut rows = rows.peekable();
        let mut payload = match rows.peek()?.kind() {
            EntryKind::Sale => Payload::Receipts(Vec::new()),
            EntryKind::Adjustment => Payload::Adjustments(Vec::new()),
            EntryKind::NewPackage => Payload::NewPackages(Vec::new()),
            EntryKind::SaleCorrection => Payload::ReceiptUpdates(Vec::new()),
            EntryKind::SaleVoid => Payload::Voids(Vec::new()),
        };
        for row in rows {
            match (&mut payload, row) {
                (Payload::Receipts(rows), Row::Receipt(receipt)) => rows.push(receipt.clone()),
                (Payload::Adjustments(rows), Row::Adjustment(a)) => rows.push(a.clone()),
                (Payload::NewPackages(rows), Row::NewPackage(p)) => rows.push(p.clone()),
                (Payload::ReceiptUpdates(rows), Row::Correction(u, _)) => rows.push(u.clone()),
                (Payload::Voids(ids), Row::Void(id)) => ids.push(*id),
                _ => return None,
            }
        }
        Some(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adjustment(label: &str) -> Row {
        Row::Adjustment(metrc::PackageAdjustment {
            label: label.into(),
            quantity: -1.0,
            unit_of_measure: "Each".into(),
            adjustment_reason: "Drying".into(),
            adjustment_date: jiff::civil::date(2026, 1, 2),
            reason_note: None,
        })
    }

    #[test]
    fn a_payload_holds_one_row_per_record_in_order_and_never_mixes_kinds() {
        let voids = [Row::Void(7), Row::Void(3)];
        assert_eq!(Row::payload(voids.iter()), Some(Payload::Voids(vec![7, 3])));
        let adjustments = [adjustment("A"), adjustment("B")];
        match Row::payload(adjustments.iter()) {
            Some(Payload::Adjustments(rows)) => {
                assert_eq!(
                    rows.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(),
                    ["A", "B"]
                );
            }
            other => panic!("{other:?}"),
        }
        let mixed = [Row::Void(7), adjustment("A")];
        assert_eq!(
            Row::payload(mixed.iter()),
            None,
            "given back, not half sent"
        );
        assert_eq!(Row::payload([].iter()), None);
    }
}
