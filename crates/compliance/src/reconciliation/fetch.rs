//! One reconciliation run: read the local day, pull Metrc's receipts, compare, store.
//!
//! Guarantees: only GET requests reach Metrc, each behind the published read limits; windows are
//! at most 24 hours, from the start of the day (facility time) to now, oldest first, with every
//! page; nothing is stored unless every request succeeded.

use std::collections::{BTreeMap, HashSet};

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use metrc::{
    ErrorClass, LastModifiedWindow, MetrcClient, ReadLimiter, ReadLimits, Receipt, UserKey,
};
use stateline_store::outbox::EntryState;
use stateline_store::{Database, Quantity, StoreError};

use super::compare::{LocalSale, MetrcReceipt, compare};
use super::store::{self, RunFacts};
use super::{MAX_LOOKAHEAD_DAYS, RunReport, Trigger};
use crate::ComplianceError;

/// The start and end (exclusive) of a local day in a time zone.
pub(crate) fn day_bounds(
    day: Date,
    tz: &jiff::tz::TimeZone,
) -> Result<(Timestamp, Timestamp), ComplianceError> {
    let bad = |e: jiff::Error| StoreError::InvalidInput {
        field: "day",
        detail: format!("{day} cannot be placed in the licence's time zone ({e})"),
    };
    let next = day.tomorrow().map_err(bad)?;
    let start = day.to_zoned(tz.clone()).map_err(bad)?.timestamp();
    let end = next.to_zoned(tz.clone()).map_err(bad)?.timestamp();
    Ok((start, end))
}

/// The ≤ 24 h windows from `start` to `end`, oldest first.
pub(crate) fn windows(start: Timestamp, end: Timestamp) -> Vec<LastModifiedWindow> {
    let mut out = Vec::new();
    let mut from = start;
    while from < end {
        let to = from
            .checked_add(SignedDuration::from_hours(24))
            .unwrap_or(end)
            .min(end);
        out.push(LastModifiedWindow {
            start: from,
            end: to,
        });
        from = to;
    }
    out
}

/// Metrc takes window bounds in whole seconds (the client drops the fraction), so the last
/// window ends at the next whole second: what changed a moment ago is not cut off.
fn whole_second_after(at: Timestamp) -> Timestamp {
    if at.subsec_nanosecond() == 0 {
        return at;
    }
    Timestamp::from_second(at.as_second() + 1).unwrap_or(at)
}

fn cents_from_metrc(value: f64) -> i64 {
    (value * 100.0).round() as i64
}

fn lines_of(receipt: &Receipt) -> Vec<(String, i64, i64)> {
    receipt
        .transactions
        .iter()
        .filter(|t| t.archived_date.is_none())
        .map(|t| {
            (
                t.package_label.clone().unwrap_or_default(),
                Quantity::from_f64(t.quantity_sold.or(t.quantity).unwrap_or(0.0)).milli(),
                cents_from_metrc(t.total_price.or(t.total_amount).unwrap_or(0.0)),
            )
        })
        .collect()
}

fn on_day(receipt: &Receipt, day: Date) -> bool {
    receipt
        .sales_date_time_local()
        .is_some_and(|local| local.date() == day)
}

struct Pull<'a> {
    client: &'a MetrcClient,
    key: &'a UserKey,
    licence: &'a str,
    reads: ReadLimiter,
}

impl Pull<'_> {
    async fn list(
        &self,
        window: LastModifiedWindow,
        active: bool,
    ) -> Result<Vec<Receipt>, ComplianceError> {
        let _permit = self.reads.acquire(self.licence).await;
        let found = if active {
            self.client
                .active_receipts(self.key, self.licence, window)
                .await?
        } else {
            self.client
                .inactive_receipts(self.key, self.licence, window)
                .await?
        };
        Ok(found)
    }

    /// Metrc documents 401 for an external number "not valid for the licence"; the lists just
    /// succeeded under the same key, so a refusal here means "not found", not a bad key.
    async fn by_number(&self, number: &str) -> Result<Option<Receipt>, ComplianceError> {
        let _permit = self.reads.acquire(self.licence).await;
        match self
            .client
            .receipt_by_external_number(self.key, self.licence, number)
            .await
        {
            Ok(found) => Ok(found),
            Err(e) if matches!(e.class(), ErrorClass::Unauthorized | ErrorClass::Forbidden) => {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn with_lines(&self, id: i64) -> Result<Option<Receipt>, ComplianceError> {
        let _permit = self.reads.acquire(self.licence).await;
        Ok(self.client.receipt(self.key, self.licence, id).await?)
    }
}

/// Compares `day` (local to the licence) with Metrc's receipts, under `key`, and stores the run.
/// Only reads from Metrc. A daily run for a day that already has one fails with `invalid_input`.
pub async fn reconcile_day(
    db: &Database,
    client: &MetrcClient,
    key: &UserKey,
    licence: &str,
    day: Date,
    trigger: Trigger,
) -> Result<RunReport, ComplianceError> {
    let started_at = db.now();
    let licence_row = db.licence(licence)?;
    let tz = licence_row.tz()?;
    let (start, end) = day_bounds(day, &tz)?;
    if start >= started_at {
        return Err(StoreError::InvalidInput {
            field: "day",
            detail: format!("{day} has not started yet at {licence}; pick an earlier day"),
        }
        .into());
    }
    let reach = end
        .checked_add(SignedDuration::from_hours(24 * MAX_LOOKAHEAD_DAYS))
        .unwrap_or(end)
        .min(whole_second_after(started_at));
    let local: Vec<LocalSale> = db.read(|c| store::local_sales(c, licence, start, end))?;
    let pull = Pull {
        client,
        key,
        licence,
        reads: ReadLimiter::new(ReadLimits::default()),
    };
    let mut found: BTreeMap<i64, Receipt> = BTreeMap::new();
    for window in windows(start, reach) {
        for active in [true, false] {
            for r in pull.list(window, active).await? {
                if on_day(&r, day) {
                    found.insert(r.id, r);
                }
            }
        }
    }
    let listed: HashSet<String> = found
        .values()
        .filter_map(|r| r.external_receipt_number.clone())
        .collect();
    // Only records Metrc should have (or must not have) are looked up one by one: a backlog
    // still on its way costs no requests.
    let worth_a_lookup = |s: &LocalSale| {
        (s.entry_state == EntryState::Confirmed && !s.resent) || s.entry_state == EntryState::Voided
    };
    for sale in local.iter().filter(|s| worth_a_lookup(s)) {
        if !listed.contains(&sale.client_id)
            && let Some(r) = pull.by_number(&sale.client_id).await?
        {
            found.entry(r.id).or_insert(r);
        }
    }
    let mut ours = HashSet::new();
    for number in found
        .values()
        .filter_map(|r| r.external_receipt_number.as_deref())
    {
        if db.read(|c| store::is_our_sale(c, number))? || db.is_peer_sale(number)? {
            ours.insert(number.to_owned());
        }
    }
    let compared: HashSet<&str> = local
        .iter()
        .filter(|s| !s.change_in_flight && !s.resent && !s.voided)
        .map(|s| s.client_id.as_str())
        .collect();
    let mut receipts = Vec::with_capacity(found.len());
    for r in found.values() {
        let active = r.archived_date.is_none();
        let needs_lines = active
            && r.external_receipt_number
                .as_deref()
                .is_some_and(|n| compared.contains(n));
        let lines = if !needs_lines {
            None
        } else if !r.transactions.is_empty() {
            Some(lines_of(r))
        } else {
            pull.with_lines(r.id).await?.map(|full| lines_of(&full))
        };
        receipts.push(MetrcReceipt {
            id: r.id,
            external: r.external_receipt_number.clone(),
            active,
            lines,
        });
    }
    let outcome = compare(&local, &receipts, &ours);
    let day_text = day.to_string();
    let facts = RunFacts {
        licence,
        day: &day_text,
        trigger,
        started_at,
        finished_at: db.now(),
        local_sales: local.len() as u32,
        not_compared: outcome.not_compared,
        metrc_receipts: receipts.len() as u32,
    };
    let report = store::insert_run(db, &facts, &outcome.differences)?;
    tracing::info!(
        licence,
        day = %day_text,
        differences = report.differences.len(),
        "reconciliation run stored"
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_at_most_a_day_and_cover_the_span() {
        let start: Timestamp = "2026-11-22T07:00:00Z".parse().unwrap();
        let end: Timestamp = "2026-11-24T19:30:00Z".parse().unwrap();
        let w = windows(start, end);
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].start, start);
        assert_eq!(w[2].end, end);
        for pair in w.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        assert!(
            w.iter()
                .all(|x| x.end.duration_since(x.start) <= SignedDuration::from_hours(24))
        );
    }

    #[test]
    fn the_last_window_reaches_the_next_whole_second() {
        let at: Timestamp = "2026-11-22T07:00:00.250Z".parse().unwrap();
        assert_eq!(whole_second_after(at).to_string(), "2026-11-22T07:00:01Z");
        let whole: Timestamp = "2026-11-22T07:00:00Z".parse().unwrap();
        assert_eq!(whole_second_after(whole), whole);
    }

    #[test]
    fn a_denver_day_starts_at_local_midnight() {
        let tz = jiff::tz::TimeZone::get("America/Denver").unwrap();
        let (start, end) = day_bounds("2026-11-22".parse().unwrap(), &tz).unwrap();
        assert_eq!(start.to_string(), "2026-11-22T07:00:00Z");
        assert_eq!(end.to_string(), "2026-11-23T07:00:00Z");
    }
}
