//! The driver's commands on the register's stdin, one a line: `GO` starts the sale plan (the
//! driver starts every plan together, once every register fetched its packages: a register
//! fetching Metrc's quantity after another register's sale reached Metrc counts that sale twice
//! until its next refresh — low, never high, by design — and these registers never refresh
//! again); `KEY <user> <key>` hands the register a user's new key (a rotation), which it holds
//! from then on and releases that user's waiting records with, as saving a key in the app does.
//!
//! Guarantees: a key comes only this way (never an argument) and is never logged; commands are
//! handled in order; a closed stdin ends nothing (the register runs until SIGTERM).

use std::io::BufRead;

use tokio::sync::{mpsc, oneshot};

use crate::keys::RegisterKeys;
use crate::workers::Workers;

/// One command.
enum Command {
    Go,
    Key { user: String, key: String },
}

/// Reads stdin on a thread of its own, passing the commands on.
fn read(commands: mpsc::UnboundedSender<Command>) {
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            let words: Vec<&str> = line.split_whitespace().collect();
            let command = match words.as_slice() {
                ["GO"] => Command::Go,
                ["KEY", user, key] => Command::Key {
                    user: (*user).to_owned(),
                    key: (*key).to_owned(),
                },
                _ => continue,
            };
            if commands.send(command).is_err() {
                return;
            }
        }
    });
}

/// Serves the commands until stdin closes, then waits forever (see the module doc); `go`
/// starts the plan.
pub async fn serve(
    go: oneshot::Sender<()>,
    keys: &RegisterKeys,
    workers: &Workers,
) -> Result<(), String> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    read(tx);
    let mut go = Some(go);
    while let Some(command) = rx.recv().await {
        match command {
            Command::Go => {
                if let Some(go) = go.take() {
                    let _ = go.send(());
                }
            }
            Command::Key { user, key } => {
                keys.hold(&user, &key, false)?;
                let released = workers.release(&user).await?;
                tracing::info!(%user, released, "a new key was saved here");
                workers.nudge();
            }
        }
    }
    std::future::pending().await
}
