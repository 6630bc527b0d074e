//! `stateline sync --once | --watch`: delivers the outbox to Metrc with the delivery engine
//! (`stateline-delivery`).
//!
//! Guarantees: keys come from the OS keychain (`--keychain ENV`: each user's saved key, the key
//! mode and facility overrides, as the app uses them) or from stdin as `user=key` lines (until
//! EOF), and live only in the engine's key source; a key given on stdin releases its user's records
//! waiting for a key (tried again with it, original times kept); `--once` recovers what a previous run left mid-send, then runs passes while they
//! make progress; `--watch` owns a delivery worker and stops it (waiting up to 10 s for the batch
//! in flight) on Ctrl-C, then prints the final status.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use stateline_delivery::{
    DeliveryConfig, DeliveryEngine, DeliveryWorker, PassReport, StatusSnapshot,
};
use stateline_keys::StaticKeys;

use crate::args::{Context, runtime};
use crate::error::CliError;
use crate::{keys, output};

/// Most passes `--once` runs before it stops even if passes still make progress.
const MAX_PASSES: u32 = 10_000;

#[derive(Debug, Args)]
#[command(
    group(clap::ArgGroup::new("mode").required(true).args(["once", "watch"])),
    after_help = "Keys: the vendor key comes from the environment variable STATELINE_VENDOR_KEY when \
                  set, else from the OS keychain (saved by a manager with `stateline vendor-key set`); \
                  user keys come from the OS keychain with --keychain ENV (saved with `stateline key set`), \
                  or are read from stdin as `user=key` lines until EOF; never from an argument."
)]
pub struct SyncArgs {
    /// Run passes until nothing more can be done now, then exit.
    #[arg(long)]
    pub once: bool,
    /// Keep delivering, printing each status change, until Ctrl-C.
    #[arg(long)]
    pub watch: bool,
    /// Metrc base URL, e.g. https://api-co.metrc.com or the emulator's URL.
    #[arg(long)]
    pub metrc_url: String,
    /// Only use the keys of these users (others' records wait); default: every key on stdin.
    #[arg(long = "user", value_name = "USER", conflicts_with = "keychain")]
    pub users: Vec<String>,
    /// Use the keys saved in the OS keychain for this Metrc environment instead of stdin.
    #[arg(long, value_enum, value_name = "ENV")]
    pub keychain: Option<crate::keychain::Environment>,
}

pub fn run(ctx: &Context, args: SyncArgs) -> Result<(), CliError> {
    let db = ctx.open_database()?;
    let client = keys::client_in(&args.metrc_url, args.keychain)?;
    if let Some(environment) = args.keychain {
        let rt = runtime()?;
        let service = crate::keychain::key_service(&db, environment, Some(&args.metrc_url))?;
        rt.block_on(service.load())?;
        if let Some(problem) = service.keychain_problem() {
            return Err(CliError::Config(format!(
                "{} ({}); records stay queued",
                problem.message, problem.code
            )));
        }
        let engine = DeliveryEngine::new(db, client, service.ring(), DeliveryConfig::default());
        return if args.once {
            rt.block_on(once(ctx, engine))
        } else {
            rt.block_on(watch(ctx, engine))
        };
    }
    let keys = StaticKeys::new();
    let mut loaded = Vec::new();
    for (user, key) in keys::user_keys_from_stdin()? {
        if args.users.is_empty() || args.users.contains(&user) {
            keys.set_user_key(&user, key);
            loaded.push(user);
        }
    }
    if let Some(missing) = args.users.iter().find(|u| !loaded.contains(u)) {
        return Err(CliError::Config(format!(
            "no key for user {missing} on stdin; give it as a `{missing}=KEY` line"
        )));
    }
    let engine = DeliveryEngine::new(db, client, Arc::new(keys), DeliveryConfig::default());
    let rt = runtime()?;
    // A key given here is tried again, however the last one failed: records parked for that
    // user's key go back to pending (with their original times) before the first pass.
    for user in &loaded {
        rt.block_on(engine.release_user(user))?;
    }
    if args.once {
        rt.block_on(once(ctx, engine))
    } else {
        rt.block_on(watch(ctx, engine))
    }
}

async fn once(ctx: &Context, engine: DeliveryEngine) -> Result<(), CliError> {
    let recovered = engine.recover().await?;
    let mut total = PassReport::default();
    let mut passes = 0;
    loop {
        let report = engine.run_once().await?;
        passes += 1;
        total.requests += report.requests;
        total.confirmed += report.confirmed;
        total.rejected += report.rejected;
        total.ambiguous += report.ambiguous;
        total.lookups += report.lookups;
        total.resends += report.resends;
        if !report.made_progress() || passes >= MAX_PASSES {
            break;
        }
    }
    engine.publish().await;
    let status = engine.status();
    if ctx.json {
        return output::json_line(&serde_json::json!({
            "recovered": recovered,
            "passes": passes,
            "requests": total.requests,
            "confirmed": total.confirmed,
            "rejected": total.rejected,
            "ambiguous": total.ambiguous,
            "lookups": total.lookups,
            "resends": total.resends,
            "status": status,
        }));
    }
    output::line(&format!(
        "{passes} pass(es): {} request(s), {} confirmed, {} rejected, {} ambiguous, {} lookup(s), {} resent",
        total.requests,
        total.confirmed,
        total.rejected,
        total.ambiguous,
        total.lookups,
        total.resends
    ))?;
    print_status(&status)
}

async fn watch(ctx: &Context, engine: DeliveryEngine) -> Result<(), CliError> {
    let worker = DeliveryWorker::start(engine, Duration::from_secs(2)).await?;
    let mut updates = worker.subscribe();
    let mut last: Option<StatusSnapshot> = None;
    // One future for the whole loop: the handler is installed at its first poll and stays, so an
    // interrupt between two snapshots is not missed.
    let mut interrupt = std::pin::pin!(tokio::signal::ctrl_c());
    let outcome = loop {
        let snapshot = updates.borrow_and_update().clone();
        if last
            .as_ref()
            .is_none_or(|prev| !same_apart_from_time(prev, &snapshot))
        {
            let printed = if ctx.json {
                output::json_line(&snapshot)
            } else {
                print_status(&snapshot)
            };
            if let Err(e) = printed {
                break Err(e);
            }
            last = Some(snapshot);
        }
        tokio::select! {
            changed = updates.changed() => if changed.is_err() { break Ok(()) },
            _ = &mut interrupt => break Ok(()),
        }
    };
    let engine = worker.engine().clone();
    worker.stop(Duration::from_secs(10)).await?;
    outcome?;
    let last = engine.status();
    if ctx.json {
        output::json_line(&last)
    } else {
        output::line("stopped")?;
        print_status(&last)
    }
}

fn same_apart_from_time(a: &StatusSnapshot, b: &StatusSnapshot) -> bool {
    let mut b = b.clone();
    b.at = a.at;
    *a == b
}

fn print_status(s: &StatusSnapshot) -> Result<(), CliError> {
    let oldest = s
        .oldest_waiting_at
        .map(|t| format!(", oldest made at {t}"))
        .unwrap_or_default();
    output::line(&format!(
        "status {}: {} waiting{oldest}",
        s.health.code(),
        s.waiting
    ))?;
    for l in &s.licences {
        let reason = l
            .reason
            .as_deref()
            .map(|r| format!(" — {r}"))
            .unwrap_or_default();
        output::line(&format!(
            "  {} {}: {} pending, {} ambiguous, {} rejected, {} waiting for a key{reason}",
            l.licence,
            l.health.code(),
            l.counts.pending + l.counts.sending,
            l.counts.ambiguous,
            l.counts.rejected,
            l.counts.waiting_for_key
        ))?;
    }
    for u in &s.users {
        if let Some(problem) = &u.key_problem {
            output::line(&format!("  {} {}: {problem}", u.licence, u.user))?;
        }
    }
    Ok(())
}
