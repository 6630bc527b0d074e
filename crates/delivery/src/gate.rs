//! The per-licence delivery gate: when Metrc is unreachable, failing or rate limiting, nothing is
//! sent for that licence until the gate reopens.
//!
//! Guarantees: the gate is persisted (a restart waits out `blocked_until` instead of bursting);
//! `Retry-After` is a floor for the wait; concurrent failures of one outage close the gate once
//! (the backoff grows per outage, not per in-flight batch); a success reopens it.

use jiff::{SignedDuration, Timestamp};
use stateline_store::Gate;

use super::DeliveryEngine;
use super::status::Health;
use crate::DeliveryError;

impl DeliveryEngine {
    /// `Some(until)` while the licence's gate is closed at `now`.
    pub(crate) async fn gate_closed_until(
        &self,
        licence: &str,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, DeliveryError> {
        let licence = licence.to_owned();
        let gate = self.db(move |db| db.gate(&licence)).await?;
        Ok(gate
            .and_then(|g| g.blocked_until)
            .filter(|until| *until > now))
    }

    /// Closes the gate after a failure (unless a concurrent failure already closed it) and
    /// returns the time it reopens.
    pub(crate) async fn close_gate(
        &self,
        licence: &str,
        health: Health,
        retry_after: Option<metrc::RetryAfter>,
        now: Timestamp,
    ) -> Result<Timestamp, DeliveryError> {
        let owned = licence.to_owned();
        let current = self.db(move |db| db.gate(&owned)).await?;
        let retry_not_before = retry_after.map(|r| r.not_before(now));
        if let Some(until) = current.as_ref().and_then(|g| g.blocked_until)
            && until > now
            && retry_not_before.is_none_or(|floor| floor <= until)
        {
            return Ok(until);
        }
        let failures = current.map_or(0, |g| g.consecutive_failures) + 1;
        let floor = retry_after.map(|r| r.delay_from(now));
        let delay = {
            let mut rng = self.rng();
            self.inner.config.backoff.delay(failures, floor, &mut *rng)
        };
        let delay = SignedDuration::try_from(delay).unwrap_or(SignedDuration::MAX);
        let mut until = now.checked_add(delay).unwrap_or(Timestamp::MAX);
        if let Some(floor) = retry_not_before {
            until = until.max(floor);
        }
        let gate = Gate {
            licence: licence.to_owned(),
            blocked_until: Some(until),
            consecutive_failures: failures,
            reason: Some(health.code().to_owned()),
            updated_at: now,
        };
        self.db(move |db| db.save_gate(&gate)).await?;
        tracing::info!(licence, reason = health.code(), failures, %until, "delivery gate closed");
        Ok(until)
    }

    /// Reopens the gate after a success.
    pub(crate) async fn open_gate(&self, licence: &str) -> Result<(), DeliveryError> {
        let owned = licence.to_owned();
        let current = self.db(move |db| db.gate(&owned)).await?;
        if current.is_some_and(|g| g.consecutive_failures > 0 || g.blocked_until.is_some()) {
            let owned = licence.to_owned();
            self.db(move |db| db.clear_gate(&owned)).await?;
            tracing::info!(licence, "delivery gate open");
        }
        Ok(())
    }
}
