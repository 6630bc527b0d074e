//! `stateline queue`: what waits to be delivered (counts of waiting records by licence, user and
//! state, the oldest waiting record, the entries in any state), and `stateline queue show ENTRY_ID`: one entry's history.
//!
//! Guarantees: read-only; nothing here changes the outbox.

use clap::{Args, Subcommand};
use serde::Serialize;
use stateline_store::{EntryFilter, EntryState, OutboxEntry, StateCount};

use crate::args::Context;
use crate::error::CliError;
use crate::output;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct QueueArgs {
    /// Only this licence.
    #[arg(long)]
    pub licence: Option<String>,
    /// Only entries in this state (pending, sending, confirmed, ambiguous, rejected,
    /// waiting_for_key, voided); may be repeated.
    #[arg(long, value_parser = parse_state)]
    pub state: Vec<EntryState>,
    /// At most this many entries (newest first).
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    #[command(subcommand)]
    pub command: Option<QueueCommand>,
}

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// One entry with its state changes and delivery attempts.
    Show {
        /// The entry id (as `stateline queue` lists it).
        entry_id: i64,
    },
}

fn parse_state(s: &str) -> Result<EntryState, String> {
    s.parse()
        .map_err(|e: stateline_store::StoreError| e.to_string())
}

#[derive(Debug, Serialize)]
struct OldestWaiting {
    licence: String,
    at: Option<jiff::Timestamp>,
}

#[derive(Debug, Serialize)]
struct QueueView {
    counts: Vec<StateCount>,
    oldest_waiting: Vec<OldestWaiting>,
    entries: Vec<OutboxEntry>,
}

pub fn run(ctx: &Context, args: QueueArgs) -> Result<(), CliError> {
    let db = ctx.open_database()?;
    if let Some(QueueCommand::Show { entry_id }) = args.command {
        let history = db.entry_history(entry_id)?;
        if ctx.json {
            return output::json_line(&history);
        }
        print_entry(&history.entry)?;
        for t in &history.transitions {
            let detail = t.detail.as_deref().unwrap_or("");
            output::line(&format!("  {}  {} -> {}  {detail}", t.at, t.from, t.to))?;
        }
        output::line(&format!("  {} attempt(s)", history.attempts.len()))?;
        return Ok(());
    }
    let licences: Vec<String> = match &args.licence {
        Some(l) => vec![db.licence(l)?.number],
        None => db.licences()?.into_iter().map(|l| l.number).collect(),
    };
    let counts = db.counts(args.licence.as_deref())?;
    let oldest_waiting = licences
        .into_iter()
        .map(|licence| {
            let at = db.oldest_waiting(&licence)?;
            Ok(OldestWaiting { licence, at })
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let entries = db.list_entries(&EntryFilter {
        licence: args.licence.clone(),
        states: args.state.clone(),
        limit: Some(args.limit),
        ..EntryFilter::default()
    })?;
    let view = QueueView {
        counts,
        oldest_waiting,
        entries,
    };
    if ctx.json {
        return output::json_line(&view);
    }
    print_view(&view)
}

fn print_entry(e: &OutboxEntry) -> Result<(), CliError> {
    let error = e
        .last_error
        .as_deref()
        .map(|m| format!("  last error: {m}"))
        .unwrap_or_default();
    output::line(&format!(
        "#{}  {}  {}  {}  {}  by {}  at {}  attempts {}{error}",
        e.id, e.state, e.kind, e.client_id, e.licence, e.acting_user, e.occurred_at, e.attempts
    ))
}

fn print_view(view: &QueueView) -> Result<(), CliError> {
    if view.counts.is_empty() {
        output::line("the queue is empty")?;
    }
    for c in &view.counts {
        output::line(&format!(
            "{}  {}  {}: {}",
            c.licence, c.acting_user, c.state, c.count
        ))?;
    }
    for o in &view.oldest_waiting {
        match o.at {
            Some(at) => output::line(&format!(
                "{}: oldest waiting record made at {at}",
                o.licence
            ))?,
            None => output::line(&format!("{}: nothing waiting", o.licence))?,
        }
    }
    for e in &view.entries {
        print_entry(e)?;
    }
    Ok(())
}
