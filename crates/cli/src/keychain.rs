//! `stateline key set|validate|clear`: Metrc user keys in the OS keychain, and checking them
//! against Metrc area by area.
//!
//! Guarantees: a key is read only from stdin (to save it) or from the keychain (to validate it),
//! held only in `metrc`'s redacting key type, and never printed: output shows the keychain entry
//! and the key's last four characters. Role checks for these commands come later; for now anyone
//! who can run the command on this register can use them.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};
use stateline_core::secrets::{EntryId, KeychainStore, Secrets};
use stateline_core::validation::{Verdict, render_table, validate_key};

use crate::args::{Context, runtime};
use crate::error::CliError;
use crate::{keys, output};

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Save a Metrc user's key (read as one line from stdin) in the OS keychain; prints only its
    /// last four characters. (Role checks come later: anyone at this register may do it for now.)
    Set(EntryArgs),
    /// Check the saved key against Metrc, area by area (vendor key from STATELINE_VENDOR_KEY).
    /// Exit 0 when all is good, 1 otherwise. (Role checks come later.)
    Validate(ValidateArgs),
    /// Delete a Metrc user's key from the keychain. (Role checks come later.)
    Clear(EntryArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Environment {
    Demo,
    Sandbox,
    Production,
}

impl Environment {
    fn as_str(self) -> &'static str {
        match self {
            Environment::Demo => "demo",
            Environment::Sandbox => "sandbox",
            Environment::Production => "production",
        }
    }
}

#[derive(Debug, Args)]
pub struct EntryArgs {
    /// The Metrc user the key belongs to.
    #[arg(long, value_name = "METRC_USER")]
    pub user: String,
    /// The Metrc environment of the key.
    #[arg(long, value_enum, default_value = "production")]
    pub environment: Environment,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub entry: EntryArgs,
    /// Base URL of the Metrc API (or the emulator).
    #[arg(long)]
    pub metrc_url: String,
    /// Only check these licences (repeatable; default: every licence the key reaches).
    #[arg(long = "licence", value_name = "LICENCE")]
    pub licences: Vec<String>,
}

pub fn run(ctx: &Context, command: KeyCommand) -> Result<ExitCode, CliError> {
    let secrets = Secrets::new(Arc::new(KeychainStore::new()));
    let rt = runtime()?;
    match command {
        KeyCommand::Set(args) => {
            let entry = entry_id(&args)?;
            let key = keys::user_key_from_stdin()?;
            let meta = rt.block_on(secrets.set_user_key(&entry, &key))?;
            if ctx.json {
                output::json_line(&meta)?;
            } else {
                output::line(&format!(
                    "saved the key for {} (ends in {})",
                    meta.entry, meta.last_four
                ))?;
            }
        }
        KeyCommand::Validate(args) => {
            let entry = entry_id(&args.entry)?;
            let client = keys::client(&args.metrc_url)?;
            let key = rt.block_on(secrets.user_key(&entry))?;
            let only = (!args.licences.is_empty()).then_some(args.licences.as_slice());
            let validation = rt.block_on(validate_key(&client, &key, only));
            if ctx.json {
                output::json_line(&validation)?;
            } else {
                output::line(render_table(&validation).trim_end())?;
            }
            if validation.verdict != Verdict::AllGood {
                return Ok(ExitCode::FAILURE);
            }
        }
        KeyCommand::Clear(args) => {
            let entry = entry_id(&args)?;
            rt.block_on(secrets.clear_user_key(&entry))?;
            if ctx.json {
                output::json_line(&serde_json::json!({ "cleared": entry.account() }))?;
            } else {
                output::line(&format!("cleared the key for {}", entry.account()))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn entry_id(args: &EntryArgs) -> Result<EntryId, CliError> {
    Ok(EntryId::user(args.environment.as_str(), &args.user)?)
}
