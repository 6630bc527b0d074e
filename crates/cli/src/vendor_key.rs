//! The Metrc vendor (integrator) key of this install: `stateline vendor-key set|clear|status`, and
//! which vendor key a command run uses.
//!
//! Guarantees:
//! - A run uses [`VENDOR_KEY_ENV`] when it is set (an installer's or a one-off override), else the
//!   OS keychain entry `metrc-vendor:<environment>` of the environment the command works in (the
//!   one it was given, else the register's: the one the app's setup chose, else `production`, the
//!   command line's default), else it fails saying both ways to provide one. There is no other source and no file fallback.
//! - `set`, `clear` and `status` are a manager's (`change_settings`): `--as NAME`, their PIN on
//!   the first stdin line; `set` reads the key from the next stdin line, never from an argument;
//!   `set` and `clear` are audited (`vendor_key_changed`: the entry and the last four only).
//! - The key is held only in `metrc::VendorKey` and `stateline_secrets::Secrets` (which scrub
//!   keychain errors); output shows only whether one is saved and its last four characters.

use std::sync::{Arc, OnceLock};

use clap::{Args, Subcommand};
use serde::Serialize;
use stateline_secrets::{EntryId, KeychainStore, SecretStoreError, Secrets, VENDOR_KEY_ENV};
use stateline_store::people::audit::{AuditAction, AuditEvent};
use stateline_store::{Database, Permission};

use crate::args::{Context, runtime};
use crate::deadlines::pin_from_stdin;
use crate::error::CliError;
use crate::keychain::Environment;
use crate::output;

/// The setting the app's setup writes the register's Metrc environment to.
const REGISTER_ENVIRONMENT_SETTING: &str = "app.environment";

/// The register's environment (or why it is not known), noted when this run opened its database.
static REGISTER_ENVIRONMENT: OnceLock<Result<Environment, String>> = OnceLock::new();

#[derive(Debug, Subcommand)]
pub enum VendorKeyCommand {
    /// Save the vendor key in the OS keychain. stdin: your PIN, then the key (one per line).
    Set(VendorKeyArgs),
    /// Remove the saved vendor key from the keychain. stdin: your PIN.
    Clear(VendorKeyArgs),
    /// Whether a vendor key is saved (and its last four). stdin: your PIN.
    Status(VendorKeyArgs),
}

#[derive(Debug, Args)]
pub struct VendorKeyArgs {
    /// The manager doing this (their PIN is the first stdin line).
    #[arg(long = "as", value_name = "NAME")]
    pub acting: String,
    /// The Metrc environment of the key (default: the register's; `production` unless the app's
    /// setup chose another).
    #[arg(long, value_enum)]
    pub environment: Option<Environment>,
}

/// What `status` reports.
#[derive(Debug, Serialize)]
struct Status {
    environment: &'static str,
    saved: bool,
    last_four: Option<String>,
    environment_variable_set: bool,
}

/// The register's Metrc environment: the app's chosen one, else production.
pub fn register_environment(db: &Database) -> Result<Environment, CliError> {
    match db.setting(REGISTER_ENVIRONMENT_SETTING)?.as_deref() {
        None | Some("production") => Ok(Environment::Production),
        Some("sandbox") => Ok(Environment::Sandbox),
        Some("demo") => Ok(Environment::Demo),
        Some(other) => Err(CliError::Config(format!(
            "the register's environment {other:?} is not known; choose it again in the app's setup"
        ))),
    }
}

/// Notes the register's environment for [`resolve`] (called when a run opens its database). A
/// problem reading it is reported only by a run that needs the keychain's vendor key.
pub fn note_register(db: &Database) {
    let environment = register_environment(db).map_err(|e| e.to_string());
    // A run opens one data folder, so a second call would note the same environment.
    let _ = REGISTER_ENVIRONMENT.set(environment);
}

fn installer_key_set() -> bool {
    std::env::var_os(VENDOR_KEY_ENV).is_some_and(|v| !v.is_empty())
}

fn secrets() -> Secrets {
    Secrets::with_installer_vendor_key(Arc::new(KeychainStore::new()), None)
}

fn entry(environment: Environment) -> Result<EntryId, CliError> {
    Ok(EntryId::vendor(environment.as_str())?)
}

fn missing(environment: Environment, why: &str) -> CliError {
    CliError::Config(format!(
        "no vendor key {why}; set the environment variable {VENDOR_KEY_ENV}, or have a manager \
         save it in the OS keychain with `stateline vendor-key set --as NAME --environment {}` \
         (PIN, then the key, on stdin)",
        environment.as_str()
    ))
}

/// The vendor key for this run (see the module docs for the order); `environment` names the
/// keychain entry's environment when the command works in a given one (`sync --keychain ENV`,
/// `doctor --environment ENV`), else the register's is used. Reads the keychain on a runtime of
/// its own, so it is called from synchronous code only, as every command does.
pub fn resolve(environment: Option<Environment>) -> Result<metrc::VendorKey, CliError> {
    if let Ok(value) = std::env::var(VENDOR_KEY_ENV)
        && !value.is_empty()
    {
        return metrc::VendorKey::new(value.trim()).map_err(|_| {
            CliError::Config(format!(
                "the vendor key in {VENDOR_KEY_ENV} is not a valid Metrc key; check it and retry"
            ))
        });
    }
    let environment = match (environment, REGISTER_ENVIRONMENT.get()) {
        (Some(given), _) => given,
        (None, Some(Ok(environment))) => *environment,
        (None, Some(Err(problem))) => return Err(CliError::Config(problem.clone())),
        (None, None) => Environment::Production,
    };
    let entry = entry(environment)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::io("start the keychain runtime"))?;
    match rt.block_on(secrets().vendor_key(&entry)) {
        Ok(key) => Ok(key),
        Err(SecretStoreError::NotFound { .. }) => Err(missing(
            environment,
            &format!("is saved for {}", environment.as_str()),
        )),
        Err(e) if e.is_keychain_down() => Err(missing(
            environment,
            &format!("could be read from the OS keychain ({}: {e})", e.code()),
        )),
        Err(e) => Err(e.into()),
    }
}

fn login(db: &Database, args: &VendorKeyArgs) -> Result<Environment, CliError> {
    let pin = pin_from_stdin("your")?;
    let session = db.verify_pin(&args.acting, &pin)?;
    session.actor.require(Permission::ChangeSettings)?;
    match args.environment {
        Some(environment) => Ok(environment),
        None => register_environment(db),
    }
}

/// The audit entry of a change to the vendor key (never the key: the entry and last four only).
fn audit(
    db: &Database,
    args: &VendorKeyArgs,
    entry: &EntryId,
    detail: String,
) -> Result<(), CliError> {
    db.append_audit(AuditEvent::by(
        &args.acting,
        AuditAction::VendorKeyChanged,
        entry.to_string(),
        detail,
    ))?;
    Ok(())
}

fn key_from_stdin() -> Result<metrc::VendorKey, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(CliError::io("read the vendor key from stdin"))?;
    let line = line.trim();
    if line.is_empty() {
        return Err(CliError::Config(
            "no vendor key on stdin; pipe your PIN, then the vendor key, one per line".into(),
        ));
    }
    metrc::VendorKey::new(line).map_err(|_| {
        CliError::Config(
            "the vendor key on stdin is not a valid Metrc key; copy the whole integrator key again"
                .into(),
        )
    })
}

pub fn run(ctx: &Context, command: VendorKeyCommand) -> Result<(), CliError> {
    let db = ctx.open_database()?;
    let rt = runtime()?;
    let secrets = secrets();
    match command {
        VendorKeyCommand::Set(args) => {
            let environment = login(&db, &args)?;
            let key = key_from_stdin()?;
            let entry = entry(environment)?;
            let saved = rt.block_on(secrets.set_vendor_key(&entry, &key))?;
            audit(
                &db,
                &args,
                &entry,
                format!("saved in the OS keychain (ends in {})", saved.last_four),
            )?;
            if ctx.json {
                return output::json_line(&serde_json::json!({
                    "environment": environment.as_str(),
                    "saved": true,
                    "last_four": saved.last_four,
                }));
            }
            output::line(&format!(
                "saved the vendor key for {} in the OS keychain (ends in {})",
                environment.as_str(),
                saved.last_four
            ))?;
            if installer_key_set() {
                output::line(&format!(
                    "note: {VENDOR_KEY_ENV} is set here, and runs with it set use it instead"
                ))?;
            }
            Ok(())
        }
        VendorKeyCommand::Clear(args) => {
            let environment = login(&db, &args)?;
            let entry = entry(environment)?;
            rt.block_on(secrets.clear_vendor_key(&entry))?;
            audit(&db, &args, &entry, "cleared from the OS keychain".into())?;
            if ctx.json {
                return output::json_line(&serde_json::json!({
                    "environment": environment.as_str(),
                    "cleared": true,
                }));
            }
            output::line(&format!(
                "cleared the vendor key for {} from the OS keychain",
                environment.as_str()
            ))
        }
        VendorKeyCommand::Status(args) => {
            let environment = login(&db, &args)?;
            let saved = match rt.block_on(secrets.vendor_key(&entry(environment)?)) {
                Ok(key) => Some(key.last_four()),
                Err(SecretStoreError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            };
            let status = Status {
                environment: environment.as_str(),
                saved: saved.is_some(),
                last_four: saved,
                environment_variable_set: installer_key_set(),
            };
            if ctx.json {
                return output::json_line(&status);
            }
            output::line(&match &status.last_four {
                Some(last_four) => format!(
                    "vendor key for {}: saved in the OS keychain (ends in {last_four})",
                    status.environment
                ),
                None => format!("vendor key for {}: none saved", status.environment),
            })?;
            if status.environment_variable_set {
                output::line(&format!(
                    "{VENDOR_KEY_ENV} is set here and is used before the saved key"
                ))?;
            }
            Ok(())
        }
    }
}
