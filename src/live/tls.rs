//! TLS for the live servers and clients, on one backend: rustls with the ring provider.
//!
//! Owns the server side's configuration — a certificate chain and key from PEM files, or a
//! self-signed certificate generated at start for the names a server answers to (TLS 1.3 and
//! 1.2, ALPN `http/1.1`) — the extra roots a client trusts (`--ca-cert`, `SSL_CERT_FILE`), and
//! the one test that tells a failed TLS handshake (an untrusted, expired or wrong-name
//! certificate) from the other ways a connection fails. It never accepts a certificate it cannot
//! verify: nothing here turns verification off. It does no socket work: the accept loop
//! ([`crate::live::serve`]) runs the handshake under its deadlines.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The names a self-signed certificate always covers: this machine, by name and by address.
pub const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// The one protocol both sides offer in ALPN.
pub const ALPN_HTTP1: &[u8] = b"http/1.1";

/// Why a TLS configuration could not be built. The messages name the file, not the flag: the
/// command that read the flag prefixes it.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file could not be read.
    #[error("cannot read `{path}` ({error})")]
    Read { path: String, error: std::io::Error },
    /// No PEM certificate in the file.
    #[error("`{0}` holds no PEM certificate (a `-----BEGIN CERTIFICATE-----` block)")]
    NoCertificate(String),
    /// A PEM certificate that is not a valid X.509 certificate.
    #[error("`{0}` holds a certificate that does not parse ({1})")]
    BadCertificate(String, String),
    /// No PEM private key in the file.
    #[error("`{0}` holds no PEM private key (PKCS#8, PKCS#1 or SEC1)")]
    NoKey(String),
    /// The key and the certificate do not belong together, or rustls refused them.
    #[error("{0}")]
    Mismatch(String),
    /// Generating the self-signed certificate failed.
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(String),
}

fn shown(path: &Path) -> String {
    crate::support::quote::excerpt(&path.display().to_string(), crate::support::quote::EXCERPT_PATH)
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|error| TlsError::Read { path: shown(path), error })
}

/// The certificates of a PEM file, in order (a chain: the leaf first; or a bundle of roots).
pub fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(path)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem).filter_map(|c| c.ok()).collect();
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(shown(path)));
    }
    Ok(certs)
}

/// The roots a client trusts on top of the built-in ones, from a PEM file (mkcert's `rootCA.pem`,
/// a server's self-signed certificate, or a bundle such as `SSL_CERT_FILE` names): those that
/// parse as trust anchors (a system bundle may hold one that does not); none is an error.
pub fn roots(path: &Path) -> Result<Vec<reqwest::Certificate>, TlsError> {
    let mut last = None;
    let mut parsed = Vec::new();
    for c in certificates(path)? {
        match rustls::RootCertStore::empty().add(c.clone()) {
            Ok(()) => parsed.push(
                reqwest::Certificate::from_der(&c)
                    .map_err(|e| TlsError::BadCertificate(shown(path), e.to_string()))?,
            ),
            Err(e) => last = Some(e.to_string()),
        }
    }
    match (parsed.is_empty(), last) {
        (true, Some(e)) => Err(TlsError::BadCertificate(shown(path), e)),
        _ => Ok(parsed),
    }
}

/// A server's TLS side: what the accept loop hands each connection to.
#[derive(Clone)]
pub struct ServerTls {
    acceptor: tokio_rustls::TlsAcceptor,
    /// The certificate chain served, PEM (for a self-signed one: what clients must trust).
    pub chain_pem: String,
    /// Generated at start ([`ServerTls::self_signed`]) rather than read from files.
    pub self_signed: bool,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls").finish_non_exhaustive()
    }
}

impl ServerTls {
    /// From a PEM certificate chain (leaf first) and its PEM private key.
    pub fn from_pem_files(cert: &Path, key_path: &Path) -> Result<Self, TlsError> {
        let chain = certificates(cert)?;
        let key_pem = read(key_path)?;
        let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| TlsError::NoKey(shown(key_path)))?;
        let chain_pem = String::from_utf8_lossy(&read(cert)?).into_owned();
        Self::new(chain, key, chain_pem, false).map_err(|e| match e {
            TlsError::Mismatch(why) => {
                TlsError::Mismatch(format!("`{}` {why} `{}`", shown(key_path), shown(cert)))
            }
            e => e,
        })
    }

    /// A self-signed certificate generated now for [`LOOPBACK_NAMES`] and `extra` (host names or
    /// IP addresses), valid from now for a year.
    pub fn self_signed(extra: &[String]) -> Result<Self, TlsError> {
        let mut names: Vec<String> = LOOPBACK_NAMES.iter().map(|s| s.to_string()).collect();
        for n in extra {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
        let generate = |e: rcgen::Error| TlsError::Generate(e.to_string());
        let key = rcgen::KeyPair::generate().map_err(generate)?;
        let mut params = rcgen::CertificateParams::new(names).map_err(generate)?;
        params.distinguished_name.push(rcgen::DnType::CommonName, "hookbench self-signed");
        let now = std::time::SystemTime::now();
        params.not_before = now.into();
        params.not_after = (now + std::time::Duration::from_secs(365 * 24 * 3600)).into();
        let cert = params.self_signed(&key).map_err(generate)?;
        let der =
            PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| TlsError::Generate(e.to_string()))?;
        Self::new(vec![cert.der().clone()], der, cert.pem(), true)
    }

    fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        chain_pem: String,
        self_signed: bool,
    ) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certified = rustls::sign::CertifiedKey::from_der(chain, key, &provider).map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => {
                TlsError::Mismatch("is not the private key of the certificate in".into())
            }
            e => TlsError::Mismatch(format!("cannot sign ({e}) for the certificate in")),
        })?;
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| TlsError::Mismatch(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(certified)));
        config.alpn_protocols = vec![ALPN_HTTP1.to_vec()];
        Ok(ServerTls { acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)), chain_pem, self_signed })
    }

    /// What the accept loop runs each handshake with.
    pub fn acceptor(&self) -> &tokio_rustls::TlsAcceptor {
        &self.acceptor
    }
}

/// Whether `e` (or an error under it) is a failed TLS handshake or record: an untrusted, expired
/// or wrong-name certificate, a protocol mismatch, an alert from the peer.
pub fn is_tls_failure(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.is::<rustls::Error>() {
            return true;
        }
        // An I/O error carries its cause (rustls' error, or another I/O error around it) as a
        // payload, which `source` skips.
        next = match e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_certificate_covers_the_loopback_names_and_parses_back() {
        let tls = ServerTls::self_signed(&["api.localhost".into()]).unwrap();
        let dir = std::env::temp_dir().join(format!("hookbench-tls-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("self.pem");
        std::fs::write(&path, &tls.chain_pem).unwrap();
        assert_eq!(roots(&path).unwrap().len(), 1);
        assert_eq!(certificates(&path).unwrap().len(), 1);
        std::fs::write(&path, "not a certificate").unwrap();
        assert!(matches!(roots(&path), Err(TlsError::NoCertificate(_))));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn only_rustls_errors_are_tls_failures() {
        let plain = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(!is_tls_failure(&plain));
        // As hyper-rustls hands it up: an I/O error around an I/O error around rustls' error.
        let tls = std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        ));
        assert!(is_tls_failure(&tls));
    }
}
