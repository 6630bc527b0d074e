//! The register's keys: the emulator's demo keys of the users it holds, in a static key source
//! (the OS keychain is covered by the keychain, CLI and app suites; here only *where* a key is
//! matters), with their metadata written as the keys crate writes it — never the key — so the
//! store learns which register holds whose key.
//!
//! Guarantees, as the keys crate behaves: a key Metrc refuses while sending is no longer offered
//! and its verdict becomes `key_invalid` (so the store lists it as unusable); a key given later
//! (a rotation: `KEY <user> <key>` on stdin) is saved with a new save time by this register's
//! clock and offered from then on. Metadata rows are written with a busy timeout, beside the
//! product's own connections.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use stateline_clock::Clock;
use stateline_keys::{KeyOwner, KeySource, SendingKey, StaticKeys};

/// This register's keys (cheap to clone).
#[derive(Debug, Clone)]
pub struct RegisterKeys {
    keys: StaticKeys,
    database: PathBuf,
    clock: Arc<dyn Clock>,
}

impl RegisterKeys {
    /// No keys yet, over the database at `database`.
    pub fn new(database: PathBuf, clock: Arc<dyn Clock>) -> RegisterKeys {
        RegisterKeys {
            keys: StaticKeys::new(),
            database,
            clock,
        }
    }

    fn metadata(&self) -> rusqlite::Result<rusqlite::Connection> {
        let conn = rusqlite::Connection::open(&self.database)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        Ok(conn)
    }

    /// Holds `user`'s `key`: offered at once; its metadata saved now unless `keep_saved` and a
    /// row exists (a restart keeps what it saved before).
    pub fn hold(&self, user: &str, key: &str, keep_saved: bool) -> Result<(), String> {
        let parsed = metrc::UserKey::new(key).map_err(|e| e.to_string())?;
        let saved_at = stateline_store::time::to_ms(self.clock.now());
        let verb = if keep_saved {
            "INSERT OR IGNORE"
        } else {
            "INSERT OR REPLACE"
        };
        self.metadata()
            .and_then(|conn| {
                conn.execute(
                    &format!(
                        "{verb} INTO key_metadata (environment, holder, entry, last_four,
                             saved_at, saved_by, verdict, validated_at)
                         VALUES ('demo', ?1, ?2, ?3, ?4, 'max', 'all_good', ?4)"
                    ),
                    rusqlite::params![
                        format!("user:{user}"),
                        format!("store-faults.user-{user}"),
                        &key[key.len().saturating_sub(4)..],
                        saved_at
                    ],
                )
            })
            .map_err(|e| format!("key metadata: {e}"))?;
        let refused = self
            .metadata()
            .and_then(|conn| {
                conn.query_row(
                    "SELECT verdict = 'key_invalid' FROM key_metadata
                     WHERE environment = 'demo' AND holder = ?1",
                    [format!("user:{user}")],
                    |r| r.get::<_, bool>(0),
                )
            })
            .map_err(|e| format!("key metadata: {e}"))?;
        if !refused {
            self.keys.set_user_key(user, parsed);
        }
        Ok(())
    }
}

impl KeySource for RegisterKeys {
    fn key_for(&self, acting_user: &str) -> Option<SendingKey> {
        self.keys.key_for(acting_user)
    }

    fn batches_across_users(&self) -> bool {
        self.keys.batches_across_users()
    }

    fn held_key(&self, owner: &KeyOwner) -> Option<SendingKey> {
        self.keys.held_key(owner)
    }

    fn key_refused(&self, owner: &KeyOwner) {
        let KeyOwner::User(user) = owner else {
            return;
        };
        self.keys.clear_user_key(user);
        let at = stateline_store::time::to_ms(self.clock.now());
        let marked = self.metadata().and_then(|conn| {
            conn.execute(
                "UPDATE key_metadata SET verdict = 'key_invalid', validated_at = ?2
                 WHERE environment = 'demo' AND holder = ?1",
                rusqlite::params![format!("user:{user}"), at],
            )
        });
        if let Err(error) = marked {
            tracing::warn!(%error, "a refused key's verdict could not be written");
        }
        tracing::warn!(%user, "Metrc refused the key; it is no longer offered here");
    }
}
