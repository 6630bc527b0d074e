//! Reconciling records whose outcome is unknown (`ambiguous`): look them up in Metrc before
//! anything is sent again (SPEC guarantee 2).
//!
//! Guarantees: a found record becomes `confirmed` with Metrc's id; a record is sent again only
//! after two lookups spaced by at least the settle window have both missed it, and then with the
//! SAME identifier; a failed lookup sends nothing (and closes the gate when Metrc is unreachable);
//! every lookup goes through the GET rate limiter and is logged in the attempt log; a pass reads
//! a licence's adjustment history (which Metrc lists only whole, page after page) at most once
//! per key, however many adjustments it looks up, so lookups cannot use up Metrc's GET budget.

use std::collections::HashMap;

use metrc::{AdjustmentRecord, ErrorClass, MetrcError};
use stateline_keys::SendingKey;
use stateline_store::{AttemptOutcome, Confirmation, EntryKind, Licence, OutboxEntry};

use super::DeliveryEngine;
use super::engine::PassReport;
use super::send::status_of;
use super::status::Health;
use crate::DeliveryError;
use crate::lookup::{self, Lookup, Target};

/// Misses, spaced by the settle window, after which a record is considered not in Metrc.
pub const MISSES_BEFORE_RESEND: u32 = 2;

impl DeliveryEngine {
    pub(crate) async fn reconcile(
        &self,
        licence: &Licence,
        report: &mut PassReport,
    ) -> Result<(), DeliveryError> {
        let now = self.now();
        let settle = self.inner.config.settle;
        let due = self.db(move |db| db.ambiguous_due(now, settle)).await?;
        // Adjustment histories read in this pass, by the user whose key read them.
        let mut histories: HashMap<String, Vec<AdjustmentRecord>> = HashMap::new();
        for entry in due.into_iter().filter(|e| e.licence == licence.number) {
            let Some(key) = self.inner.keys.key_for(&entry.acting_user) else {
                continue;
            };
            report.lookups += 1;
            let read_already =
                entry.kind == EntryKind::Adjustment && histories.contains_key(&entry.acting_user);
            let found = if read_already {
                self.look_up(licence, &key, &entry, &mut histories).await
            } else {
                let _permit = self.inner.reads.acquire(&licence.number).await;
                self.look_up(licence, &key, &entry, &mut histories).await
            };
            crate::crash::point(crate::crash::DURING_RECONCILIATION);
            let now = self.now();
            match found {
                Ok(Lookup::Found(metrc_id)) => {
                    let confirmation = [Confirmation {
                        entry_id: entry.id,
                        metrc_id,
                    }];
                    let recorded_at = self.recorded_now();
                    self.db(move |db| db.mark_confirmed(&confirmation, recorded_at))
                        .await?;
                    self.log_attempts(&[entry.id], AttemptOutcome::LookupFound, Some(200), None)
                        .await?;
                    report.confirmed += 1;
                    self.open_gate(&licence.number).await?;
                }
                Ok(Lookup::Missing) => {
                    let id = entry.id;
                    let misses = self.db(move |db| db.record_lookup_miss(id, now)).await?;
                    self.log_attempts(&[id], AttemptOutcome::LookupMissed, Some(404), None)
                        .await?;
                    if misses >= MISSES_BEFORE_RESEND {
                        self.db(move |db| db.resend_after_misses(id)).await?;
                        tracing::info!(
                            entry = id,
                            misses,
                            "not in Metrc after the settle window: sending again with the same identifier"
                        );
                        report.resends += 1;
                    }
                }
                Err(error) => {
                    let message = error.to_string();
                    self.log_attempts(
                        &[entry.id],
                        AttemptOutcome::LookupFailed,
                        status_of(&error),
                        Some(&message),
                    )
                    .await?;
                    let health = match error.class() {
                        ErrorClass::NotSent => Some(Health::Offline),
                        ErrorClass::Ambiguous | ErrorClass::NotFound => {
                            Some(Health::MetrcUnavailable)
                        }
                        ErrorClass::RateLimited => Some(Health::RateLimited),
                        _ => None,
                    };
                    if let Some(health) = health {
                        let retry_after = match &error {
                            MetrcError::RateLimited { retry_after } => *retry_after,
                            _ => None,
                        };
                        self.close_gate(&licence.number, health, retry_after, now)
                            .await?;
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    /// Looks `entry` up; an adjustment against the history in `histories` when this pass read it
    /// already with the same user's key, else against a fresh read kept there.
    async fn look_up(
        &self,
        licence: &Licence,
        key: &SendingKey,
        entry: &OutboxEntry,
        histories: &mut HashMap<String, Vec<AdjustmentRecord>>,
    ) -> Result<Lookup, MetrcError> {
        let client = &self.inner.client;
        let (key, number) = (&key.key, licence.number.as_str());
        match entry.kind {
            EntryKind::Sale => {
                let target = Target::Receipt {
                    client_id: &entry.client_id,
                };
                lookup::find(client, key, number, target).await
            }
            EntryKind::NewPackage => {
                let tag = self.record_detail(entry).await?;
                lookup::find(client, key, number, Target::Package { tag: &tag }).await
            }
            EntryKind::Adjustment => {
                if let Some(history) = histories.get(&entry.acting_user) {
                    return Ok(lookup::adjustment_in(history, &entry.client_id));
                }
                let history = client.package_adjustments(key, number).await?;
                let found = lookup::adjustment_in(&history, &entry.client_id);
                histories.insert(entry.acting_user.clone(), history);
                Ok(found)
            }
            EntryKind::SaleVoid => {
                let Some(receipt_id) = entry.depends_on_metrc_id else {
                    return Ok(Lookup::Missing);
                };
                lookup::find(client, key, number, Target::Void { receipt_id }).await
            }
            EntryKind::SaleCorrection => {
                let Some(receipt_id) = entry.depends_on_metrc_id else {
                    return Ok(Lookup::Missing);
                };
                let record_id = entry.record_id;
                let lines = self
                    .db(move |db| db.sale_correction(record_id))
                    .await
                    .map_err(local_lookup_error)?
                    .lines;
                let target = Target::Correction {
                    receipt_id,
                    lines: &lines,
                };
                lookup::find(client, key, number, target).await
            }
        }
    }

    /// The new tag of a new-package entry.
    async fn record_detail(&self, entry: &OutboxEntry) -> Result<String, MetrcError> {
        let record_id = entry.record_id;
        self.db(move |db| db.new_package(record_id).map(|r| r.tag))
            .await
            .map_err(local_lookup_error)
    }
}

fn local_lookup_error(error: DeliveryError) -> MetrcError {
    MetrcError::InvalidInput {
        message: format!("the local record could not be read for a lookup: {error}"),
    }
}
