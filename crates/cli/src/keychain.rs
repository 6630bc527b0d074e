//! `stateline key set|validate|clear|list|mode|override`: Metrc keys in the OS keychain, checked
//! against Metrc area by area, through the key service (`stateline-keys`).
//!
//! Guarantees: every command is done by a logged-in user (`--as NAME`, their PIN on the first stdin
//! line) and the key service checks their role (own key: anyone; others' keys, the facility key,
//! the mode and overrides: a manager); a key is read only from stdin (the line after the PIN), held
//! only in `metrc`'s redacting key type and never printed: output shows whose key it is and its
//! last four characters.

use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};
use stateline_keys::validation::{Verdict, render_table};
use stateline_keys::{KeyHolder, KeyMode, KeyPolicy, Keys};
use stateline_secrets::{KeychainStore, Secrets};
use stateline_store::{Database, Pin, Session};

use crate::args::{Context, runtime};
use crate::error::CliError;
use crate::{keys, output};

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Check a key against Metrc and, unless Metrc refuses it, save it in the OS keychain.
    /// stdin: your PIN, then the key (one per line). Exit 1 when Metrc refused the key.
    Set(SetArgs),
    /// Check a saved key against Metrc, area by area. stdin: your PIN. Exit 0 when all is good.
    Validate(SetArgs),
    /// Remove a saved key from the keychain. stdin: your PIN.
    Clear(WhoArgs),
    /// The saved keys you may see (whose, last four, last check), the key mode and overrides.
    /// stdin: your PIN.
    List(ActingArgs),
    /// A manager sets the key mode. stdin: the manager's PIN.
    Mode(ModeArgs),
    /// A manager sends a user's records under the facility key (only where allowed; audited).
    /// stdin: the manager's PIN.
    Override(OverrideArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Environment {
    Demo,
    Sandbox,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Demo => "demo",
            Environment::Sandbox => "sandbox",
            Environment::Production => "production",
        }
    }
}

#[derive(Debug, Args)]
pub struct ActingArgs {
    /// Who is doing this (their PIN is the first stdin line).
    #[arg(long = "as", value_name = "NAME")]
    pub acting: String,
    /// The Metrc environment of the keys.
    #[arg(long, value_enum, default_value = "production")]
    pub environment: Environment,
}

#[derive(Debug, Args)]
pub struct WhoArgs {
    #[command(flatten)]
    pub acting: ActingArgs,
    /// Whose key (a register user); default: your own.
    #[arg(long = "for", value_name = "USER", conflicts_with = "facility")]
    pub user: Option<String>,
    /// The facility (master) key.
    #[arg(long)]
    pub facility: bool,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    #[command(flatten)]
    pub who: WhoArgs,
    /// Base URL of the Metrc API (or the emulator).
    #[arg(long)]
    pub metrc_url: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    /// Each record under the key of the user who made it.
    Individual,
    /// Every record under the facility key.
    Facility,
}

#[derive(Debug, Args)]
pub struct ModeArgs {
    #[command(flatten)]
    pub acting: ActingArgs,
    #[arg(value_enum)]
    pub mode: ModeArg,
    /// Allow managers to send a user's waiting records under the facility key.
    #[arg(long)]
    pub allow_facility_overrides: bool,
}

#[derive(Debug, Args)]
pub struct OverrideArgs {
    #[command(flatten)]
    pub acting: ActingArgs,
    /// The user whose records go under the facility key.
    #[arg(long = "for", value_name = "USER")]
    pub user: String,
    /// Why (kept in the audit log).
    #[arg(long)]
    pub reason: String,
    /// Base URL of the Metrc API (or the emulator).
    #[arg(long)]
    pub metrc_url: String,
}

/// Stdin lines: the PIN first, then (when asked) the key.
struct StdinLines(Vec<String>);

impl StdinLines {
    fn read(count: usize, what: &str) -> Result<Self, CliError> {
        let stdin = std::io::stdin();
        let mut lock = stdin.lock();
        let mut lines = Vec::with_capacity(count);
        for _ in 0..count {
            let mut line = String::new();
            lock.read_line(&mut line)
                .map_err(CliError::io("read stdin"))?;
            let line = line.trim().to_owned();
            if line.is_empty() {
                return Err(CliError::Config(format!(
                    "stdin is missing lines; pipe {what}, one per line"
                )));
            }
            lines.push(line);
        }
        Ok(Self(lines))
    }

    fn pin(&self) -> Pin {
        Pin::new(&self.0[0])
    }

    fn key(&self) -> Result<metrc::UserKey, CliError> {
        metrc::UserKey::new(&self.0[1]).map_err(|_| {
            CliError::Config(
                "the key on stdin is not a valid Metrc key; copy it again from Metrc".into(),
            )
        })
    }
}

fn login(db: &Database, name: &str, pin: &Pin) -> Result<Session, CliError> {
    Ok(db.verify_pin(name, pin)?)
}

fn holder(who: &WhoArgs, session: &Session) -> KeyHolder {
    if who.facility {
        KeyHolder::Facility
    } else {
        KeyHolder::User(
            who.user
                .clone()
                .unwrap_or_else(|| session.actor.name().to_owned()),
        )
    }
}

/// The key service for one command run; `metrc_url` `None`: a client that is never contacted.
pub fn key_service(
    db: &Database,
    environment: Environment,
    metrc_url: Option<&str>,
) -> Result<Keys, CliError> {
    let client = match metrc_url {
        Some(url) => keys::client_in(url, Some(environment))?,
        None => keys::offline_client()?,
    };
    let secrets = Secrets::new(Arc::new(KeychainStore::new()));
    Ok(Keys::new(db.clone(), secrets, client, environment.as_str()))
}

pub fn run(ctx: &Context, command: KeyCommand) -> Result<ExitCode, CliError> {
    let db = ctx.open_database()?;
    let rt = runtime()?;
    match command {
        KeyCommand::Set(args) => {
            let input = StdinLines::read(2, "your PIN, then the key")?;
            let session = login(&db, &args.who.acting.acting, &input.pin())?;
            let key = input.key()?;
            let service = key_service(&db, args.who.acting.environment, Some(&args.metrc_url))?;
            let holder = holder(&args.who, &session);
            let saved = rt.block_on(service.set_key(&session.actor, &holder, key))?;
            if ctx.json {
                output::json_line(&saved)?;
            } else {
                output::line(render_table(&saved.validation).trim_end())?;
                output::line(&if saved.saved {
                    format!(
                        "saved the key for {holder} (ends in {}); released {} waiting record(s)",
                        saved.validation.last_four, saved.released
                    )
                } else {
                    format!("Metrc refused this key, so it was not saved for {holder}")
                })?;
            }
            if !saved.saved {
                return Ok(ExitCode::FAILURE);
            }
        }
        KeyCommand::Validate(args) => {
            let input = StdinLines::read(1, "your PIN")?;
            let session = login(&db, &args.who.acting.acting, &input.pin())?;
            let service = key_service(&db, args.who.acting.environment, Some(&args.metrc_url))?;
            let validation =
                rt.block_on(service.validate(&session.actor, &holder(&args.who, &session)))?;
            if ctx.json {
                output::json_line(&validation)?;
            } else {
                output::line(render_table(&validation).trim_end())?;
            }
            if validation.verdict != Verdict::AllGood {
                return Ok(ExitCode::FAILURE);
            }
        }
        KeyCommand::Clear(who) => {
            let input = StdinLines::read(1, "your PIN")?;
            let session = login(&db, &who.acting.acting, &input.pin())?;
            let service = key_service(&db, who.acting.environment, None)?;
            let holder = holder(&who, &session);
            rt.block_on(service.clear(&session.actor, &holder))?;
            if ctx.json {
                output::json_line(&serde_json::json!({ "cleared": holder }))?;
            } else {
                output::line(&format!("cleared the key for {holder}"))?;
            }
        }
        KeyCommand::List(acting) => {
            let input = StdinLines::read(1, "your PIN")?;
            let session = login(&db, &acting.acting, &input.pin())?;
            let service = key_service(&db, acting.environment, None)?;
            let overview = rt.block_on(service.overview(&session.actor))?;
            if ctx.json {
                return output::json_line(&overview).map(|()| ExitCode::SUCCESS);
            }
            output::line(&format!(
                "key mode: {}; facility overrides {}",
                overview.policy.mode.as_str(),
                if overview.policy.facility_overrides_allowed {
                    "allowed"
                } else {
                    "not allowed"
                }
            ))?;
            for k in &overview.keys {
                output::line(&format!(
                    "{:<24} ends in {:<4}  last check: {}",
                    k.holder.to_string(),
                    k.last_four,
                    k.verdict.as_deref().unwrap_or("never")
                ))?;
            }
            for o in &overview.overrides {
                output::line(&format!(
                    "{} goes under the facility key (by {}: {})",
                    o.user, o.granted_by, o.reason
                ))?;
            }
        }
        KeyCommand::Mode(args) => {
            let input = StdinLines::read(1, "the manager's PIN")?;
            let session = login(&db, &args.acting.acting, &input.pin())?;
            let service = key_service(&db, args.acting.environment, None)?;
            let policy = KeyPolicy {
                mode: match args.mode {
                    ModeArg::Individual => KeyMode::Individual,
                    ModeArg::Facility => KeyMode::Facility,
                },
                facility_overrides_allowed: args.allow_facility_overrides,
            };
            rt.block_on(service.set_policy(&session.actor, policy))?;
            output::line(&format!("key mode is now {}", policy.mode.as_str()))?;
        }
        KeyCommand::Override(args) => {
            let input = StdinLines::read(1, "the manager's PIN")?;
            let session = login(&db, &args.acting.acting, &input.pin())?;
            let service = key_service(&db, args.acting.environment, Some(&args.metrc_url))?;
            rt.block_on(service.load())?;
            let released = rt.block_on(service.send_under_facility_key(
                &session.actor,
                &args.user,
                &args.reason,
            ))?;
            output::line(&format!(
                "{}'s records now go under the facility key; released {released} waiting record(s)",
                args.user
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
