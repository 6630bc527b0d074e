//! `stateline integrations add|list|revoke`: the POS integrations allowed to call the local API
//! (`stateline serve`), each with its own bearer token and scopes.
//!
//! Guarantees: adding and revoking are a manager's (`--by NAME`, the PIN as the first stdin line,
//! never an argument), audited by `stateline-pos::tokens`; a new token is printed exactly once,
//! by `add` (Stateline keeps only its hash and cannot show it again); `list` shows each token's
//! first characters only.

use clap::{Args, Subcommand, ValueEnum};
use secrecy::ExposeSecret;
use stateline_pos::tokens::{self, Integration, Scope};

use crate::args::Context;
use crate::deadlines::pin_from_stdin;
use crate::error::CliError;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum IntegrationsCommand {
    /// Add an integration and print its token once. stdin: the manager's PIN.
    Add(AddArgs),
    /// List the integrations (never their tokens), revoked ones included.
    List,
    /// Revoke an integration: its token is refused from the next call on. stdin: the manager's
    /// PIN.
    Revoke(RevokeArgs),
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    /// Record sales and adjustments.
    Record,
    /// Read records' states, their changes and the register's status.
    Status,
    /// Read packages with what is on hand.
    Inventory,
    /// Every scope.
    All,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The POS's name, as staff will recognise it (1 to 80 characters, unique).
    #[arg(long)]
    pub name: String,
    /// What it may do (repeat the flag for several).
    #[arg(long = "scope", value_enum, required = true)]
    pub scopes: Vec<ScopeArg>,
    /// The manager doing this (their PIN is the first stdin line).
    #[arg(long, value_name = "MANAGER")]
    pub by: String,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The integration's number (`integrations list`).
    pub id: i64,
    /// The manager doing this (their PIN is the first stdin line).
    #[arg(long, value_name = "MANAGER")]
    pub by: String,
}

fn scopes(args: &[ScopeArg]) -> Vec<Scope> {
    let mut out: Vec<Scope> = Vec::new();
    for arg in args {
        let more: &[Scope] = match arg {
            ScopeArg::Record => &[Scope::Record],
            ScopeArg::Status => &[Scope::Status],
            ScopeArg::Inventory => &[Scope::Inventory],
            ScopeArg::All => &Scope::ALL,
        };
        for scope in more {
            if !out.contains(scope) {
                out.push(*scope);
            }
        }
    }
    out
}

fn scope_list(integration: &Integration) -> String {
    integration
        .scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn run(ctx: &Context, command: IntegrationsCommand) -> Result<(), CliError> {
    let db = ctx.open_database()?;
    match command {
        IntegrationsCommand::Add(args) => {
            let pin = pin_from_stdin("the acting manager's")?;
            let session = db.verify_pin(&args.by, &pin)?;
            let created = tokens::create(&db, &session.actor, &args.name, &scopes(&args.scopes))?;
            let token = created.token.expose_secret();
            if ctx.json {
                return output::json_line(&serde_json::json!({
                    "integration": created.integration,
                    "token": token,
                }));
            }
            let integration = &created.integration;
            output::line(&format!(
                "integration #{} {:?} may: {}",
                integration.id,
                integration.name,
                scope_list(integration)
            ))?;
            output::line(&format!("token: {token}"))?;
            output::line(
                "Give the POS this token now (as `Authorization: Bearer <token>`); Stateline \
                 keeps only its hash and cannot show it again.",
            )
        }
        IntegrationsCommand::List => {
            let all = tokens::list(&db)?;
            if ctx.json {
                return output::json_line(&all);
            }
            if all.is_empty() {
                return output::line(
                    "no integrations yet; a manager adds one with `integrations add`",
                );
            }
            output::line(
                "ID  NAME                      TOKEN      SCOPES                   STATE",
            )?;
            for i in &all {
                let state = match (&i.revoked_at, &i.revoked_by) {
                    (Some(at), by) => format!(
                        "revoked {} by {}",
                        at.strftime("%Y-%m-%d %H:%M UTC"),
                        by.as_deref().unwrap_or("?")
                    ),
                    (None, _) => match &i.last_used_at {
                        Some(at) => {
                            format!("active, last used {}", at.strftime("%Y-%m-%d %H:%M UTC"))
                        }
                        None => "active, never used".into(),
                    },
                };
                output::line(&format!(
                    "{:<3} {:<25} {:<10} {:<24} {state}",
                    i.id,
                    i.name,
                    format!("{}…", i.token_prefix),
                    scope_list(i)
                ))?;
            }
            Ok(())
        }
        IntegrationsCommand::Revoke(args) => {
            let pin = pin_from_stdin("the acting manager's")?;
            let session = db.verify_pin(&args.by, &pin)?;
            let revoked = tokens::revoke(&db, &session.actor, args.id)?;
            if ctx.json {
                return output::json_line(&revoked);
            }
            output::line(&format!(
                "integration #{} {:?} revoked; its token is refused from now on",
                revoked.id, revoked.name
            ))
        }
    }
}
