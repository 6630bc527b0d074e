//! `stateline`: the command line over the store, keys, delivery and compliance crates (SPEC section
//! 7).
//!
//! Exit codes: 0 success, 1 failure (`error: <message>`, or `{"code","message"}` with `--json`),
//! 2 usage error. Keys are read from the environment, stdin and the OS keychain only, and are never
//! printed.

mod args;
mod audit;
mod backup;
mod deadlines;
mod doctor;
mod emulator;
mod error;
mod instance;
mod integrations;
mod keychain;
mod keys;
mod licence;
mod manifests;
mod output;
mod queue;
mod reconcile;
mod record;
mod refresh;
mod report;
mod serve;
mod store;
mod store_audit;
mod sync;
mod users;
mod vendor_key;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = args::Cli::parse();
    let json = cli.json;
    match args::run(cli) {
        Ok(code) => code,
        Err(error) => {
            output::print_error(&error, json);
            std::process::ExitCode::FAILURE
        }
    }
}
