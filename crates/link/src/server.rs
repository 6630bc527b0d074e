//! The store server as a pool of connections (`deadpool-postgres`), plain or TLS
//! ([`crate::tls`]), plus one dedicated connection that listens for the other registers' pushes.
//!
//! Guarantees: the password is held only in a `SecretString` and handed to the driver, never
//! formatted (the settings' `Debug` redacts it); connecting brings the schema up to date
//! ([`crate::schema`]) or fails without writing anything; the pool holds at most [`POOL_SIZE`]
//! connections, replaces closed ones, and a connection that stops answering is given up by the
//! kernel after [`TCP_USER_TIMEOUT`] (so a black-holed server shows as unreachable instead of
//! hanging a pass), and a transaction left idle (a paused register) is ended by the server after
//! [`IDLE_IN_TRANSACTION`]; the listening connection's I/O task is owned by the [`StoreServer`] and
//! aborted when it drops. After [`StoreServer::listen`], a push by any other register wakes
//! [`StoreServer::others_pushed`] (PostgreSQL `LISTEN`/`NOTIFY` on [`RECORDS_CHANNEL`], sent in the
//! pushing transaction, so only a committed push wakes anyone); the register's own pushes do not; a
//! listening connection that ended is reported by [`StoreServer::listening_lost`], so the owner
//! reconnects rather than miss pushes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use secrecy::{ExposeSecret, SecretString};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_postgres::config::SslMode;
use tokio_postgres::{AsyncMessage, Client, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::tls::StoreTls;
use crate::{LinkError, schema};

/// The most connections one [`StoreServer`] opens (the link's pass, the courier and the screens
/// of one register need a few at most).
pub const POOL_SIZE: usize = 4;

/// How long an unacknowledged write may wait before the kernel gives the connection up.
pub const TCP_USER_TIMEOUT: Duration = Duration::from_secs(20);

/// How long any of this register's transactions may sit idle before the store server ends its
/// session: a paused or hung register (its connection still open) releases the rows it leased or
/// locked after this, at most. Every transaction runs its statements back to back.
pub const IDLE_IN_TRANSACTION: Duration = Duration::from_secs(30);

/// How long a pass may wait for a free pooled connection.
const POOL_WAIT: Duration = Duration::from_secs(30);

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
    /// Plain or TLS.
    pub tls: StoreTls,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("server", &self.label())
            .field("user", &self.user)
            .field("password", &"[redacted]")
            .field("tls", &self.tls)
            .finish()
    }
}

impl ServerConfig {
    /// `host:port/database`, for messages and logs.
    pub fn label(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.database)
    }

    /// The driver's settings (the password included: handed to the driver only).
    fn driver_config(&self) -> tokio_postgres::Config {
        let mut pg = tokio_postgres::Config::new();
        pg.host(&self.host)
            .port(self.port)
            .dbname(&self.database)
            .user(&self.user)
            .password(self.password.expose_secret())
            .application_name("stateline")
            .connect_timeout(self.connect_timeout)
            .options(format!(
                "-c idle_in_transaction_session_timeout={}",
                IDLE_IN_TRANSACTION.as_millis()
            ))
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .tcp_user_timeout(TCP_USER_TIMEOUT)
            .ssl_mode(match self.tls {
                // The driver would otherwise fall back to plain TCP when the server declines.
                StoreTls::Verified { .. } => SslMode::Require,
                StoreTls::Off => SslMode::Disable,
            });
        pg
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

/// The store server: a pool of connections with an up-to-date schema (a cheap handle to clone).
#[derive(Clone)]
pub struct StoreServer {
    pool: Pool,
    pg: tokio_postgres::Config,
    tls: Option<MakeRustlsConnect>,
    pub(crate) label: String,
    schema_found: i32,
    listening: Arc<Listening>,
}

/// The connection that listens for the other registers' pushes.
#[derive(Default)]
struct Listening {
    others_pushed: Arc<Notify>,
    own_id: Mutex<Option<String>>,
    connection: Mutex<Option<(Client, JoinHandle<()>)>>,
    lost: AtomicBool,
}

impl Drop for Listening {
    fn drop(&mut self) {
        let connection = self
            .connection
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, task)) = connection.take() {
            task.abort();
        }
    }
}

impl std::fmt::Debug for StoreServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreServer")
            .field("server", &self.label)
            .field("tls", &self.tls.is_some())
            .field("schema_found", &self.schema_found)
            .finish_non_exhaustive()
    }
}

/// A pooled connection (dereferences to a `tokio_postgres::Client`).
pub(crate) type Connection = deadpool_postgres::Object;

impl StoreServer {
    /// Connects and upgrades the schema (see the module doc).
    pub async fn connect(config: &ServerConfig) -> Result<StoreServer, LinkError> {
        config.validate()?;
        let tls = config.tls.connector()?;
        let label = config.label();
        let pg = config.driver_config();
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match &tls {
            Some(tls) => Manager::from_config(pg.clone(), tls.clone(), manager_config),
            None => Manager::from_config(pg.clone(), NoTls, manager_config),
        };
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(config.connect_timeout))
            .build()
            .map_err(|e| LinkError::Server(format!("the connection pool: {e}")))?;
        let mut server = StoreServer {
            pool,
            pg,
            tls,
            label,
            schema_found: 0,
            listening: Arc::default(),
        };
        let mut conn = server.conn().await?;
        server.schema_found = schema::upgrade(&mut conn, &server.label).await?;
        Ok(server)
    }

    /// A connection from the pool (a new one if none is free and the pool is not full).
    pub(crate) async fn conn(&self) -> Result<Connection, LinkError> {
        self.pool.get().await.map_err(|e| match e {
            PoolError::Backend(e) => self.error(e),
            PoolError::Timeout(_) => LinkError::Unreachable {
                server: self.label.clone(),
                detail: "no connection became free in time".into(),
            },
            other => LinkError::Unreachable {
                server: self.label.clone(),
                detail: other.to_string(),
            },
        })
    }

    /// Asks to hear of the other registers' pushes, as register `own_id` (whose own pushes are
    /// not reported), on a connection of its own.
    pub async fn listen(&self, own_id: &str) -> Result<(), LinkError> {
        *self
            .listening
            .own_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(own_id.to_owned());
        let (client, task) = match &self.tls {
            Some(tls) => {
                let (client, connection) = self
                    .pg
                    .connect(tls.clone())
                    .await
                    .map_err(|e| self.error(e))?;
                (client, self.deliver_notifications(connection))
            }
            None => {
                let (client, connection) =
                    self.pg.connect(NoTls).await.map_err(|e| self.error(e))?;
                (client, self.deliver_notifications(connection))
            }
        };
        client
            .batch_execute(&format!("LISTEN {RECORDS_CHANNEL}"))
            .await
            .map_err(|e| self.error(e))?;
        self.listening.lost.store(false, Ordering::SeqCst);
        let previous = self
            .listening
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace((client, task));
        if let Some((_, task)) = previous {
            task.abort();
        }
        Ok(())
    }

    /// Runs the listening connection: another register's push wakes [`Self::others_pushed`];
    /// the end of the connection marks listening as lost (and wakes, so the owner notices).
    fn deliver_notifications<S, T>(
        &self,
        mut connection: tokio_postgres::Connection<S, T>,
    ) -> JoinHandle<()>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let listening = Arc::downgrade(&self.listening);
        tokio::spawn(async move {
            loop {
                let message = std::future::poll_fn(|cx| connection.poll_message(cx)).await;
                let Some(listening) = listening.upgrade() else {
                    return;
                };
                match message {
                    Some(Ok(AsyncMessage::Notification(note))) => {
                        let own = listening
                            .own_id
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner);
                        if own.as_deref() != Some(note.payload()) {
                            listening.others_pushed.notify_one();
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(error)) => {
                        tracing::warn!(%error, "the store server's listening connection ended");
                        listening.lost.store(true, Ordering::SeqCst);
                        listening.others_pushed.notify_one();
                        return;
                    }
                    None => {
                        listening.lost.store(true, Ordering::SeqCst);
                        listening.others_pushed.notify_one();
                        return;
                    }
                }
            }
        })
    }

    /// Woken when another register pushed (after [`StoreServer::listen`]).
    pub fn others_pushed(&self) -> Arc<Notify> {
        self.listening.others_pushed.clone()
    }

    /// The listening connection ended (the server restarted or the network dropped it): pushes
    /// of others would go unheard until the owner connects again.
    pub fn listening_lost(&self) -> bool {
        self.listening.lost.load(Ordering::SeqCst)
    }

    /// Plain or TLS, as connected.
    pub fn encrypted(&self) -> bool {
        self.tls.is_some()
    }

    /// Whether the server sees this register's connection as encrypted (PostgreSQL's own
    /// `pg_stat_ssl`, not this side's setting).
    pub async fn server_sees_tls(&self) -> Result<bool, LinkError> {
        let row = self
            .conn()
            .await?
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(row.get(0))
    }

    /// A setting of this register's sessions as the server applies it (`SHOW`).
    pub async fn setting(&self, name: &str) -> Result<String, LinkError> {
        let row = self
            .conn()
            .await?
            .query_one("SELECT current_setting($1)", &[&name])
            .await
            .map_err(|e| self.error(e))?;
        Ok(row.get(0))
    }

    /// The schema version the server had before this connection upgraded it (0: a new store).
    pub fn schema_found(&self) -> i32 {
        self.schema_found
    }

    /// The schema version the server has now.
    pub async fn schema_version(&self) -> Result<i32, LinkError> {
        let row = self
            .conn()
            .await?
            .query_one("SELECT max(version) FROM stateline_schema", &[])
            .await
            .map_err(|e| self.error(e))?;
        Ok(row.get(0))
    }

    pub(crate) fn error(&self, error: tokio_postgres::Error) -> LinkError {
        LinkError::from_postgres(&self.label, error)
    }
}
