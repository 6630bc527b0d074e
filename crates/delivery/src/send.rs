//! Sending one claimed batch and deciding, from Metrc's answer, what each record becomes.
//!
//! Guarantees (SPEC section 3): 2xx → `confirmed` with Metrc's ids; 400 with row errors → only
//! those rows `rejected` with Metrc's words, the others `ambiguous` (whether Metrc saved them is
//! unconfirmed, so they are looked up, never blindly re-posted); 400 without rows → split until
//! the culprit is alone; 413 → halve (and remember the smaller limit); connection failure before
//! sending → back to `pending` behind the gate's backoff; timeout after sending, reset, bad reply,
//! 5xx → `ambiguous`; 429 → back to `pending`, gate closed until `Retry-After`; 401/403 → the
//! user's records wait for a key (or, for the facility key, the licence's gate closes). Every
//! attempt is appended to the attempt log.

use std::future::Future;
use std::pin::Pin;

use metrc::{ErrorClass, MetrcError};
use stateline_keys::{KeyOwner, SendingKey};
use stateline_store::{AttemptOutcome, Confirmation, Licence, NewAttempt, OutboxEntry};

use super::DeliveryEngine;
use super::engine::PassReport;
use super::payload::{self, Payload};
use super::status::Health;
use crate::DeliveryError;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl DeliveryEngine {
    /// Sends `batch` (already `sending`) and settles every entry.
    pub(crate) fn send_batch<'a>(
        &'a self,
        licence: &'a Licence,
        key: &'a SendingKey,
        batch: Vec<OutboxEntry>,
        report: &'a mut PassReport,
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            let entries = batch.clone();
            let built = self.db(move |db| payload::build(db, &entries)).await;
            let payload = match built {
                Ok(payload) => payload,
                Err(error) => {
                    for entry in &batch {
                        self.reject(
                            entry,
                            &format!("Stateline could not prepare this record: {error}"),
                            None,
                        )
                        .await?;
                    }
                    report.rejected += batch.len() as u64;
                    return Ok(());
                }
            };
            report.requests += 1;
            let result = self.post(licence, key, &payload).await;
            crate::crash::point(crate::crash::AFTER_REPLY_BEFORE_RECORD);
            self.settle(licence, key, batch, result, report).await
        })
    }

    async fn post(
        &self,
        licence: &Licence,
        key: &SendingKey,
        payload: &Payload,
    ) -> Result<Vec<Option<i64>>, MetrcError> {
        crate::payload::send(&self.inner.client, &key.key, &licence.number, payload).await
    }

    async fn settle(
        &self,
        licence: &Licence,
        key: &SendingKey,
        batch: Vec<OutboxEntry>,
        result: Result<Vec<Option<i64>>, MetrcError>,
        report: &mut PassReport,
    ) -> Result<(), DeliveryError> {
        let now = self.now();
        let recorded_at = self.recorded_now();
        let ids: Vec<i64> = batch.iter().map(|e| e.id).collect();
        let error = match result {
            Ok(metrc_ids) => {
                let confirmations: Vec<Confirmation> = batch
                    .iter()
                    .zip(metrc_ids)
                    .map(|(entry, metrc_id)| Confirmation {
                        entry_id: entry.id,
                        metrc_id,
                    })
                    .collect();
                self.db(move |db| db.mark_confirmed(&confirmations, recorded_at))
                    .await?;
                self.log_attempts(&ids, AttemptOutcome::Confirmed, Some(200), None)
                    .await?;
                report.confirmed += ids.len() as u64;
                self.open_gate(&licence.number).await?;
                self.memory()
                    .last_success
                    .insert(licence.number.clone(), recorded_at);
                return Ok(());
            }
            Err(error) => error,
        };
        let message = error.to_string();
        match error.class() {
            ErrorClass::NotSent | ErrorClass::RateLimited | ErrorClass::NotFound => {
                let (health, outcome, retry_after) = match &error {
                    MetrcError::RateLimited { retry_after } => (
                        Health::RateLimited,
                        AttemptOutcome::RateLimited,
                        *retry_after,
                    ),
                    MetrcError::NotFound => {
                        (Health::MetrcUnavailable, AttemptOutcome::NotSent, None)
                    }
                    _ => (Health::Offline, AttemptOutcome::NotSent, None),
                };
                let until = self
                    .close_gate(&licence.number, health, retry_after, now)
                    .await?;
                let (release, why) = (ids.clone(), message.clone());
                self.db(move |db| db.release_not_sent(&release, until, &why))
                    .await?;
                self.log_attempts(&ids, outcome, status_of(&error), Some(&message))
                    .await?;
                Ok(())
            }
            ErrorClass::Ambiguous => {
                let (marked, why) = (ids.clone(), message.clone());
                self.db(move |db| db.mark_ambiguous(&marked, &why, now))
                    .await?;
                self.log_attempts(
                    &ids,
                    AttemptOutcome::Ambiguous,
                    status_of(&error),
                    Some(&message),
                )
                .await?;
                report.ambiguous += ids.len() as u64;
                self.close_gate(&licence.number, Health::MetrcUnavailable, None, now)
                    .await?;
                Ok(())
            }
            ErrorClass::Unauthorized | ErrorClass::Forbidden => {
                let (release, why) = (ids.clone(), message.clone());
                self.db(move |db| db.release_not_sent(&release, now, &why))
                    .await?;
                let verdict = self.explain_refusal(licence, key, &batch).await;
                self.log_attempts(
                    &ids,
                    AttemptOutcome::KeyProblem,
                    status_of(&error),
                    Some(&verdict),
                )
                .await?;
                self.inner.keys.key_refused(&key.owner);
                match &key.owner {
                    KeyOwner::User(user) => self.park_user(licence, user, &verdict).await?,
                    KeyOwner::Facility => {
                        self.memory().facility_key_problem.insert(
                            licence.number.clone(),
                            format!("The facility key {verdict}"),
                        );
                        self.close_gate(&licence.number, Health::KeyProblem, None, now)
                            .await?;
                    }
                }
                Ok(())
            }
            ErrorClass::Validation => {
                let MetrcError::Validation { rows, .. } = &error else {
                    unreachable!("class Validation is only the Validation variant")
                };
                self.open_gate(&licence.number).await?;
                if rows.iter().any(|r| r.row < batch.len()) {
                    self.settle_row_errors(batch, rows, report).await?;
                } else if batch.len() == 1 {
                    self.reject(&batch[0], &message, status_of(&error)).await?;
                    report.rejected += 1;
                } else {
                    self.log_attempts(
                        &ids,
                        AttemptOutcome::Rejected,
                        status_of(&error),
                        Some(&message),
                    )
                    .await?;
                    self.split_and_resend(licence, key, batch, report).await?;
                }
                Ok(())
            }
            ErrorClass::TooLarge => {
                self.log_attempts(&ids, AttemptOutcome::TooLarge, Some(413), Some(&message))
                    .await?;
                if batch.len() == 1 {
                    self.reject(&batch[0], &message, Some(413)).await?;
                    report.rejected += 1;
                } else {
                    let smaller = batch.len() / 2;
                    self.memory()
                        .learned_limits
                        .insert(licence.number.clone(), smaller.max(1));
                    self.split_and_resend(licence, key, batch, report).await?;
                }
                Ok(())
            }
            ErrorClass::InvalidInput => {
                for entry in &batch {
                    self.reject(entry, &message, None).await?;
                }
                report.rejected += batch.len() as u64;
                Ok(())
            }
        }
    }

    /// Halves a batch that is still `sending` and sends each half on its own.
    async fn split_and_resend(
        &self,
        licence: &Licence,
        key: &SendingKey,
        mut batch: Vec<OutboxEntry>,
        report: &mut PassReport,
    ) -> Result<(), DeliveryError> {
        let second = batch.split_off(batch.len() / 2);
        self.send_batch(licence, key, batch, report).await?;
        self.send_batch(licence, key, second, report).await?;
        Ok(())
    }

    /// Metrc named the bad rows: those are rejected with its words; the others might have been
    /// saved (unconfirmed Metrc behaviour), so they are looked up before anything is resent.
    async fn settle_row_errors(
        &self,
        batch: Vec<OutboxEntry>,
        rows: &[metrc::RowError],
        report: &mut PassReport,
    ) -> Result<(), DeliveryError> {
        let now = self.now();
        let mut unsure = Vec::new();
        for (index, entry) in batch.iter().enumerate() {
            let messages: Vec<&str> = rows
                .iter()
                .filter(|r| r.row == index)
                .map(|r| r.message.as_str())
                .collect();
            if messages.is_empty() {
                unsure.push(entry.id);
            } else {
                self.reject(
                    entry,
                    &format!("Metrc refused it: {}", messages.join("; ")),
                    Some(400),
                )
                .await?;
                report.rejected += 1;
            }
        }
        if !unsure.is_empty() {
            let why = "Metrc refused other records of the same request; this one may or may not have been saved";
            let marked = unsure.clone();
            self.db(move |db| db.mark_ambiguous(&marked, why, now))
                .await?;
            self.log_attempts(&unsure, AttemptOutcome::Ambiguous, Some(400), Some(why))
                .await?;
            report.ambiguous += unsure.len() as u64;
        }
        Ok(())
    }

    pub(crate) async fn reject(
        &self,
        entry: &OutboxEntry,
        message: &str,
        status: Option<u16>,
    ) -> Result<(), DeliveryError> {
        let (id, why) = (entry.id, message.to_owned());
        self.db(move |db| db.mark_rejected(id, &why)).await?;
        self.log_attempts(&[entry.id], AttemptOutcome::Rejected, status, Some(message))
            .await
    }

    pub(crate) async fn log_attempts(
        &self,
        ids: &[i64],
        outcome: AttemptOutcome,
        http_status: Option<u16>,
        message: Option<&str>,
    ) -> Result<(), DeliveryError> {
        let at = self.recorded_now();
        let attempts: Vec<NewAttempt> = ids
            .iter()
            .map(|id| NewAttempt {
                entry_id: *id,
                at,
                outcome,
                http_status,
                message: message.map(str::to_owned),
            })
            .collect();
        self.db(move |db| db.record_attempts(&attempts)).await
    }

    /// After a 401/403: is it the key, or a permission? `/facilities/v2` needs no permission, so
    /// if it succeeds the key itself is good.
    async fn explain_refusal(
        &self,
        licence: &Licence,
        key: &SendingKey,
        batch: &[OutboxEntry],
    ) -> String {
        let kind = batch.first().map_or("records", |e| e.kind.as_str());
        let _permit = self.inner.reads.acquire("").await;
        match self.inner.client.facilities(&key.key).await {
            Ok(facilities)
                if facilities
                    .iter()
                    .any(|f| f.license.number == licence.number) =>
            {
                format!(
                    "works, but its Metrc user lacks the permission to report {kind} for {}: a manager should check the user's permissions in Metrc, then retry",
                    licence.number
                )
            }
            Ok(_) => format!(
                "works, but its Metrc user cannot reach licence {}: a manager should check the user's licences in Metrc",
                licence.number
            ),
            Err(e) if matches!(e.class(), ErrorClass::Unauthorized | ErrorClass::Forbidden) => {
                "was refused by Metrc (it is wrong or was regenerated): paste a new key".to_owned()
            }
            Err(_) => "was refused by Metrc: validate the key".to_owned(),
        }
    }
}

pub(crate) fn status_of(error: &MetrcError) -> Option<u16> {
    match error {
        MetrcError::Ambiguous { status, .. } => *status,
        MetrcError::Unauthorized { .. } => Some(401),
        MetrcError::Forbidden { .. } => Some(403),
        MetrcError::Validation { status, .. } => Some(*status),
        MetrcError::TooLarge { .. } => Some(413),
        MetrcError::RateLimited { .. } => Some(429),
        MetrcError::NotFound => Some(404),
        MetrcError::NotSent { .. } | MetrcError::InvalidInput { .. } => None,
    }
}
