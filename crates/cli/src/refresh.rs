//! `stateline refresh`: refreshes one licence's packages, adjustment reasons and items from Metrc.
//!
//! Guarantees: the user key is read from stdin, never from an argument; only cached Metrc data is
//! replaced (see `stateline_core::refresh`).

use clap::Args;

use crate::args::{Context, runtime};
use crate::error::CliError;
use crate::{keys, output};

#[derive(Debug, Args)]
#[command(
    after_help = "Keys: the vendor key comes from the environment variable STATELINE_VENDOR_KEY and the \
                  user key as one line on stdin, never from an argument. The OS keychain integration \
                  comes in a later issue."
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
}

pub fn run(ctx: &Context, args: RefreshArgs) -> Result<(), CliError> {
    let db = ctx.open_database()?;
    db.licence(&args.licence)?;
    let key = keys::user_key_from_stdin()?;
    let client = keys::client(&args.metrc_url)?;
    let refreshed = runtime()?.block_on(stateline_core::refresh::refresh_licence(
        &db,
        &client,
        &key,
        &args.licence,
    ))?;
    if ctx.json {
        output::json_line(&serde_json::json!({
            "licence": args.licence,
            "packages": refreshed.packages,
            "items": refreshed.items,
            "reasons": refreshed.reasons,
        }))
    } else {
        output::line(&format!(
            "refreshed {}: {} packages, {} items, {} adjustment reasons",
            args.licence, refreshed.packages, refreshed.items, refreshed.reasons
        ))
    }
}
