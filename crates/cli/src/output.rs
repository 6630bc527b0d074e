//! Printing results and errors: human text by default, JSON on stdout with `--json`.
//!
//! Guarantees: with `--json`, stdout carries exactly one JSON document per result (or one line
//! per status snapshot for `sync --watch`); errors go to stderr as `error: <message>`, or as
//! `{"code","message"}` on stdout with `--json`.

use std::io::Write;

use serde::Serialize;

use crate::error::CliError;

/// Prints `value` as one line of JSON and flushes.
pub fn json_line<T: Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string(value)
        .map_err(|e| CliError::Config(format!("could not render JSON output: {e}")))?;
    line(&text)
}

/// Prints one line of text and flushes.
pub fn line(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(CliError::io("write to stdout"))?;
    out.flush().map_err(CliError::io("write to stdout"))
}

/// Logs to stderr (`RUST_LOG` filters; default `warn`). Nothing the crates log contains a key.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn print_error(error: &CliError, json: bool) {
    if json {
        let body = serde_json::json!({ "code": error.code(), "message": error.to_string() });
        println!("{body}");
    } else {
        eprintln!("error: {error}");
    }
}
