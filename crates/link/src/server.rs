//! A connection to the store server.
//!
//! Guarantees: the password is held only in a `SecretString` and handed to the driver, never
//! formatted (the settings' `Debug` redacts it); the connection's I/O task is owned by the
//! [`StoreServer`] and aborted when it drops; connecting brings the schema up to date
//! ([`crate::schema`]) or fails without writing anything. After [`StoreServer::listen`], a push
//! by any other register wakes [`StoreServer::others_pushed`] (PostgreSQL `LISTEN`/`NOTIFY` on
//! [`RECORDS_CHANNEL`], sent in the pushing transaction, so only a committed push wakes anyone);
//! the register's own pushes do not.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_postgres::{AsyncMessage, Client, NoTls};

use crate::{LinkError, schema};

/// The notification channel a push announces itself on (the payload: the pushing register's id).
pub const RECORDS_CHANNEL: &str = "stateline_records";

/// Tells the other registers, when `tx` commits, that `register_id` changed something they pull
/// (new records, states, people, outcomes): their links wake at once.
pub(crate) async fn notify_others(
    tx: &tokio_postgres::Transaction<'_>,
    register_id: &str,
) -> Result<(), tokio_postgres::Error> {
    tx.execute(
        "SELECT pg_notify($1, $2)",
        &[&RECORDS_CHANNEL, &register_id],
    )
    .await
    .map(|_| ())
}

/// Where the store server is and how to log in.
#[derive(Clone)]
pub struct ServerConfig {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The store's database.
    pub database: String,
    /// The login.
    pub user: String,
    /// The login's password (kept in the OS keychain on a register).
    pub password: SecretString,
    /// How long a connection attempt may take.
    pub connect_timeout: Duration,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("server", &self.label())
            .field("user", &self.user)
            .field("password", &"[redacted]")
            .finish()
    }
}

impl ServerConfig {
    /// `host:port/database`, for messages and logs.
    pub fn label(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.database)
    }

    fn validate(&self) -> Result<(), LinkError> {
        let required = [
            ("host", &self.host),
            ("database", &self.database),
            ("user", &self.user),
        ];
        for (field, value) in required {
            if value.trim().is_empty() {
                return Err(LinkError::InvalidConfig {
                    field,
                    detail: format!("the {field} is empty; enter the store server's {field}"),
                });
            }
        }
        if self.port == 0 {
            return Err(LinkError::InvalidConfig {
                field: "port",
                detail: "0 is not a port; PostgreSQL listens on 5432 unless set otherwise".into(),
            });
        }
        Ok(())
    }
}

/// A live connection to the store server with an up-to-date schema.
#[derive(Debug)]
pub struct StoreServer {
    pub(crate) client: Client,
    pub(crate) label: String,
    connection: JoinHandle<()>,
    schema_found: i32,
    others_pushed: Arc<Notify>,
    listening_as: Arc<Mutex<Option<String>>>,
}

impl StoreServer {
    /// Connects and upgrades the schema (see the module doc).
    pub async fn connect(config: &ServerConfig) -> Result<StoreServer, LinkError> {
        config.validate()?;
        let label = config.label();
        let mut pg = tokio_postgres::Config::new();
        pg.host(&config.host)
            .port(config.port)
            .dbname(&config.database)
            .user(&config.user)
            .password(config.password.expose_secret())
            .application_name("stateline")
            .connect_timeout(config.connect_timeout);
        let (mut client, connection) = pg
            .connect(NoTls)
            .await
            .map_err(|e| LinkError::from_postgres(&label, e))?;
        let others_pushed = Arc::new(Notify::new());
        let listening_as: Arc<Mutex<Option<String>>> = Arc::default();
        let (wake, own) = (others_pushed.clone(), listening_as.clone());
        let mut connection = connection;
        let connection = tokio::spawn(async move {
            loop {
                match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(AsyncMessage::Notification(note))) => {
                        let own = own.lock().unwrap_or_else(PoisonError::into_inner);
                        if own.as_deref() != Some(note.payload()) {
                            wake.notify_one();
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(error)) => {
                        tracing::warn!(%error, "the store server connection ended");
                        return;
                    }
                    None => return,
                }
            }
        });
        let schema_found = schema::upgrade(&mut client, &label).await?;
        Ok(StoreServer {
            client,
            label,
            connection,
            schema_found,
            others_pushed,
            listening_as,
        })
    }

    /// Asks to hear of the other registers' pushes, as register `own_id` (whose own pushes are
    /// not reported).
    pub async fn listen(&self, own_id: &str) -> Result<(), LinkError> {
        *self
            .listening_as
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(own_id.to_owned());
        self.client
            .batch_execute(&format!("LISTEN {RECORDS_CHANNEL}"))
            .await
            .map_err(|e| self.error(e))
    }

    /// Woken when another register pushed (after [`StoreServer::listen`]).
    pub fn others_pushed(&self) -> Arc<Notify> {
        self.others_pushed.clone()
    }

    /// The schema version the server had before this connection upgraded it (0: a new store).
    pub fn schema_found(&self) -> i32 {
        self.schema_found
    }

    /// The schema version the server has now.
    pub async fn schema_version(&self) -> Result<i32, LinkError> {
        let row = self
            .client
            .query_one("SELECT max(version) FROM stateline_schema", &[])
            .await
            .map_err(|e| self.error(e))?;
        Ok(row.get(0))
    }

    pub(crate) fn error(&self, error: tokio_postgres::Error) -> LinkError {
        LinkError::from_postgres(&self.label, error)
    }
}

impl Drop for StoreServer {
    fn drop(&mut self) {
        self.connection.abort();
    }
}
