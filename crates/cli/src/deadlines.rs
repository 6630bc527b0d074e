//! `stateline deadlines list|set`: the default reporting deadline per US state.
//!
//! Guarantees: `set` is a manager's change (`--as NAME`, their PIN as the first stdin line, never
//! an argument) and is audited by the store in the same transaction; the PIN is never printed.
//! Licences already added keep their own deadline.

use std::io::BufRead;

use clap::{Args, Subcommand};
use stateline_store::Pin;

use crate::args::Context;
use crate::error::CliError;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum DeadlinesCommand {
    /// List every state's default deadline and whether it is still the shipped assumption.
    List,
    /// Set a state's default deadline. stdin: the acting manager's PIN.
    Set(SetArgs),
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// Two-letter state code, e.g. CO.
    #[arg(long)]
    pub state: String,
    /// Hours a record may take to reach Metrc (1 to 8760).
    #[arg(long)]
    pub hours: u32,
    /// The manager doing this (their PIN is the first stdin line).
    #[arg(long = "as", value_name = "MANAGER")]
    pub acting: String,
}

/// The first stdin line as a PIN.
pub fn pin_from_stdin(whose: &str) -> Result<Pin, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(CliError::io("read the PIN from stdin"))?;
    let pin = line.trim();
    if pin.is_empty() {
        return Err(CliError::Config(format!(
            "{whose} PIN is missing on stdin; pipe it as the first line"
        )));
    }
    Ok(Pin::new(pin))
}

pub fn run(ctx: &Context, command: DeadlinesCommand) -> Result<(), CliError> {
    let db = ctx.open_database()?;
    match command {
        DeadlinesCommand::List => {
            let rows = db.state_deadlines()?;
            if ctx.json {
                return output::json_line(&rows);
            }
            output::line("STATE  HOURS  SOURCE")?;
            for row in rows {
                let source = match (&row.updated_by, row.assumed) {
                    (Some(by), false) => format!("set by {by}"),
                    _ => "assumed default (check the state's rules)".into(),
                };
                output::line(&format!("{:<5}  {:>5}  {source}", row.state, row.hours))?;
            }
            Ok(())
        }
        DeadlinesCommand::Set(args) => {
            let pin = pin_from_stdin("the acting manager's")?;
            let session = db.verify_pin(&args.acting, &pin)?;
            let row = db.set_state_deadline(&session.actor, &args.state, args.hours)?;
            if ctx.json {
                output::json_line(&row)
            } else {
                output::line(&format!(
                    "default reporting deadline for {} is now {} h",
                    row.state, row.hours
                ))
            }
        }
    }
}
