//! The daily reconciliation: "for every licence, compare yesterday with Metrc unless that was done".
//!
//! Guarantees: the owner (the desktop shell's scheduler, or a CLI) may call [`reconcile_due`] as
//! often as it likes: each licence's yesterday (in the licence's own time zone) gets at most one
//! stored daily run; a licence without a key or whose run fails is reported and tried again at
//! the next call; one licence's failure does not stop the others.

use jiff::Timestamp;
use metrc::{MetrcClient, UserKey};
use serde::{Deserialize, Serialize};
use stateline_store::Database;

use super::fetch::reconcile_day;
use super::{ReconciliationRun, Trigger, store};
use crate::ComplianceError;

/// What happened to one licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DueOutcome {
    /// It ran now.
    Ran {
        /// The stored run.
        run: ReconciliationRun,
    },
    /// A daily run for that day exists already.
    AlreadyRan,
    /// No key was given for the licence; it waits for the next call.
    NoKey,
    /// It failed; it is tried again at the next call.
    Failed {
        /// The error's code.
        code: String,
        /// The error's message (never a key).
        message: String,
    },
}

/// One licence's daily run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueRun {
    pub licence: String,
    /// The day compared (yesterday in the licence's time zone), `YYYY-MM-DD`.
    pub day: String,
    /// What happened (`outcome` in JSON, with its fields beside it).
    #[serde(flatten)]
    pub outcome: DueOutcome,
}

/// Runs yesterday's reconciliation for every licence that has not had it. `key_for(licence)`
/// gives the key to read that licence's receipts with (a manager's or the facility key).
pub async fn reconcile_due(
    db: &Database,
    client: &MetrcClient,
    key_for: &(dyn Fn(&str) -> Option<UserKey> + Send + Sync),
    now: Timestamp,
) -> Result<Vec<DueRun>, ComplianceError> {
    let mut out = Vec::new();
    for licence in db.licences()? {
        let tz = licence.tz()?;
        let yesterday = now
            .to_zoned(tz)
            .date()
            .yesterday()
            .map_err(|e| ComplianceError::Internal(format!("no day before {now}: {e}")))?;
        let day = yesterday.to_string();
        let done = db.read(|c| store::daily_run_exists(c, &licence.number, &day))?;
        let outcome = if done {
            DueOutcome::AlreadyRan
        } else {
            match key_for(&licence.number) {
                None => DueOutcome::NoKey,
                Some(key) => {
                    match reconcile_day(
                        db,
                        client,
                        &key,
                        &licence.number,
                        yesterday,
                        Trigger::Daily,
                    )
                    .await
                    {
                        Ok(report) => DueOutcome::Ran { run: report.run },
                        Err(error) => {
                            tracing::warn!(licence = %licence.number, %error, "daily reconciliation failed");
                            DueOutcome::Failed {
                                code: error.code().to_owned(),
                                message: error.to_string(),
                            }
                        }
                    }
                }
            }
        };
        out.push(DueRun {
            licence: licence.number,
            day,
            outcome,
        });
    }
    Ok(out)
}
