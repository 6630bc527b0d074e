//! [`KeyChecks`]: the owned background task that re-checks keys — after Metrc refused one while
//! sending (401/403), and daily.
//!
//! Guarantees: the task has one owner that stops it ([`KeyChecks::stop`], with a time limit; on
//! drop it is aborted); a check after a refusal only records the verdict (the refused user's
//! records stay waiting until a new or re-validated key releases them, so a key Metrc keeps
//! refusing cannot cause a send loop); the daily pass checks every saved key whose last check is
//! older than the period and releases records of keys found usable; repeated refusals of the same
//! holder within one settle period are checked once; while the keychain could not be read, the
//! keys are loaded again every `keychain_retry` until it can.

use std::collections::HashMap;
use std::time::Duration;

use stateline_tasks::OwnedTask;

use super::{KeyHolder, Keys};
use crate::KeysError;

/// How often the daily pass runs and how long a refusal check is remembered.
#[derive(Debug, Clone, Copy)]
pub struct CheckSchedule {
    /// Keys older than this are re-checked by the periodic pass (default: one day).
    pub period: Duration,
    /// How often to look for keys due a check (default: one hour).
    pub tick: Duration,
    /// A holder refused again within this time is not re-checked (default: five minutes).
    pub refusal_quiet: Duration,
    /// While the keychain could not be read at the last load, how often to load again (default:
    /// one minute); the records it holds back go as soon as a load succeeds.
    pub keychain_retry: Duration,
}

impl Default for CheckSchedule {
    fn default() -> Self {
        Self {
            period: Duration::from_secs(24 * 3600),
            tick: Duration::from_secs(3600),
            refusal_quiet: Duration::from_secs(300),
            keychain_retry: Duration::from_secs(60),
        }
    }
}

/// The running checker.
#[derive(Debug)]
pub struct KeyChecks {
    task: OwnedTask,
}

impl KeyChecks {
    /// Starts the checker. Fails if a checker was already started for these keys.
    pub fn start(keys: Keys, schedule: CheckSchedule) -> Result<Self, KeysError> {
        let mut refusals = keys
            .take_refusals()
            .ok_or_else(|| KeysError::Internal("the key checks were started twice".into()))?;
        let task = OwnedTask::spawn(|mut stop_rx| async move {
            let mut last_refusal_check: HashMap<KeyHolder, tokio::time::Instant> = HashMap::new();
            let mut tick = tokio::time::interval(schedule.tick);
            let mut retry = tokio::time::interval(schedule.keychain_retry);
            loop {
                tokio::select! {
                    _ = &mut stop_rx => break,
                    refused = refusals.recv() => {
                        let Some(holder) = refused else { break };
                        let now = tokio::time::Instant::now();
                        let recent = last_refusal_check
                            .get(&holder)
                            .is_some_and(|at| now.duration_since(*at) < schedule.refusal_quiet);
                        if recent {
                            continue;
                        }
                        last_refusal_check.insert(holder.clone(), now);
                        match keys.validate_saved(None, &holder, false).await {
                            Ok((v, _)) => tracing::info!(holder = %holder, verdict = v.verdict.code(), "key checked after Metrc refused it"),
                            Err(e) => tracing::warn!(holder = %holder, code = e.code(), "could not check a refused key"),
                        }
                    }
                    _ = retry.tick() => {
                        if keys.keychain_problem().is_some() {
                            match keys.load().await {
                                Ok(()) if keys.keychain_problem().is_none() => tracing::info!("the keychain can be read again; keys loaded"),
                                Ok(()) => {}
                                Err(e) => tracing::warn!(code = e.code(), "loading the keys again failed"),
                            }
                        }
                    }
                    _ = tick.tick() => {
                        if let Err(e) = daily_pass(&keys, schedule.period).await {
                            tracing::warn!(code = e.code(), "the periodic key check failed");
                        }
                    }
                }
            }
        });
        Ok(Self { task })
    }

    /// Stops the checker, waiting at most `timeout` for a check in progress.
    pub async fn stop(self, timeout: Duration) -> Result<(), KeysError> {
        Ok(self.task.stop(timeout).await?)
    }
}

/// Checks every saved key whose last check is older than `period` (or never checked).
pub(crate) async fn daily_pass(keys: &Keys, period: Duration) -> Result<usize, KeysError> {
    let now = keys.db().now();
    let period = jiff::SignedDuration::try_from(period)
        .map_err(|e| KeysError::Internal(format!("check period out of range: {e}")))?;
    let mut checked = 0;
    for info in keys.holders().await? {
        let due = info
            .validated_at
            .is_none_or(|at| now.duration_since(at) >= period);
        if !due {
            continue;
        }
        match keys.validate_saved(None, &info.holder, true).await {
            Ok(_) => checked += 1,
            Err(e) => {
                tracing::warn!(holder = %info.holder, code = e.code(), "a periodic key check failed")
            }
        }
    }
    Ok(checked)
}
