//! The register's command line. Nothing secret is an argument: the store server's password comes
//! from the environment ([`PASSWORD_ENV`]) and the Metrc keys are the emulator's demo keys of the
//! users named by `--holds-key`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// The environment variable holding the store server's password.
pub const PASSWORD_ENV: &str = "STATELINE_STORE_PASSWORD";

/// One register of a store, as its own process (see the binary's doc).
#[derive(Debug, Parser)]
#[command(name = "stateline-store-register")]
pub struct Args {
    /// The register's data folder (its SQLite database is `stateline.sqlite` in it).
    #[arg(long)]
    pub data: PathBuf,
    /// Its name in the store.
    #[arg(long)]
    pub name: String,
    /// The store server's host.
    #[arg(long, default_value = "127.0.0.1")]
    pub pg_host: String,
    /// The store server's port.
    #[arg(long)]
    pub pg_port: u16,
    /// The store's database.
    #[arg(long)]
    pub pg_database: String,
    /// The store server's login.
    #[arg(long)]
    pub pg_user: String,
    /// Metrc's base URL.
    #[arg(long)]
    pub metrc: String,
    /// A user whose Metrc key this register holds (repeatable).
    #[arg(long = "holds-key")]
    pub holds_keys: Vec<String>,
    /// Seconds added to the system time (the register's clock is wrong by this much).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub skew_secs: i64,
    /// Sales this register's database should hold when the plan is done.
    #[arg(long, default_value_t = 0)]
    pub sales: u64,
    /// Who sells, in turn.
    #[arg(long, value_delimiter = ',', default_value = "bea,max")]
    pub sellers: Vec<String>,
    /// The packages sold, in turn (one unit each).
    #[arg(long, value_delimiter = ',')]
    pub labels: Vec<String>,
    /// The pause between two sales, in milliseconds.
    #[arg(long, default_value_t = 200)]
    pub interval_ms: u64,
    /// How long a courier's lease lasts, in milliseconds.
    #[arg(long, default_value_t = 3000)]
    pub lease_ms: u64,
    /// How long after a lapsed lease another register may take the record, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub grace_ms: u64,
    /// The least lease left to start a POST, in milliseconds.
    #[arg(long, default_value_t = 1500)]
    pub margin_ms: u64,
    /// Metrc's request timeout, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub request_timeout_ms: u64,
    /// The delivery engine's settle window between lookups of an unsure record, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub settle_ms: u64,
    /// Seed of the delivery engine's backoff jitter.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl Args {
    /// Milliseconds as a duration.
    pub fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }
}
