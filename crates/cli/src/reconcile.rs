//! `stateline reconcile --licence L --day YYYY-MM-DD --metrc-url URL`: compares a local day with
//! Metrc's receipts and prints each difference with its suggested fix; `reconcile fix` applies a
//! manager's fix to one difference; `reconcile due` runs yesterday's comparison for every licence
//! that has not had it (what the desktop shell schedules daily).
//!
//! Guarantees: keys come from stdin as `user=key` lines (like `sync`), are held only in the
//! client's redacting type and are never printed; a comparison only reads from Metrc; a fix is made
//! only by a manager who logs in with `--as NAME` (their PIN is the first stdin line) and is
//! audited by the compliance crate; only `--fix void_in_metrc` talks to Metrc, so only a void reads
//! a key (and needs `--metrc-url`), and a void with no key on stdin is refused with `no_key`; runs
//! and differences are stored for the screens and `--json`.

use clap::{Args, Subcommand, ValueEnum};
use stateline_compliance::{
    DueOutcome, FixCode, RunReport, Trigger, reconcile_day, reconcile_due, resolve_difference,
};

use crate::args::{Context, runtime};
use crate::deadlines::pin_from_stdin;
use crate::error::CliError;
use crate::{keys, output};

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Keys: the vendor key comes from STATELINE_VENDOR_KEY when set, else from the OS keychain \
                  (saved by a manager with `stateline vendor-key set`); the user key (a manager's \
                  or the facility key, with View Sales) is read from stdin as a `user=key` line. \
                  `reconcile fix` reads only the manager's PIN, plus a key with Manage Sales \
                  for `--fix void_in_metrc`, the one fix that talks to Metrc."
)]
pub struct ReconcileArgs {
    #[command(subcommand)]
    pub action: Option<ReconcileAction>,
    /// The licence to compare.
    #[arg(long, required = true)]
    pub licence: Option<String>,
    /// The local day (in the licence's time zone), YYYY-MM-DD.
    #[arg(long, required = true)]
    pub day: Option<String>,
    #[command(flatten)]
    pub metrc: MetrcArgs,
}

#[derive(Debug, Args)]
pub struct MetrcArgs {
    /// Metrc base URL, e.g. https://api-co.metrc.com or the emulator's URL.
    #[arg(long, required = true)]
    pub metrc_url: Option<String>,
    /// Whose key on stdin to use (default: the first `user=key` line).
    #[arg(long = "user", value_name = "USER")]
    pub user: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ReconcileAction {
    /// Apply a manager's fix to one difference. stdin: the manager's PIN; for `--fix
    /// void_in_metrc` (the only fix that talks to Metrc) then `user=key` lines, whose key needs
    /// Manage Sales, and `--metrc-url`.
    Fix(FixArgs),
    /// Compare yesterday for every licence that has not had its daily run (keys from stdin).
    Due(MetrcArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FixArg {
    #[value(name = "resend_sale")]
    ResendSale,
    #[value(name = "void_in_metrc")]
    VoidInMetrc,
    #[value(name = "resend_correction")]
    ResendCorrection,
    #[value(name = "acknowledge")]
    Acknowledge,
}

impl From<FixArg> for FixCode {
    fn from(fix: FixArg) -> FixCode {
        match fix {
            FixArg::ResendSale => FixCode::ResendSale,
            FixArg::VoidInMetrc => FixCode::VoidInMetrc,
            FixArg::ResendCorrection => FixCode::ResendCorrection,
            FixArg::Acknowledge => FixCode::Acknowledge,
        }
    }
}

#[derive(Debug, Args)]
pub struct FixArgs {
    /// The difference's number (`#N` in the reconcile output).
    #[arg(long)]
    pub difference: i64,
    /// What to do.
    #[arg(long, value_enum)]
    pub fix: FixArg,
    /// Why (kept in the audit log).
    #[arg(long)]
    pub note: Option<String>,
    /// The manager doing this (their PIN is the first stdin line).
    #[arg(long = "as", value_name = "MANAGER")]
    pub acting: String,
    /// Metrc base URL; needed only for `--fix void_in_metrc`.
    #[arg(long)]
    pub metrc_url: Option<String>,
    /// Whose key on stdin voids the receipt (default: the first `user=key` line); only for
    /// `--fix void_in_metrc`.
    #[arg(long = "user", value_name = "USER")]
    pub user: Option<String>,
}

fn metrc_client(url: Option<&str>) -> Result<metrc::MetrcClient, CliError> {
    let url = url.ok_or_else(|| {
        CliError::Config("--metrc-url is missing; give Metrc's (or the emulator's) URL".into())
    })?;
    keys::client(url)
}

/// The key of `user` (default: the first line) among the `user=key` lines on stdin, if any.
fn key_from_stdin(user: Option<&str>) -> Result<Option<metrc::UserKey>, CliError> {
    let mut lines = keys::user_keys_from_stdin()?;
    let index = match user {
        Some(user) => lines.iter().position(|(u, _)| u == user),
        None => (!lines.is_empty()).then_some(0),
    };
    Ok(index.map(|i| lines.swap_remove(i).1))
}

/// The client for `--metrc-url` and the chosen key from the `user=key` lines on stdin.
fn client_and_key(args: &MetrcArgs) -> Result<(metrc::MetrcClient, metrc::UserKey), CliError> {
    let client = metrc_client(args.metrc_url.as_deref())?;
    let key = key_from_stdin(args.user.as_deref())?.ok_or_else(|| {
        CliError::Config(match &args.user {
            Some(user) => {
                format!("no key for user {user} on stdin; give it as a `{user}=KEY` line")
            }
            None => {
                "no key on stdin; pipe a `user=KEY` line (a key with View Sales at the licence)"
                    .into()
            }
        })
    })?;
    Ok((client, key))
}

pub fn run(ctx: &Context, args: ReconcileArgs) -> Result<(), CliError> {
    match args.action {
        Some(ReconcileAction::Fix(fix)) => return run_fix(ctx, fix),
        Some(ReconcileAction::Due(metrc)) => return run_due(ctx, &metrc),
        None => {}
    }
    let day_text = args.day.unwrap_or_default();
    let day: jiff::civil::Date = day_text.trim().parse().map_err(|_| CliError::BadInput {
        what: "--day",
        detail: format!("{day_text:?} is not a date; use YYYY-MM-DD"),
    })?;
    let licence = args.licence.unwrap_or_default();
    let db = ctx.open_database()?;
    let (client, key) = client_and_key(&args.metrc)?;
    let report = runtime()?.block_on(reconcile_day(
        &db,
        &client,
        &key,
        &licence,
        day,
        Trigger::Manual,
    ))?;
    if ctx.json {
        return output::json_line(&report);
    }
    print(&report)
}

fn run_fix(ctx: &Context, args: FixArgs) -> Result<(), CliError> {
    let db = ctx.open_database()?;
    let pin = pin_from_stdin("the acting manager's")?;
    let session = db.verify_pin(&args.acting, &pin)?;
    let fix = FixCode::from(args.fix);
    // Only a void talks to Metrc: the other fixes read no key (and need no URL).
    let (client, key) = if fix == FixCode::VoidInMetrc {
        (
            Some(metrc_client(args.metrc_url.as_deref())?),
            key_from_stdin(args.user.as_deref())?,
        )
    } else {
        (None, None)
    };
    let fixed = runtime()?.block_on(resolve_difference(
        &db,
        client.as_ref().zip(key.as_ref()),
        &session.actor,
        args.difference,
        fix,
        args.note.as_deref(),
    ))?;
    if ctx.json {
        return output::json_line(&fixed);
    }
    output::line(&format!(
        "difference #{} ({}) resolved: {} by {}",
        fixed.id,
        fixed.kind.as_str(),
        fixed.resolution.map(FixCode::as_str).unwrap_or("-"),
        fixed.resolved_by.as_deref().unwrap_or("-")
    ))
}

fn run_due(ctx: &Context, args: &MetrcArgs) -> Result<(), CliError> {
    let db = ctx.open_database()?;
    let (client, key) = client_and_key(args)?;
    let key_for = move |_: &str| Some(key.clone());
    let runs = runtime()?.block_on(reconcile_due(&db, &client, &key_for, db.now()))?;
    if ctx.json {
        return output::json_line(&runs);
    }
    for due in &runs {
        let what = match &due.outcome {
            DueOutcome::Ran { run } => format!(
                "compared (run #{}): {} difference(s)",
                run.id, run.differences
            ),
            DueOutcome::AlreadyRan => "already compared".to_owned(),
            DueOutcome::NoKey => "skipped: no key".to_owned(),
            DueOutcome::Failed { code, message } => format!("failed ({code}): {message}"),
        };
        output::line(&format!("{} {}: {what}", due.licence, due.day))?;
    }
    Ok(())
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
