//! `stateline audit list|verify|export`: the append-only, hash-chained audit log.
//!
//! Guarantees: read-only; `verify` exits 1 and names the first broken entry when the chain does
//! not check out (an edited or removed row); `export` writes the whole selection (oldest first)
//! as JSON or RFC 4180 CSV through a temporary file and a rename. Entries never hold a secret.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use stateline_compliance::outage::render::csv_field;
use stateline_store::people::audit::{AuditAction, AuditEntry, AuditQuery, AuditVerification};

use crate::args::Context;
use crate::error::CliError;
use crate::output;
use crate::report::{parse_time, write_atomically};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Show entries, newest first.
    List(ListArgs),
    /// Check the hash chain; exit 1 and name the first broken entry if it does not check out.
    Verify,
    /// Write entries (oldest first) to a file or stdout as JSON or CSV.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct Filter {
    /// Only entries at or after this time (RFC 3339 or a date, UTC midnight).
    #[arg(long)]
    pub since: Option<String>,
    /// Only entries before this time (same forms).
    #[arg(long)]
    pub until: Option<String>,
    /// Only this action code, e.g. sale_voided.
    #[arg(long)]
    pub action: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub filter: Filter,
    /// At most this many entries.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub filter: Filter,
    /// json (an array) or csv (RFC 4180).
    #[arg(long, value_enum, default_value = "json")]
    pub format: ExportFormat,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

fn query(filter: &Filter, limit: usize) -> Result<AuditQuery, CliError> {
    let action = match &filter.action {
        None => None,
        Some(code) => Some(AuditAction::from_code(code.trim()).ok_or_else(|| {
            let known: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
            CliError::BadInput {
                what: "--action",
                detail: format!(
                    "{code:?} is not an audit action; use one of {}",
                    known.join(", ")
                ),
            }
        })?),
    };
    Ok(AuditQuery {
        since: filter
            .since
            .as_deref()
            .map(|t| parse_time("--since", t))
            .transpose()?,
        until: filter
            .until
            .as_deref()
            .map(|t| parse_time("--until", t))
            .transpose()?,
        action,
        limit,
        ..AuditQuery::default()
    })
}

const CSV_COLUMNS: &str = "seq,at,actor,action,subject,detail,hash";

fn csv(entries: &[AuditEntry]) -> String {
    let mut out = format!("{CSV_COLUMNS}\r\n");
    for e in entries {
        let fields = [
            e.seq.to_string(),
            e.at.to_string(),
            e.actor.clone().unwrap_or_default(),
            e.action.clone(),
            e.subject.clone(),
            e.detail.clone(),
            e.hash.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

pub fn run(ctx: &Context, command: AuditCommand) -> Result<ExitCode, CliError> {
    let db = ctx.open_database()?;
    match command {
        AuditCommand::List(args) => {
            let entries = db.audit_entries(&query(&args.filter, args.limit)?)?;
            if ctx.json {
                output::json_line(&entries)?;
            } else if entries.is_empty() {
                output::line("no audit entries match")?;
            } else {
                for e in &entries {
                    output::line(&format!(
                        "#{} {} {} {} {}: {}",
                        e.seq,
                        e.at,
                        e.actor.as_deref().unwrap_or("(stateline)"),
                        e.action,
                        e.subject,
                        e.detail
                    ))?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify => {
            let verdict = db.verify_audit()?;
            if ctx.json {
                output::json_line(&verdict)?;
            } else {
                match &verdict {
                    AuditVerification::Intact { entries, head_hash } => output::line(&format!(
                        "audit log intact: {entries} entr(y/ies), head {head_hash}"
                    ))?,
                    AuditVerification::Broken { seq, reason } => {
                        output::line(&format!("audit log BROKEN at entry {seq}: {reason}"))?
                    }
                }
            }
            Ok(if verdict.is_intact() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        AuditCommand::Export(args) => {
            let mut entries = db.audit_entries(&query(&args.filter, 0)?)?;
            entries.reverse();
            let text = match args.format {
                ExportFormat::Json => {
                    serde_json::to_string_pretty(&entries).map_err(|e| {
                        CliError::Config(format!("could not render the audit log as JSON: {e}"))
                    })? + "\n"
                }
                ExportFormat::Csv => csv(&entries),
            };
            match args.out {
                Some(path) => {
                    write_atomically(&path, &text)?;
                    if ctx.json {
                        output::json_line(&serde_json::json!({
                            "path": path, "entries": entries.len()
                        }))?;
                    } else {
                        output::line(&format!(
                            "wrote {} entr(y/ies) to {}",
                            entries.len(),
                            path.display()
                        ))?;
                    }
                }
                None => {
                    use std::io::Write;
                    let mut out = std::io::stdout().lock();
                    out.write_all(text.as_bytes())
                        .and_then(|()| out.flush())
                        .map_err(CliError::io("write to stdout"))?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
