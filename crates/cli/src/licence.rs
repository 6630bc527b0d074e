//! `stateline licence add|list`: the licences (facilities) this register works for.

use clap::{Args, Subcommand};
use stateline_core::Licence;

use crate::args::Context;
use crate::error::CliError;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum LicenceCommand {
    /// Add a licence, or update it if the number is known.
    Add(AddArgs),
    /// List the licences.
    List,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Metrc licence number.
    #[arg(long)]
    pub number: String,
    /// Facility name.
    #[arg(long)]
    pub name: String,
    /// IANA time zone of the facility, e.g. America/Denver.
    #[arg(long)]
    pub time_zone: String,
    /// The state's reporting deadline in hours.
    #[arg(long, default_value_t = 24)]
    pub deadline_hours: u32,
    /// Most records per write request (overrides the default).
    #[arg(long)]
    pub object_limit: Option<u32>,
}

pub fn run(ctx: &Context, command: LicenceCommand) -> Result<(), CliError> {
    let db = ctx.open_database()?;
    match command {
        LicenceCommand::Add(args) => {
            let licence = Licence {
                number: args.number,
                name: args.name,
                time_zone: args.time_zone,
                reporting_deadline_hours: args.deadline_hours,
                object_limit: args.object_limit,
            };
            db.upsert_licence(&licence)?;
            if ctx.json {
                output::json_line(&licence)
            } else {
                output::line(&format!(
                    "saved licence {} ({})",
                    licence.number, licence.name
                ))
            }
        }
        LicenceCommand::List => {
            let licences = db.licences()?;
            if ctx.json {
                return output::json_line(&licences);
            }
            if licences.is_empty() {
                return output::line("no licences; add one with `stateline licence add`");
            }
            for l in licences {
                let limit = l
                    .object_limit
                    .map_or_else(|| "default".to_owned(), |n| n.to_string());
                output::line(&format!(
                    "{}\t{}\t{}\tdeadline {} h\tobject limit {}",
                    l.number, l.name, l.time_zone, l.reporting_deadline_hours, limit
                ))?;
            }
            Ok(())
        }
    }
}
