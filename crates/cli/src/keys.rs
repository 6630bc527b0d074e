//! Reading Metrc keys for one command run: the vendor key from `STATELINE_VENDOR_KEY` or else the
//! OS keychain (see `vendor_key`), user keys from stdin (`key set` then saves a user key in the OS
//! keychain, see `keychain`).
//!
//! Guarantees: keys are only ever held in `metrc`'s redacting key types; no error message here
//! contains a key or a line that might contain one.

use std::io::BufRead;
use std::time::Duration;

use crate::error::CliError;

/// A Metrc client for `url` with this run's vendor key (`STATELINE_VENDOR_KEY`, else the
/// keychain entry of the register's environment).
pub fn client(url: &str) -> Result<metrc::MetrcClient, CliError> {
    client_in(url, None)
}

/// [`client`] for a command that works in `environment` (its vendor key entry), when given.
pub fn client_in(
    url: &str,
    environment: Option<crate::keychain::Environment>,
) -> Result<metrc::MetrcClient, CliError> {
    let base = url.parse().map_err(|e| CliError::BadInput {
        what: "--metrc-url",
        detail: format!("{e}"),
    })?;
    let mut config = metrc::ClientConfig::new(base, crate::vendor_key::resolve(environment)?);
    config.connect_timeout = Duration::from_secs(5);
    Ok(metrc::MetrcClient::new(config)?)
}

/// A client for commands that never contact Metrc (clearing a key, listing): no vendor key is
/// needed, and the address is never used.
pub fn offline_client() -> Result<metrc::MetrcClient, CliError> {
    let base = "http://127.0.0.1:9/"
        .parse()
        .map_err(|e| CliError::BadInput {
            what: "offline URL",
            detail: format!("{e}"),
        })?;
    let vendor = metrc::VendorKey::new("offline-client-not-a-key")
        .map_err(|e| CliError::Config(format!("internal: {e}")))?;
    Ok(metrc::MetrcClient::new(metrc::ClientConfig::new(
        base, vendor,
    ))?)
}

/// One user key: the first line of stdin.
pub fn user_key_from_stdin() -> Result<metrc::UserKey, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(CliError::io("read the user key from stdin"))?;
    let line = line.trim();
    if line.is_empty() {
        return Err(CliError::Config(
            "no user key on stdin; pipe the user's Metrc key as one line".into(),
        ));
    }
    metrc::UserKey::new(line).map_err(|_| {
        CliError::Config(
            "the user key on stdin is not a valid Metrc key; check it and retry".into(),
        )
    })
}

/// `user=key` lines from stdin until EOF (blank lines and `#` comments are skipped).
pub fn user_keys_from_stdin() -> Result<Vec<(String, metrc::UserKey)>, CliError> {
    let mut keys = Vec::new();
    for (n, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.map_err(CliError::io("read user keys from stdin"))?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (user, key) = line.split_once('=').ok_or_else(|| {
            CliError::Config(format!(
                "stdin line {} is not `user=key`; give one user and key per line",
                n + 1
            ))
        })?;
        let key = metrc::UserKey::new(key.trim()).map_err(|_| {
            CliError::Config(format!(
                "the key on stdin line {} (user {}) is not a valid Metrc key",
                n + 1,
                user.trim()
            ))
        })?;
        keys.push((user.trim().to_owned(), key));
    }
    Ok(keys)
}
