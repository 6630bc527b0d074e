//! `stateline manifests`: incoming manifests of a licence from the local cache, optionally
//! refreshed from Metrc first.
//!
//! Guarantees: without `--refresh` nothing goes to the network (the cache works offline); the
//! user key is read from stdin, never from an argument.

use clap::Args;
use stateline_delivery::refresh::RefreshOptions;
use stateline_delivery::refresh::manifests::refresh_manifests;

use crate::args::{Context, runtime};
use crate::error::CliError;
use crate::{keys, output};

#[derive(Debug, Args)]
#[command(
    after_help = "With --refresh: the vendor key comes from the environment variable \
                  STATELINE_VENDOR_KEY when set, else from the OS keychain (saved by a manager with \
                  `stateline vendor-key set`); the user key is read as one line from stdin."
)]
pub struct ManifestsArgs {
    /// Licence number.
    #[arg(long)]
    pub licence: String,
    /// Read changed manifests from Metrc first.
    #[arg(long, requires = "metrc_url")]
    pub refresh: bool,
    /// Metrc base URL (with --refresh).
    #[arg(long)]
    pub metrc_url: Option<String>,
}

pub fn run(ctx: &Context, args: ManifestsArgs) -> Result<(), CliError> {
    let db = ctx.open_database()?;
    db.licence(&args.licence)?;
    if let (true, Some(url)) = (args.refresh, &args.metrc_url) {
        let key = keys::user_key_from_stdin()?;
        let client = keys::client(url)?;
        runtime()?.block_on(refresh_manifests(
            &db,
            &client,
            &key,
            &args.licence,
            &RefreshOptions::default(),
        ))?;
    }
    let manifests = db.incoming_manifests(&args.licence)?;
    if ctx.json {
        return output::json_line(&manifests);
    }
    if manifests.is_empty() {
        return output::line("no incoming manifests cached; use --refresh while online");
    }
    for m in manifests {
        output::line(&format!(
            "manifest {}\tfrom {}\t{} packages\tarrives {}",
            m.manifest_number,
            m.shipper_name.as_deref().unwrap_or("?"),
            m.packages.len(),
            m.estimated_arrival.as_deref().unwrap_or("?")
        ))?;
        for p in &m.packages {
            output::line(&format!(
                "  {}\t{}\t{} {}",
                p.label,
                p.item_name.as_deref().unwrap_or(""),
                p.shipped_quantity
                    .map_or_else(|| "?".to_owned(), |q| q.to_string()),
                p.shipped_unit.as_deref().unwrap_or("")
            ))?;
        }
    }
    Ok(())
}
