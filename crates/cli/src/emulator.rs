//! `stateline emulator`: the Metrc emulator, exactly as the standalone `metrc-emulator` runs it.

use crate::args::runtime;
use crate::error::CliError;

pub fn run(args: metrc_emulator::EmulatorArgs) -> Result<(), CliError> {
    metrc_emulator::init_stderr_tracing();
    runtime()?.block_on(metrc_emulator::run_cli(args, stateline_clock::system()))?;
    Ok(())
}
