//! The certificate of the local API when a manager opens it to the store's network: made once on
//! this register, kept in the data folder, and pinned by the store's POS.
//!
//! Guarantees: the private key is written with owner-only permissions and never leaves the data
//! folder (nor a log or an answer); the same certificate is used at every start, so a POS that
//! pinned its SHA-256 fingerprint keeps working; a certificate or key that cannot be read is an
//! error naming the file, never silently replaced (a replaced certificate would break the pin).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{CertificateParams, DnType, KeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use crate::PosError;

/// The certificate the local API serves on the local network.
#[derive(Debug, Clone)]
pub struct ApiCertificate {
    /// The server configuration to serve with.
    pub config: Arc<rustls::ServerConfig>,
    /// SHA-256 of the certificate (colon-separated hex): what a POS pins.
    pub fingerprint: String,
    /// The certificate (PEM), to give to a POS that pins the certificate itself.
    pub certificate_file: PathBuf,
}

fn failed(path: &Path, detail: impl ToString, hint: &'static str) -> PosError {
    PosError::Certificate {
        path: path.display().to_string(),
        detail: detail.to_string(),
        hint,
    }
}

/// Loads the API certificate from `folder`, making it first (for `names`: the register's host
/// names and addresses) when there is none.
pub fn load_or_create(folder: &Path, names: &[String]) -> Result<ApiCertificate, PosError> {
    let cert_file = folder.join("api-certificate.pem");
    let key_file = folder.join("api-key.pem");
    if !cert_file.exists() && !key_file.exists() {
        create(folder, &cert_file, &key_file, names)?;
    }
    let repair = "move both api-certificate.pem and api-key.pem out of the data folder to make a \
                  new pair (every POS must then pin the new fingerprint)";
    let cert_pem = std::fs::read(&cert_file).map_err(|e| failed(&cert_file, e, repair))?;
    let key_pem = std::fs::read(&key_file).map_err(|e| failed(&key_file, e, repair))?;
    let certificate = CertificateDer::from_pem_slice(&cert_pem)
        .map_err(|e| failed(&cert_file, format!("no certificate in it ({e})"), repair))?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| failed(&key_file, format!("no private key in it ({e})"), repair))?;
    let fingerprint = Sha256::digest(certificate.as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| failed(&cert_file, e, repair))?
    .with_no_client_auth()
    .with_single_cert(vec![certificate], key)
    .map_err(|e| failed(&cert_file, e, repair))?;
    Ok(ApiCertificate {
        config: Arc::new(config),
        fingerprint,
        certificate_file: cert_file,
    })
}

fn create(
    folder: &Path,
    cert_file: &Path,
    key_file: &Path,
    names: &[String],
) -> Result<(), PosError> {
    let hint = "check that the data folder is writable";
    let mut all: Vec<String> = vec!["localhost".into(), "127.0.0.1".into()];
    all.extend(names.iter().filter(|n| !n.trim().is_empty()).cloned());
    all.dedup();
    let key = KeyPair::generate().map_err(|e| failed(folder, e, hint))?;
    let mut params = CertificateParams::new(all).map_err(|e| failed(folder, e, hint))?;
    params
        .distinguished_name
        .push(DnType::CommonName, "Stateline local API");
    let certificate = params
        .self_signed(&key)
        .map_err(|e| failed(folder, e, hint))?;
    std::fs::create_dir_all(folder).map_err(|e| failed(folder, e, hint))?;
    write_private(key_file, key.serialize_pem().as_bytes())
        .map_err(|e| failed(key_file, e, hint))?;
    std::fs::write(cert_file, certificate.pem()).map_err(|e| failed(cert_file, e, hint))?;
    Ok(())
}

/// Writes `bytes` to a new file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
