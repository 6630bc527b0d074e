//! `stateline reconcile --licence L --day YYYY-MM-DD --metrc-url URL`: compares a local day with
//! Metrc's receipts and prints each difference with its suggested fix.
//!
//! Guarantees: the key comes from stdin as a `user=key` line (like `sync`), is held only in the
//! client's redacting type and is never printed; the run only reads from Metrc; the run and its
//! differences are stored, so the Audit and Sync screens (or `--json`) can show them later.

use clap::Args;
use stateline_core::compliance::{RunReport, Trigger, reconcile_day};

use crate::args::{Context, runtime};
use crate::error::CliError;
use crate::{keys, output};

#[derive(Debug, Args)]
#[command(
    after_help = "Keys: the vendor key comes from STATELINE_VENDOR_KEY; the user key (a manager's \
                  or the facility key, with View Sales) is read from stdin as a `user=key` line."
)]
pub struct ReconcileArgs {
    /// The licence to compare.
    #[arg(long)]
    pub licence: String,
    /// The local day (in the licence's time zone), YYYY-MM-DD.
    #[arg(long)]
    pub day: String,
    /// Metrc base URL, e.g. https://api-co.metrc.com or the emulator's URL.
    #[arg(long)]
    pub metrc_url: String,
    /// Whose key on stdin to use (default: the first line).
    #[arg(long = "user", value_name = "USER")]
    pub user: Option<String>,
}

pub fn run(ctx: &Context, args: ReconcileArgs) -> Result<(), CliError> {
    let day: jiff::civil::Date = args.day.trim().parse().map_err(|_| CliError::BadInput {
        what: "--day",
        detail: format!("{:?} is not a date; use YYYY-MM-DD", args.day),
    })?;
    let db = ctx.open_database()?;
    let client = keys::client(&args.metrc_url)?;
    let mut lines = keys::user_keys_from_stdin()?;
    let index = match &args.user {
        Some(user) => lines.iter().position(|(u, _)| u == user).ok_or_else(|| {
            CliError::Config(format!(
                "no key for user {user} on stdin; give it as a `{user}=KEY` line"
            ))
        })?,
        None if lines.is_empty() => {
            return Err(CliError::Config(
                "no key on stdin; pipe a `user=KEY` line (a key with View Sales at the licence)"
                    .into(),
            ));
        }
        None => 0,
    };
    let (_, key) = lines.swap_remove(index);
    let report = runtime()?.block_on(reconcile_day(
        &db,
        &client,
        &key,
        &args.licence,
        day,
        Trigger::Manual,
    ))?;
    if ctx.json {
        return output::json_line(&report);
    }
    print(&report)
}

fn print(report: &RunReport) -> Result<(), CliError> {
    let run = &report.run;
    output::line(&format!(
        "reconciled {} for {} (run #{}): {} local sale(s), {} not compared (still on their way), \
         {} Metrc receipt(s), {} difference(s)",
        run.licence,
        run.day,
        run.id,
        run.local_sales,
        run.not_compared,
        run.metrc_receipts,
        run.differences
    ))?;
    for d in &report.differences {
        let mut what = vec![d.kind.as_str().to_owned()];
        if let Some(number) = &d.client_id {
            what.push(format!("record {number}"));
        }
        if let Some(receipt) = d.metrc_receipt_id {
            what.push(format!("Metrc receipt {receipt}"));
        }
        if let Some(label) = &d.label {
            what.push(format!("package {label}"));
        }
        if d.local_value.is_some() || d.metrc_value.is_some() {
            what.push(format!(
                "here {} / Metrc {}",
                d.local_value.as_deref().unwrap_or("-"),
                d.metrc_value.as_deref().unwrap_or("-")
            ));
        }
        output::line(&format!("  #{} {}", d.id, what.join(", ")))?;
        output::line(&format!("      fix {}: {}", d.fix.as_str(), d.fix_text))?;
    }
    Ok(())
}
