//! The one error type of `stateline-link`.
//!
//! Guarantees: every variant has a stable [`LinkError::code`]; messages say what to do next and
//! never contain the store server's password (the connection settings are never formatted with
//! it, and PostgreSQL's own messages do not repeat it).

/// Everything that can go wrong talking to the store server.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The store server could not be reached or dropped the connection.
    #[error(
        "the store server {server} cannot be reached ({detail}); the register keeps selling on its own and will catch up"
    )]
    Unreachable {
        /// `host:port/database`.
        server: String,
        /// What failed, without the password.
        detail: String,
    },
    /// The store server refused the login (wrong user or password, or not allowed from here).
    #[error(
        "the store server {server} refused the login ({detail}); check the user and password in the store settings"
    )]
    LoginRefused {
        /// `host:port/database`.
        server: String,
        /// PostgreSQL's reason (it never repeats the password).
        detail: String,
    },
    /// The store server's TLS certificate was not trusted (not signed by the given authority or
    /// the public roots, expired, or naming another host).
    #[error(
        "the store server {server} showed a certificate this register does not trust ({detail}); check the host name and the CA file in the store settings"
    )]
    CertificateRefused {
        /// `host:port/database`.
        server: String,
        /// Why, from the TLS library.
        detail: String,
    },
    /// The store server refused a statement (a bug, or a schema changed by hand).
    #[error("the store server refused a request ({0}); contact support with this message")]
    Server(String),
    /// The store schema is newer than this build.
    #[error(
        "the store server's schema is version {found}, newer than this register knows ({known}); update Stateline on this register"
    )]
    SchemaTooNew {
        /// Version found on the server.
        found: i32,
        /// Newest version this build knows.
        known: i32,
    },
    /// This register is not (or no longer) one of the store's registers.
    #[error(
        "this register is not one of the store's registers on {server} (it left, or was never joined); join it again"
    )]
    NotJoined {
        /// `host:port/database`.
        server: String,
    },
    /// This register belongs to another store; it leaves that one first.
    #[error(
        "this register already belongs to the store at {store}; leave it first, then join the other"
    )]
    InAnotherStore {
        /// `host:port/database` of the store it belongs to.
        store: String,
    },
    /// Leaving would strand records the store has not seen, and the server does not answer.
    #[error(
        "{unpushed} records have not reached the store yet and the store server did not answer ({reason}); reconnect and try again, or leave anyway (the records stay on this register and still go to Metrc)"
    )]
    NotPushed {
        /// Local records the store does not have.
        unpushed: i64,
        /// Why the server did not take the last sync.
        reason: String,
    },
    /// Records of this register are being delivered by another register of the store (handed
    /// over for want of their user's key here): leaving now would strand them.
    #[error(
        "{handed_over} sales of this register are being sent to Metrc by another register of the store, which holds their user's key; leave once they are in Metrc (the Sync screen shows them), or enter that user's key at the register holding them"
    )]
    HandedOver {
        /// How many.
        handed_over: usize,
    },
    /// The register's own store failed.
    #[error(transparent)]
    Store(#[from] stateline_store::StoreError),
    /// A store server setting is missing or malformed.
    #[error("invalid store server {field}: {detail}")]
    InvalidConfig {
        /// The setting.
        field: &'static str,
        /// What is wrong and what to enter.
        detail: String,
    },
}

impl LinkError {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            LinkError::Unreachable { .. } => "store_server_unreachable",
            LinkError::LoginRefused { .. } => "store_server_login_refused",
            LinkError::CertificateRefused { .. } => "store_server_certificate_refused",
            LinkError::Server(_) => "store_server_error",
            LinkError::SchemaTooNew { .. } => "store_schema_too_new",
            LinkError::InvalidConfig { .. } => "invalid_store_server",
            LinkError::NotJoined { .. } => "store_not_joined",
            LinkError::InAnotherStore { .. } => "store_in_another_store",
            LinkError::NotPushed { .. } => "store_records_not_pushed",
            LinkError::HandedOver { .. } => "store_records_handed_over",
            LinkError::Store(e) => e.code(),
        }
    }

    /// Classifies a driver error: a closed or failed connection is `Unreachable`, a refused login
    /// (SQLSTATE class 28) is `LoginRefused`, any other statement the server refused is `Server`.
    pub(crate) fn from_postgres(server: &str, error: tokio_postgres::Error) -> LinkError {
        match error.as_db_error() {
            Some(db) if db.code().code().starts_with("28") => LinkError::LoginRefused {
                server: server.to_owned(),
                detail: db.message().to_owned(),
            },
            Some(db) => LinkError::Server(format!("{}: {}", db.code().code(), db.message())),
            None => match certificate_problem(&error) {
                Some(why) => LinkError::CertificateRefused {
                    server: server.to_owned(),
                    detail: why.to_string(),
                },
                None => LinkError::Unreachable {
                    server: server.to_owned(),
                    detail: error.to_string(),
                },
            },
        }
    }
}

/// The TLS library's verdict on the server's certificate, if that is what failed.
fn certificate_problem(error: &tokio_postgres::Error) -> Option<&rustls::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(cause) = source {
        let tls = cause.downcast_ref::<rustls::Error>().or_else(|| {
            cause
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(tls @ rustls::Error::InvalidCertificate(_)) = tls {
            return Some(tls);
        }
        source = cause.source();
    }
    None
}
