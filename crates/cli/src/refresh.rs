//! `stateline refresh`: refreshes one licence's packages, adjustment reasons and items from Metrc:
//! incremental (only what changed since the last refresh) unless `--full`.
//!
//! Guarantees: the user key is read from stdin, never from an argument; only cached Metrc data is
//! replaced (see `stateline_store::refresh`).

use clap::Args;
use stateline_delivery::refresh::{RefreshOptions, refresh_licence_with};

use crate::args::{Context, runtime};
use crate::error::CliError;
use crate::{keys, output};

#[derive(Debug, Args)]
#[command(
    after_help = "Keys: the vendor key comes from the environment variable STATELINE_VENDOR_KEY when \
                  set, else from the OS keychain (saved by a manager with `stateline vendor-key set`); \
                  the user key is read as one line from stdin, never from an argument."
)]
pub struct RefreshArgs {
    /// Licence number.
    #[arg(long)]
    pub licence: String,
    /// Metrc base URL, e.g. https://api-co.metrc.com or the emulator's URL.
    #[arg(long)]
    pub metrc_url: String,
    /// Read the user key as one line from stdin (required until the keychain integration).
    #[arg(long, required = true)]
    pub user_key_stdin: bool,
    /// Pull every active package instead of only those changed since the last refresh.
    #[arg(long)]
    pub full: bool,
}

pub fn run(ctx: &Context, args: RefreshArgs) -> Result<(), CliError> {
    let db = ctx.open_database()?;
    db.licence(&args.licence)?;
    let key = keys::user_key_from_stdin()?;
    let client = keys::client(&args.metrc_url)?;
    let options = RefreshOptions {
        full: args.full,
        ..RefreshOptions::default()
    };
    let refreshed = runtime()?.block_on(refresh_licence_with(
        &db,
        &client,
        &key,
        &args.licence,
        &options,
    ))?;
    if ctx.json {
        output::json_line(&serde_json::json!({
            "licence": args.licence,
            "packages": refreshed.packages,
            "items": refreshed.items,
            "reasons": refreshed.reasons,
            "full": refreshed.full,
            "windows": refreshed.windows,
            "retired": refreshed.retired,
        }))
    } else {
        let how = if refreshed.full {
            "full".to_owned()
        } else {
            format!("changes in {} windows", refreshed.windows)
        };
        output::line(&format!(
            "refreshed {} ({how}): {} packages, {} retired, {} items, {} adjustment reasons",
            args.licence, refreshed.packages, refreshed.retired, refreshed.items, refreshed.reasons
        ))
    }
}
