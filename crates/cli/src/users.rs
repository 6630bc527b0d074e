//! `stateline user add|reset-pin|list`: the people who log in to this register, and their roles.
//!
//! Guarantees: PINs are read only from stdin lines (never from arguments) and are held in
//! [`Pin`] from the moment they are read; no output or error contains a PIN or a PIN hash. Every
//! change but the first manager is made by a manager who logs in with `--as NAME` and their PIN.

use std::io::BufRead;

use clap::{Args, Subcommand, ValueEnum};
use stateline_store::{Database, Pin, Role, Session};

use crate::args::Context;
use crate::error::CliError;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user. stdin: the acting manager's PIN, then the new user's PIN (one per line).
    /// On first run (no users yet) this creates the first manager: no `--as`, one PIN line.
    Add(AddArgs),
    /// Set a new PIN for a user (unlocks them). stdin: the acting manager's PIN, then the new PIN.
    ResetPin(ResetPinArgs),
    /// List the users with their role and whether they are locked (never PINs).
    List,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Budtender,
    Manager,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::Budtender => Role::Budtender,
            RoleArg::Manager => Role::Manager,
        }
    }
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Name of the new user (1 to 40 characters).
    #[arg(long)]
    pub name: String,
    /// Role of the new user (the first user must be a manager).
    #[arg(long, value_enum)]
    pub role: RoleArg,
    /// The manager doing this (their PIN is the first stdin line).
    #[arg(long = "as", value_name = "MANAGER")]
    pub acting: Option<String>,
}

#[derive(Debug, Args)]
pub struct ResetPinArgs {
    /// The user whose PIN is reset.
    #[arg(long)]
    pub name: String,
    /// The manager doing this (their PIN is the first stdin line).
    #[arg(long = "as", value_name = "MANAGER")]
    pub acting: String,
}

pub fn run(ctx: &Context, command: UserCommand) -> Result<(), CliError> {
    let db = ctx.open_database()?;
    match command {
        UserCommand::Add(args) => add(ctx, &db, args),
        UserCommand::ResetPin(args) => {
            let [manager_pin, new_pin] =
                pins_from_stdin(["the acting manager's PIN", "the new PIN"])?;
            let session = login(&db, &args.acting, &manager_pin)?;
            db.reset_pin(&session.actor, &args.name, &new_pin)?;
            if ctx.json {
                output::json_line(&serde_json::json!({ "reset": args.name.trim() }))
            } else {
                output::line(&format!("PIN reset for {}", args.name.trim()))
            }
        }
        UserCommand::List => {
            let users = db.list_users()?;
            if ctx.json {
                return output::json_line(&users);
            }
            if users.is_empty() {
                return output::line(
                    "no users yet; add the first manager with `stateline user add`",
                );
            }
            output::line(&format!("{:<40}  {:<9}  {}", "NAME", "ROLE", "STATE"))?;
            for user in users {
                let state = if user.disabled {
                    "disabled"
                } else if user.locked {
                    "locked"
                } else {
                    "active"
                };
                output::line(&format!(
                    "{:<40}  {:<9}  {state}",
                    user.name,
                    user.role.as_str()
                ))?;
            }
            Ok(())
        }
    }
}

fn add(ctx: &Context, db: &Database, args: AddArgs) -> Result<(), CliError> {
    let role = Role::from(args.role);
    let user = if db.needs_first_manager()? {
        if role != Role::Manager {
            return Err(CliError::Config(
                "there are no users yet, so the first user must be a manager; use --role manager"
                    .into(),
            ));
        }
        let [pin] = pins_from_stdin(["the first manager's PIN"])?;
        let session = db.create_first_manager(&args.name, &pin)?;
        db.user(session.actor.name())?.ok_or_else(|| {
            CliError::Config("the first manager was created but cannot be read back".into())
        })?
    } else {
        let acting = args.acting.as_deref().ok_or_else(|| {
            CliError::Config(
                "users exist already: a manager must do this; pass --as MANAGER and pipe their PIN \
                 and the new user's PIN on stdin, one per line"
                    .into(),
            )
        })?;
        let [manager_pin, new_pin] =
            pins_from_stdin(["the acting manager's PIN", "the new user's PIN"])?;
        let session = login(db, acting, &manager_pin)?;
        db.add_user(&session.actor, &args.name, role, &new_pin)?
    };
    if ctx.json {
        output::json_line(&user)
    } else {
        output::line(&format!("added {} ({})", user.name, user.role.as_str()))
    }
}

pub(crate) fn login(db: &Database, name: &str, pin: &Pin) -> Result<Session, CliError> {
    Ok(db.verify_pin(name, pin)?)
}

/// Reads one PIN per stdin line, in the order `what` names them. Errors name what is missing,
/// never what was read.
pub(crate) fn pins_from_stdin<const N: usize>(what: [&str; N]) -> Result<[Pin; N], CliError> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock();
    let mut pins = Vec::with_capacity(N);
    for name in what {
        let mut line = String::new();
        lines
            .read_line(&mut line)
            .map_err(CliError::io("read PINs from stdin"))?;
        let pin = line.trim();
        if pin.is_empty() {
            return Err(CliError::Config(format!(
                "{name} is missing on stdin; pipe {} one per line",
                what.join(", then ")
            )));
        }
        pins.push(Pin::new(pin));
    }
    pins.try_into()
        .map_err(|_| CliError::Config("could not read the PINs from stdin".into()))
}
