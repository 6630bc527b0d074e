//! How a register protects its connection to the store server: plain TCP (a server on the same
//! machine or a closed back-office network) or TLS with the server's certificate verified.
//!
//! Guarantees: there is no "encrypt but trust anyone" mode — with TLS on, the server's
//! certificate must chain to the store's own certificate authority (a PEM file the store gives
//! its registers) or, when none is given, to the public web roots, and must name the host the
//! register connects to; a CA file that cannot be read or holds no certificate is refused before
//! anything is contacted, with a message saying what to give instead. Rustls with the `ring`
//! provider: no OpenSSL on the register.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde::{Deserialize, Serialize};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::LinkError;

/// The store server connection's protection, kept with the membership.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum StoreTls {
    /// Plain TCP.
    #[default]
    Off,
    /// TLS; the server's certificate is checked against `ca_file` (PEM), or the public roots
    /// when `None`, and against the host name.
    Verified {
        /// The store's certificate authority (or the server's own self-signed certificate).
        ca_file: Option<PathBuf>,
    },
}

impl StoreTls {
    /// What a status line says about it.
    pub fn describe(&self) -> String {
        match self {
            StoreTls::Off => "not encrypted".into(),
            StoreTls::Verified { ca_file: None } => "TLS, checked against the public roots".into(),
            StoreTls::Verified { ca_file: Some(f) } => {
                format!("TLS, checked against {}", f.display())
            }
        }
    }

    /// The connector for this setting (reads and checks the CA file).
    pub(crate) fn connector(&self) -> Result<Option<MakeRustlsConnect>, LinkError> {
        let StoreTls::Verified { ca_file } = self else {
            return Ok(None);
        };
        let roots = match ca_file {
            Some(path) => roots_from(path)?,
            None => RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            },
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| LinkError::Server(format!("TLS set-up failed: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Some(MakeRustlsConnect::new(config)))
    }
}

fn invalid_ca(path: &Path, why: &str) -> LinkError {
    LinkError::InvalidConfig {
        field: "CA file",
        detail: format!(
            "{} {why}; give the PEM file of the store server's certificate authority (or of its self-signed certificate)",
            path.display()
        ),
    }
}

/// Every certificate of the PEM file at `path`.
fn roots_from(path: &Path) -> Result<RootCertStore, LinkError> {
    let pem =
        std::fs::read(path).map_err(|e| invalid_ca(path, &format!("cannot be read ({e})")))?;
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| invalid_ca(path, &format!("is not a PEM certificate file ({e})")))?;
    if certificates.is_empty() {
        return Err(invalid_ca(path, "holds no certificate"));
    }
    let mut roots = RootCertStore::empty();
    for certificate in certificates {
        roots.add(certificate).map_err(|e| {
            invalid_ca(
                path,
                &format!("holds a certificate that cannot be used ({e})"),
            )
        })?;
    }
    Ok(roots)
}

/// Checks a setting without contacting anyone (the CA file reads and holds certificates).
pub fn check(tls: &StoreTls) -> Result<(), LinkError> {
    tls.connector().map(|_| ())
}
