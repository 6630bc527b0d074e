//! `stateline report outage --from --to --format csv|html [--out FILE]`: the outage report.
//!
//! Guarantees: read-only on the store; `--out` writes to a temporary file beside the target and
//! renames it into place, so a failed write never leaves half a report; without `--out` the
//! report goes to stdout as is. Names and reasons only — the report never holds a key.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use jiff::Timestamp;
use stateline_compliance::outage::render::{to_csv, to_html};
use stateline_compliance::{OutageQuery, OutageReports};

use crate::args::Context;
use crate::error::CliError;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Every record made while the register was not in step with Metrc, with why it waited,
    /// when Metrc accepted it and how late that was against the licence's deadline.
    Outage(OutageArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
    Html,
}

#[derive(Debug, Args)]
pub struct OutageArgs {
    /// Records made from this time: RFC 3339 (2026-11-22T07:00:00Z) or a date (UTC midnight).
    #[arg(long)]
    pub from: String,
    /// Records made before this time (same forms; a date means its UTC midnight).
    #[arg(long)]
    pub to: String,
    /// csv (RFC 4180) or html (a printable page with no external assets).
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Only this licence.
    #[arg(long)]
    pub licence: Option<String>,
    /// Minutes within which a first, successful attempt counts as "in step" (default 5).
    #[arg(long, default_value_t = 5)]
    pub grace_minutes: u32,
}

/// Parses `--from`/`--to`: an RFC 3339 timestamp, or a date meaning its midnight UTC.
pub fn parse_time(what: &'static str, text: &str) -> Result<Timestamp, CliError> {
    if let Ok(at) = text.trim().parse::<Timestamp>() {
        return Ok(at);
    }
    text.trim()
        .parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| CliError::BadInput {
            what,
            detail: format!(
                "{text:?} is neither a time like 2026-11-22T07:00:00Z nor a date like 2026-11-22"
            ),
        })
}

/// Writes `content` to `path` through a temporary file and a rename.
pub fn write_atomically(path: &Path, content: &str) -> Result<(), CliError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(content.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        CliError::Io {
            action: format!("write {}", path.display()),
            source: e,
        }
    })
}

pub fn run(ctx: &Context, command: ReportCommand) -> Result<(), CliError> {
    let ReportCommand::Outage(args) = command;
    let db = ctx.open_database()?;
    let mut query = OutageQuery::new(
        parse_time("--from", &args.from)?,
        parse_time("--to", &args.to)?,
    );
    query.licence = args.licence;
    query.prompt_within = jiff::SignedDuration::from_mins(i64::from(args.grace_minutes));
    let report = db.outage_report(&query)?;
    let text = match args.format {
        Format::Csv => to_csv(&report),
        Format::Html => to_html(&report),
    };
    match args.out {
        Some(path) => {
            write_atomically(&path, &text)?;
            if ctx.json {
                output::json_line(&serde_json::json!({
                    "path": path,
                    "records": report.rows.len(),
                }))
            } else {
                output::line(&format!(
                    "wrote {} record(s) to {}",
                    report.rows.len(),
                    path.display()
                ))
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(CliError::io("write to stdout"))
        }
    }
}
