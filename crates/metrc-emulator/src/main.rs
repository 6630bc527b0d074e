//! `metrc-emulator`: runs the Metrc emulator standalone (see the crate README).

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    metrc_emulator::init_stderr_tracing();
    match metrc_emulator::run_cli(
        metrc_emulator::EmulatorArgs::parse(),
        stateline_clock::system(),
    )
    .await
    {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("metrc-emulator: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
