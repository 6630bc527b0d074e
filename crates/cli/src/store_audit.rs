//! `stateline store verify-audit`: every register's audit chain, verified from the store server's
//! copy (issue #13: each register's audit chain verifiable from the store), so a manager can
//! check a register that is switched off or gone.
//!
//! Guarantees: read-only; exits 1 when any register's chain is broken (naming the first broken
//! entry), 0 when all are intact; the store's copy is compared with nothing but itself here — a
//! register's own `stateline audit verify` checks its local log and prints the head hash to
//! compare with the store's.

use serde::Serialize;
use stateline_store::Database;
use stateline_store::people::audit::AuditVerification;

use crate::args::Context;
use crate::error::CliError;
use crate::output;
use crate::store::{connect, joined_or_explain};

#[derive(Debug, Serialize)]
struct RegisterChain {
    register: String,
    this_register: bool,
    #[serde(flatten)]
    verdict: AuditVerification,
}

pub(crate) async fn verify(ctx: &Context, db: &Database) -> Result<(), CliError> {
    let settings = joined_or_explain(db)?;
    let server = connect(db, &settings).await?;
    let chains: Vec<RegisterChain> = server
        .verify_every_audit()
        .await?
        .into_iter()
        .map(|chain| RegisterChain {
            this_register: chain.register.id == db.install_id(),
            register: chain.register.name,
            verdict: chain.verdict,
        })
        .collect();
    let broken = chains.iter().filter(|c| !c.verdict.is_intact()).count();
    if ctx.json {
        output::json_line(&chains)?;
    } else {
        for chain in &chains {
            let here = if chain.this_register {
                " (this one)"
            } else {
                ""
            };
            let verdict = match &chain.verdict {
                AuditVerification::Intact { entries, head_hash } => {
                    format!("intact, {entries} entries, head {head_hash}")
                }
                AuditVerification::Broken { seq, reason } => {
                    format!("BROKEN at entry {seq}: {reason}")
                }
            };
            output::line(&format!("{}{here}: {verdict}", chain.register))?;
        }
    }
    if broken > 0 {
        return Err(CliError::AuditBroken(format!(
            "{broken} register(s) have a broken audit chain in the store; compare with `stateline audit verify` on that register"
        )));
    }
    Ok(())
}
