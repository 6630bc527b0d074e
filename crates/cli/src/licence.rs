//! `stateline licence add|list`: the licences (facilities) this register works for.
//!
//! Guarantees: `licence add` takes its reporting deadline from `--deadline-hours` when given, else
//! from the store's per-state defaults table (`stateline deadlines`) for the licence's state
//! (`--state`, else the register's state chosen in the app's setup); with no state known it takes
//! the strictest state default, so the warning never comes later than any state's default would.
//! Its output says where the deadline came from and whether that default is still the shipped
//! assumption (not yet set by a manager).

use clap::{Args, Subcommand};
use serde::Serialize;
use stateline_store::{Licence, LicenceRules, NewLicence, StateDeadline};

use crate::args::Context;
use crate::error::CliError;
use crate::output;

/// The setting the app's setup writes the register's state to (two letters).
const REGISTER_STATE_SETTING: &str = "app.state_code";

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
    /// Two-letter state of the licence, e.g. CO: its default deadline applies (default: the
    /// register's state from the app's setup).
    #[arg(long)]
    pub state: Option<String>,
    /// The reporting deadline in hours (default: the state's default, see `stateline deadlines`).
    #[arg(long)]
    pub deadline_hours: Option<u32>,
    /// Most records per write request (overrides the default).
    #[arg(long)]
    pub object_limit: Option<u32>,
    /// A sale to a patient or caregiver at this licence must carry the patient's licence number
    /// (the app reads this and the flags below from Metrc's facility type).
    #[arg(long)]
    pub requires_patient_number: bool,
    /// A sale to a caregiver at this licence must carry the caregiver's licence number.
    #[arg(long)]
    pub requires_caregiver_number: bool,
    /// A sale to an external patient at this licence must say how the patient was identified.
    #[arg(long)]
    pub requires_identification_method: bool,
    /// The licence sells only to patients and caregivers: a consumer sale is refused.
    #[arg(long)]
    pub medical_only: bool,
}

/// Where a new licence's deadline came from.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum DeadlineSource {
    /// `--deadline-hours`.
    Given,
    /// The default of the licence's state.
    StateDefault { state: String, assumed: bool },
    /// No state known: the strictest state default.
    StrictestStateDefault { state: String, assumed: bool },
}

impl DeadlineSource {
    fn describe(&self) -> String {
        let assumption = |state: &str, assumed: bool| {
            if assumed {
                format!(
                    "; it is an assumption, not checked against the state's rules, until a manager \
                     sets it (`stateline deadlines set --state {state}`)"
                )
            } else {
                " (set by a manager)".to_owned()
            }
        };
        match self {
            DeadlineSource::Given => "as given".to_owned(),
            DeadlineSource::StateDefault { state, assumed } => {
                format!(
                    "the state default for {state}{}",
                    assumption(state, *assumed)
                )
            }
            DeadlineSource::StrictestStateDefault { state, assumed } => format!(
                "the strictest state default ({state}), as no state was given and the register has \
                 none; pass --state{}",
                assumption(state, *assumed)
            ),
        }
    }
}

#[derive(Debug, Serialize)]
struct Added {
    #[serde(flatten)]
    licence: Licence,
    deadline_source: DeadlineSource,
    requires_patient_number: bool,
    requires_caregiver_number: bool,
    requires_identification_method: bool,
    sells_to_consumers: bool,
}

impl Added {
    /// What the licence's sales need, in words (empty when nothing).
    fn rules_in_words(&self) -> String {
        let mut parts = Vec::new();
        if !self.sells_to_consumers {
            parts.push("sells only to patients and caregivers");
        }
        if self.requires_patient_number {
            parts.push("a patient's or caregiver's sale needs the patient number");
        }
        if self.requires_caregiver_number {
            parts.push("a caregiver's sale needs the caregiver number");
        }
        if self.requires_identification_method {
            parts.push("an external patient's sale needs the identification method");
        }
        parts.iter().map(|p| format!("; {p}")).collect()
    }
}

fn add(db: &stateline_store::Database, args: AddArgs) -> Result<Added, CliError> {
    let state = match args.state {
        Some(state) => Some(state),
        None => db
            .setting(REGISTER_STATE_SETTING)?
            .filter(|s| !s.trim().is_empty()),
    };
    let (state, deadline_source) = match (args.deadline_hours, state) {
        (Some(_), state) => (state, DeadlineSource::Given),
        (None, Some(state)) => {
            let default = db.state_deadline(&state)?;
            let source = DeadlineSource::StateDefault {
                state: default.state.clone(),
                assumed: default.assumed,
            };
            (Some(default.state), source)
        }
        (None, None) => {
            let strictest = strictest(db.state_deadlines()?)?;
            let source = DeadlineSource::StrictestStateDefault {
                state: strictest.state.clone(),
                assumed: strictest.assumed,
            };
            (Some(strictest.state), source)
        }
    };
    let licence = db.add_licence_in_state(&NewLicence {
        number: args.number,
        name: args.name,
        time_zone: args.time_zone,
        state: state.unwrap_or_default(),
        reporting_deadline_hours: args.deadline_hours,
        object_limit: args.object_limit,
    })?;
    let rules = LicenceRules {
        requires_patient_number: args.requires_patient_number,
        requires_caregiver_number: args.requires_caregiver_number,
        requires_identification_method: args.requires_identification_method,
        sells_to_consumers: !args.medical_only,
    };
    db.set_licence_rules(&licence.number, rules)?;
    Ok(Added {
        licence,
        deadline_source,
        requires_patient_number: rules.requires_patient_number,
        requires_caregiver_number: rules.requires_caregiver_number,
        requires_identification_method: rules.requires_identification_method,
        sells_to_consumers: rules.sells_to_consumers,
    })
}

/// The state default with the fewest hours (the first by state code among equals).
fn strictest(rows: Vec<StateDeadline>) -> Result<StateDeadline, CliError> {
    rows.into_iter()
        .min_by(|a, b| a.hours.cmp(&b.hours).then_with(|| a.state.cmp(&b.state)))
        .ok_or_else(|| {
            CliError::Config(
                "no state has a default deadline; pass --deadline-hours, or set one with \
                 `stateline deadlines set`"
                    .into(),
            )
        })
}

pub fn run(ctx: &Context, command: LicenceCommand) -> Result<(), CliError> {
    let db = ctx.open_database()?;
    match command {
        LicenceCommand::Add(args) => {
            let added = add(&db, args)?;
            if ctx.json {
                output::json_line(&added)
            } else {
                let l = &added.licence;
                let numbers = added.rules_in_words();
                output::line(&format!(
                    "saved licence {} ({}); reporting deadline {} h: {}{numbers}",
                    l.number,
                    l.name,
                    l.reporting_deadline_hours,
                    added.deadline_source.describe()
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
