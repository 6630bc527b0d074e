//! `stateline record sale|adjustment|new-packages`: records one request read as JSON from a file
//! or stdin.
//!
//! Guarantees: the input is parsed whole before anything is written; once the register has users,
//! the acting user must be one of them, enabled, with a role that may make this record (a sale:
//! anyone; an adjustment, merge or split: a manager); a request is recorded in one transaction by
//! the store; the result is printed only after that commit returned; bad input names the field at
//! fault and says that nothing was recorded.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::de::DeserializeOwned;
use stateline_store::{
    Approval, Database, NewAdjustment, NewPackages, NewSale, Permission, Recorded, SaleExceptions,
};

use crate::deadlines::pin_from_stdin;

use crate::args::Context;
use crate::error::CliError;
use crate::output;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RecordKind {
    /// A sale (stateline_store::NewSale).
    Sale,
    /// A package adjustment (stateline_store::NewAdjustment).
    Adjustment,
    /// A merge or split into new packages (stateline_store::NewPackages).
    NewPackages,
}

#[derive(Debug, Args)]
#[command(
    after_help = "The JSON has the fields of stateline_store::NewSale, NewAdjustment or NewPackages; \
                  quantities and money are decimal strings (\"3.5\"), times RFC 3339 \
                  (\"2026-11-22T18:00:00Z\"). Prints the record, entry and client ids only after \
                  the record was committed."
)]
pub struct RecordArgs {
    /// What to record.
    pub kind: RecordKind,
    /// JSON file to read; `-` or none reads stdin.
    #[arg(long, value_name = "F")]
    pub file: Option<PathBuf>,
    /// `-`: read stdin (the default).
    #[arg(value_name = "-", conflicts_with = "file", value_parser = ["-"])]
    pub stdin: Option<String>,
    /// A sale dated before its licence's reporting window (a paper sale from an outage): needs
    /// `--approved-by`.
    #[arg(long, requires = "approved_by")]
    pub late: bool,
    /// A medical sale without Metrc's reading of the patient's allotment, where the state's rules
    /// allow a manager's override: needs `--approved-by`.
    #[arg(long, requires = "approved_by")]
    pub without_patient_data: bool,
    /// The manager approving `--late` or `--without-patient-data` (their PIN is the first stdin
    /// line, so the JSON comes from `--file`); audited with `--reason`.
    #[arg(long, value_name = "MANAGER", requires_all = ["file", "reason"])]
    pub approved_by: Option<String>,
    /// Why the manager approves (goes into the audit log).
    #[arg(long, value_name = "TEXT", requires = "approved_by")]
    pub reason: Option<String>,
}

/// The largest record JSON read (a sale with hundreds of lines is a few tens of KiB).
const MAX_INPUT_BYTES: u64 = 1024 * 1024;

/// Reads the record's JSON from `file` or stdin, refusing more than [`MAX_INPUT_BYTES`] before
/// anything is parsed or written.
fn read_input(file: Option<&PathBuf>) -> Result<String, CliError> {
    let mut text = String::new();
    let read = match file {
        Some(path) if path.as_os_str() != "-" => std::fs::File::open(path)
            .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_string(&mut text))
            .map_err(CliError::io(format!("read {}", path.display()))),
        _ => std::io::stdin()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(CliError::io("read JSON from stdin")),
    }?;
    if read as u64 > MAX_INPUT_BYTES {
        return Err(CliError::BadInput {
            what: "record JSON",
            detail: format!(
                "it is larger than {} KiB; a record is far smaller — check the file",
                MAX_INPUT_BYTES / 1024
            ),
        });
    }
    Ok(text)
}

/// Parses `text`, naming the path of the field at fault on error.
fn parse<T: DeserializeOwned>(text: &str, what: &'static str) -> Result<T, CliError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let detail = if path.is_empty() || path == "." {
            inner.to_string()
        } else {
            format!("field `{path}`: {inner}")
        };
        CliError::BadInput { what, detail }
    })?;
    de.end().map_err(|e| CliError::BadInput {
        what,
        detail: e.to_string(),
    })?;
    Ok(value)
}

/// A parsed request, ready to record.
enum Request {
    Sale(NewSale),
    Adjustment(NewAdjustment),
    NewPackages(NewPackages),
}

fn parse_request(kind: RecordKind, text: &str) -> Result<Request, CliError> {
    Ok(match kind {
        RecordKind::Sale => Request::Sale(parse(text, "the sale JSON")?),
        RecordKind::Adjustment => Request::Adjustment(parse(text, "the adjustment JSON")?),
        RecordKind::NewPackages => Request::NewPackages(parse(text, "the new-packages JSON")?),
    })
}

/// Checks the acting user's role, once the register has users.
fn check_role(db: &Database, request: &Request) -> Result<(), CliError> {
    if db.needs_first_manager()? {
        return Ok(());
    }
    let (user, permission) = match request {
        Request::Sale(sale) => (&sale.acting_user, Permission::Sell),
        Request::Adjustment(adjustment) => (&adjustment.acting_user, Permission::Adjust),
        Request::NewPackages(packages) => (&packages.acting_user, Permission::MergeOrSplit),
    };
    Ok(db.require_user_may(user, permission)?)
}

/// The exceptions the approving manager (`--approved-by`, PIN on stdin) approves.
fn exceptions(db: &Database, args: &RecordArgs) -> Result<SaleExceptions, CliError> {
    let Some(manager) = &args.approved_by else {
        return Ok(SaleExceptions::default());
    };
    if !args.late && !args.without_patient_data {
        return Err(CliError::BadInput {
            what: "--approved-by",
            detail: "say what the manager approves: --late and/or --without-patient-data".into(),
        });
    }
    let pin = pin_from_stdin("the approving manager's")?;
    let session = db.verify_pin(manager, &pin)?;
    let approval = Approval::new(session.actor, args.reason.as_deref().unwrap_or_default())?;
    Ok(SaleExceptions {
        late: args.late.then(|| approval.clone()),
        without_patient_data: args.without_patient_data.then_some(approval),
    })
}

fn record(
    db: &Database,
    request: &Request,
    exceptions: &SaleExceptions,
) -> Result<Vec<Recorded>, CliError> {
    Ok(match request {
        Request::Sale(sale) => vec![db.record_sale_with(sale, exceptions)?.into()],
        Request::Adjustment(adjustment) => vec![db.record_adjustment(adjustment)?],
        Request::NewPackages(packages) => db.record_new_packages(packages)?,
    })
}

pub fn run(ctx: &Context, args: RecordArgs) -> Result<(), CliError> {
    let text = read_input(args.file.as_ref())?;
    let request = parse_request(args.kind, &text)?;
    let db = ctx.open_database()?;
    check_role(&db, &request)?;
    if args.approved_by.is_some() && !matches!(request, Request::Sale(_)) {
        return Err(CliError::BadInput {
            what: "--approved-by",
            detail: "only a sale takes a manager's approval; nothing was recorded".into(),
        });
    }
    let exceptions = exceptions(&db, &args)?;
    let recorded = record(&db, &request, &exceptions)?;
    if ctx.json {
        return match args.kind {
            RecordKind::NewPackages => output::json_line(&recorded),
            _ => output::json_line(&recorded[0]),
        };
    }
    let noun = match args.kind {
        RecordKind::Sale => "sale",
        RecordKind::Adjustment => "adjustment",
        RecordKind::NewPackages => "new package",
    };
    for r in &recorded {
        output::line(&format!(
            "recorded {noun} {} (entry {})",
            r.client_id, r.entry_id
        ))?;
    }
    Ok(())
}
