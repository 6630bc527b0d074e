//! `stateline store join|status|sync|leave`: this register in a store of several registers that
//! share one store server (PostgreSQL; issue #13).
//!
//! Guarantees:
//! - `join` and `leave` are the procedure the app follows too (`stateline_link::joining`); they are
//!   a manager's (`change_settings`: `--as NAME`, their PIN on the first
//!   stdin line) and audited (`store_membership_changed`: the server and the register's name, never
//!   the password). `join` reads the store server's password from the next stdin line, never from
//!   an argument, and keeps it only in the OS keychain (`store-server:<register id>`).
//! - Bad input or a server that refuses leaves nothing half-written: `join` checks the settings,
//!   connects and joins on the server before it saves the password and then the membership, and
//!   undoes the server-side join if the keychain refuses the password.
//! - A register that joins pushes what it already recorded in the same run (when the server
//!   answers; otherwise the next `sync` or the app's link does).
//! - `leave` refuses, unless `--force`, while records have not reached the store and the server
//!   cannot be reached; leaving forgets the store's traces on this register and never its own
//!   records, which still go to Metrc as before.
//! - `status` and `sync` need no PIN: they show and move records, never keys.

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use secrecy::SecretString;
use serde::Serialize;
use stateline_clock::{Clock, SystemClock};
use stateline_link::{
    LinkError, LinkSchedule, LinkWorker, RegisterIdentity, StoreServer, StoreSettings, StoreTls,
    joining, membership, push,
};
use stateline_secrets::{EntryId, KeychainStore, SecretStoreError, Secrets};
use stateline_store::{Database, Permission};

use crate::args::{Context, runtime};
use crate::deadlines::pin_from_stdin;
use crate::error::CliError;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Join this register to a store. stdin: your PIN, then the store server's password.
    Join(JoinArgs),
    /// The store at a glance: its registers, the backlog, this register's link.
    Status,
    /// Push this register's records and pull the others' now (or keep doing so with --watch).
    Sync(SyncArgs),
    /// Take this register out of its store. stdin: your PIN.
    Leave(LeaveArgs),
    /// Verify every register's audit chain from the store server's copy.
    VerifyAudit,
}

#[derive(Debug, Args)]
pub struct JoinArgs {
    /// The manager doing this (their PIN is the first stdin line).
    #[arg(long = "as", value_name = "NAME")]
    pub acting: String,
    /// The store server's host name or address.
    #[arg(long)]
    pub host: String,
    /// Its port.
    #[arg(long, default_value_t = membership::DEFAULT_PORT)]
    pub port: u16,
    /// The store's database.
    #[arg(long)]
    pub database: String,
    /// The store server login the registers use.
    #[arg(long)]
    pub user: String,
    /// This register's name in the store, e.g. "Register 2".
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Connect over TLS, checking the server's certificate against the public roots (or
    /// `--ca-file`) and its name against `--host`.
    #[arg(long)]
    pub tls: bool,
    /// The PEM file of the store's certificate authority (or the server's self-signed
    /// certificate); implies `--tls`.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Keep the link running (push after each change, pull the others') until Ctrl-C.
    #[arg(long)]
    pub watch: bool,
}

#[derive(Debug, Args)]
pub struct LeaveArgs {
    /// The manager doing this (their PIN is the first stdin line).
    #[arg(long = "as", value_name = "NAME")]
    pub acting: String,
    /// Leave even though records have not reached the store and the server cannot be reached.
    #[arg(long)]
    pub force: bool,
}

/// What `status` prints with `--json`.
#[derive(Debug, Serialize)]
struct Status {
    joined: bool,
    store: Option<String>,
    register_name: Option<String>,
    register_id: String,
    pushed_through: i64,
    not_pushed: i64,
    pulled: Vec<PulledCount>,
    server: Option<ServerView>,
}

#[derive(Debug, Serialize)]
struct PulledCount {
    register_id: String,
    records: i64,
    open: i64,
}

#[derive(Debug, Serialize)]
struct ServerView {
    reachable: bool,
    error: Option<ErrorView>,
    registers: Vec<RegisterView>,
    backlog: Vec<BacklogView>,
    keys: Vec<KeyView>,
}

/// A Metrc key a register of the store holds (never the key).
#[derive(Debug, Serialize)]
struct KeyView {
    environment: String,
    holder: String,
    register_name: String,
    this_register: bool,
    last_four: String,
    saved_at: String,
    verdict: Option<String>,
    newest: bool,
}

#[derive(Debug, Serialize)]
struct ErrorView {
    code: &'static str,
    message: String,
}

#[derive(Debug, Serialize)]
struct RegisterView {
    id: String,
    name: String,
    app_version: String,
    last_seen_at: String,
    records: i64,
    open: i64,
    this_register: bool,
}

#[derive(Debug, Serialize)]
struct BacklogView {
    licence: String,
    acting_user: String,
    open: i64,
    oldest: String,
}

impl From<LinkError> for CliError {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::Store(e) => CliError::Store(e),
            other => CliError::Link(other),
        }
    }
}

fn secrets() -> Secrets {
    Secrets::with_installer_vendor_key(Arc::new(KeychainStore::new()), None)
}

fn password_entry(db: &Database) -> Result<EntryId, CliError> {
    Ok(EntryId::store_server(db.install_id())?)
}

fn identity(settings: &StoreSettings) -> RegisterIdentity {
    RegisterIdentity {
        name: settings.register_name.clone(),
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
    }
}

fn login(db: &Database, acting: &str) -> Result<(), CliError> {
    let pin = pin_from_stdin("your")?;
    let session = db.verify_pin(acting, &pin)?;
    session.actor.require(Permission::ChangeSettings)?;
    Ok(())
}

fn password_from_stdin() -> Result<SecretString, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(CliError::io("read the store server password from stdin"))?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err(CliError::Config(
            "no store server password on stdin; pipe your PIN, then the password, one per line"
                .into(),
        ));
    }
    Ok(SecretString::from(password.to_owned()))
}

/// The membership, or the message for a register on its own.
pub(crate) fn joined_or_explain(db: &Database) -> Result<StoreSettings, CliError> {
    membership::joined(db)?.ok_or_else(|| {
        CliError::Config(
            "this register is on its own (not part of a store); a manager joins it with \
             `stateline store join`"
                .into(),
        )
    })
}

pub(crate) async fn connect(
    db: &Database,
    settings: &StoreSettings,
) -> Result<StoreServer, CliError> {
    let password = match secrets().store_server_password(&password_entry(db)?).await {
        Ok(password) => password,
        Err(SecretStoreError::NotFound { .. }) => {
            return Err(CliError::Config(format!(
                "the password for the store server {} is not in this register's keychain; a \
                 manager joins the store again with `stateline store join`",
                settings.label()
            )));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(StoreServer::connect(&settings.server_config(password)).await?)
}

/// Local entries the store does not have yet.
fn not_pushed(db: &Database) -> Result<(i64, i64), CliError> {
    let through = push::pushed_through(db)?;
    Ok((through, db.count_entries_after(through)?))
}

async fn join(db: &Database, args: JoinArgs) -> Result<(), CliError> {
    login(db, &args.acting)?;
    let password = password_from_stdin()?;
    let settings = StoreSettings {
        host: args.host,
        port: args.port,
        database: args.database,
        user: args.user,
        register_name: args.name,
        tls: match (args.tls, args.ca_file) {
            (false, None) => StoreTls::Off,
            (_, ca_file) => StoreTls::Verified { ca_file },
        },
    };
    let clock = SystemClock;
    let enrolment = joining::enrol(
        db,
        settings,
        password.clone(),
        env!("CARGO_PKG_VERSION"),
        clock.now(),
    )
    .await
    .map_err(leave_first)?;
    if let Err(error) = secrets()
        .set_store_server_password(&password_entry(db)?, password)
        .await
    {
        enrolment.undo(db, clock.now()).await;
        return Err(error.into());
    }
    let (mut server, settings) = enrolment.complete(db, &args.acting).await?;
    let first =
        stateline_link::sync_pass(db, &mut server, &identity(&settings), 500, &clock, |_| {}).await;
    match first {
        Ok(report) => output::line(&format!(
            "joined the store at {} as {:?}; pushed {} records, pulled {} from other registers",
            settings.label(),
            settings.register_name,
            report.pushed,
            report.pulled
        )),
        Err(error) => output::line(&format!(
            "joined the store at {} as {:?}; the first push did not finish ({error}); `stateline \
             store sync` or the app will carry on",
            settings.label(),
            settings.register_name
        )),
    }
}

/// The command line's words for a register in another store.
fn leave_first(error: LinkError) -> CliError {
    match error {
        LinkError::InAnotherStore { store } => CliError::Config(format!(
            "this register already belongs to the store at {store}; leave it first with \
             `stateline store leave`"
        )),
        other => other.into(),
    }
}

async fn status(ctx: &Context, db: &Database) -> Result<(), CliError> {
    let settings = membership::joined(db)?;
    let (pushed_through, unpushed) = not_pushed(db)?;
    let pulled = db
        .peer_counts()?
        .into_iter()
        .map(|c| PulledCount {
            register_id: c.register_id,
            records: c.records,
            open: c.open,
        })
        .collect();
    let mut status = Status {
        joined: settings.is_some(),
        store: settings.as_ref().map(StoreSettings::label),
        register_name: settings.as_ref().map(|s| s.register_name.clone()),
        register_id: db.install_id().to_owned(),
        pushed_through,
        not_pushed: unpushed,
        pulled,
        server: None,
    };
    if let Some(settings) = &settings {
        status.server = Some(server_view(db, settings).await);
    }
    if ctx.json {
        return output::json_line(&status);
    }
    print_status(&status)
}

async fn server_view(db: &Database, settings: &StoreSettings) -> ServerView {
    let overview = async {
        let mut server = connect(db, settings).await?;
        Ok::<_, CliError>(server.overview().await?)
    }
    .await;
    match overview {
        Ok(overview) => ServerView {
            reachable: true,
            error: None,
            registers: overview
                .registers
                .into_iter()
                .map(|r| RegisterView {
                    this_register: r.id == db.install_id(),
                    id: r.id,
                    name: r.name,
                    app_version: r.app_version,
                    last_seen_at: r.last_seen_at.to_string(),
                    records: r.records,
                    open: r.open,
                })
                .collect(),
            backlog: overview
                .backlog
                .into_iter()
                .map(|b| BacklogView {
                    licence: b.licence,
                    acting_user: b.acting_user,
                    open: b.open,
                    oldest: b.oldest.to_string(),
                })
                .collect(),
            keys: overview
                .keys
                .into_iter()
                .map(|k| KeyView {
                    this_register: k.register_id == db.install_id(),
                    environment: k.key.environment,
                    holder: k.key.holder,
                    register_name: k.register_name,
                    last_four: k.key.last_four,
                    saved_at: k.key.saved_at.to_string(),
                    verdict: k.key.verdict,
                    newest: k.newest,
                })
                .collect(),
        },
        Err(error) => ServerView {
            reachable: false,
            error: Some(ErrorView {
                code: error.code(),
                message: error.to_string(),
            }),
            registers: Vec::new(),
            backlog: Vec::new(),
            keys: Vec::new(),
        },
    }
}

fn print_status(status: &Status) -> Result<(), CliError> {
    let (Some(store), Some(name)) = (&status.store, &status.register_name) else {
        output::line("this register is on its own (not part of a store)")?;
        return output::line(&format!(
            "{} records recorded here; a manager joins a store with `stateline store join`",
            status.not_pushed
        ));
    };
    output::line(&format!("store {store}, this register is {name:?}"))?;
    output::line(&format!(
        "not yet in the store: {} records (pushed through entry {})",
        status.not_pushed, status.pushed_through
    ))?;
    let pulled: i64 = status.pulled.iter().map(|p| p.records).sum();
    let open: i64 = status.pulled.iter().map(|p| p.open).sum();
    output::line(&format!(
        "pulled from other registers: {pulled} records, {open} of them not yet with Metrc"
    ))?;
    let Some(server) = &status.server else {
        return Ok(());
    };
    if let Some(error) = &server.error {
        return output::line(&format!("store server: {}", error.message));
    }
    output::line("")?;
    output::line("REGISTER              VERSION   LAST SEEN                  RECORDS   OPEN")?;
    for r in &server.registers {
        let marker = if r.this_register { " (this one)" } else { "" };
        output::line(&format!(
            "{:<21} {:<9} {:<26} {:>7} {:>6}{marker}",
            r.name, r.app_version, r.last_seen_at, r.records, r.open
        ))?;
    }
    output::line("")?;
    if server.backlog.is_empty() {
        output::line("backlog: nothing waits for Metrc")?;
    } else {
        output::line("BACKLOG  LICENCE              USER              OPEN   OLDEST")?;
        for b in &server.backlog {
            output::line(&format!(
                "         {:<20} {:<17} {:>4}   {}",
                b.licence, b.acting_user, b.open, b.oldest
            ))?;
        }
    }
    output::line("")?;
    if server.keys.is_empty() {
        return output::line("keys: no register of the store holds a Metrc key");
    }
    output::line("KEY OF               HELD AT               KEY     ENV         LAST CHECK")?;
    for k in &server.keys {
        let holder = k.holder.strip_prefix("user:").unwrap_or("facility key");
        let here = if k.this_register { " (this one)" } else { "" };
        let stale = if k.newest { "" } else { " (older copy)" };
        output::line(&format!(
            "{holder:<20} {:<21} …{:<6} {:<11} {}{stale}",
            format!("{}{here}", k.register_name),
            k.last_four,
            k.environment,
            k.verdict.as_deref().unwrap_or("not checked"),
        ))?;
    }
    Ok(())
}

async fn sync(ctx: &Context, db: &Database, args: SyncArgs) -> Result<(), CliError> {
    let settings = joined_or_explain(db)?;
    if args.watch {
        return watch(ctx, db, &settings).await;
    }
    let mut server = connect(db, &settings).await?;
    let report = stateline_link::sync_pass(
        db,
        &mut server,
        &identity(&settings),
        500,
        &SystemClock,
        |_| {},
    )
    .await?;
    if ctx.json {
        return output::json_line(&serde_json::json!({
            "pushed": report.pushed,
            "pushed_through": report.pushed_through,
            "states": report.states,
            "pulled": report.pulled,
        }));
    }
    output::line(&format!(
        "pushed {} records, {} delivery states; pulled {} from other registers",
        report.pushed, report.states, report.pulled
    ))
}

async fn watch(ctx: &Context, db: &Database, settings: &StoreSettings) -> Result<(), CliError> {
    let password = secrets()
        .store_server_password(&password_entry(db)?)
        .await?;
    let worker = LinkWorker::start(
        db.clone(),
        settings.server_config(password),
        identity(settings),
        LinkSchedule {
            idle: Duration::from_secs(2),
            ..LinkSchedule::default()
        },
        Arc::new(SystemClock),
    );
    let mut status = worker.subscribe();
    let mut printed = None;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            changed = status.changed() => {
                if changed.is_err() {
                    break;
                }
                let s = status.borrow_and_update().clone();
                let shown = (s.connected, s.pushed_through, s.pulled, s.last_error.clone());
                if printed.as_ref() == Some(&shown) {
                    continue;
                }
                if ctx.json {
                    output::json_line(&serde_json::json!({
                        "connected": s.connected,
                        "pushed_through": s.pushed_through,
                        "pulled": s.pulled,
                        "last_error": s.last_error,
                        "failures": s.failures,
                    }))?;
                } else {
                    output::line(&format!(
                        "connected: {}, pushed through {}, pulled {}{}",
                        s.connected,
                        s.pushed_through,
                        s.pulled,
                        s.last_error.as_ref().map(|e| format!(", last error {e}")).unwrap_or_default()
                    ))?;
                }
                printed = Some(shown);
            }
        }
    }
    worker.stop(Duration::from_secs(10)).await?;
    Ok(())
}

async fn leave(db: &Database, args: LeaveArgs) -> Result<(), CliError> {
    login(db, &args.acting)?;
    let password = secrets()
        .store_server_password(&password_entry(db)?)
        .await
        .ok();
    let departure = joining::depart(
        db,
        password,
        args.force,
        env!("CARGO_PKG_VERSION"),
        &SystemClock,
    )
    .await
    .map_err(|error| match error {
        LinkError::NotPushed { unpushed, reason } => CliError::Config(format!(
            "{unpushed} records have not reached the store yet and the store server did not \
             answer ({reason}); reconnect and try again, or pass --force to leave anyway \
             (the records stay on this register and still go to Metrc)"
        )),
        other => other.into(),
    })?;
    let Some(departure) = departure else {
        return output::line("this register is not part of a store; nothing to leave");
    };
    match secrets()
        .clear_store_server_password(&password_entry(db)?)
        .await
    {
        Ok(()) | Err(SecretStoreError::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let settings = departure.complete(db, &args.acting).await?;
    output::line(&format!(
        "this register left the store at {}; it sells on its own as before",
        settings.label()
    ))
}

pub fn run(ctx: &Context, command: StoreCommand) -> Result<(), CliError> {
    let db = ctx.open_database()?;
    let rt = runtime()?;
    rt.block_on(async {
        match command {
            StoreCommand::Join(args) => join(&db, args).await,
            StoreCommand::Status => status(ctx, &db).await,
            StoreCommand::Sync(args) => sync(ctx, &db, args).await,
            StoreCommand::Leave(args) => leave(&db, args).await,
            StoreCommand::VerifyAudit => crate::store_audit::verify(ctx, &db).await,
        }
    })
}
