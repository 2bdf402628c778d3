//! The examples' HTTP client: it trusts the public web's roots and, for a private CA such as
//! mkcert's or the self-signed certificate `hookbench serve --tls` writes, the PEM file named by
//! `CA_CERT` (or `SSL_CERT_FILE`, as curl and Python read it).
//!
//! ```text
//! hookbench serve --tls --report --addr 127.0.0.1:8443 &   # prints: self-signed certificate FILE
//! API=https://127.0.0.1:8443 CA_CERT=FILE cargo run --example polite_poller
//! ```

use std::path::{Path, PathBuf};

/// The file of extra roots the environment names, if any.
pub fn ca_file() -> Option<PathBuf> {
    std::env::var_os("CA_CERT").or_else(|| std::env::var_os("SSL_CERT_FILE")).map(PathBuf::from)
}

/// A client trusting the certificates in `ca` (PEM, one or more) as well as the usual roots.
pub fn client(ca: Option<&Path>) -> Result<reqwest::Client, Box<dyn std::error::Error>> {
    let mut builder = reqwest::Client::builder();
    if let Some(path) = ca {
        let pem = std::fs::read(path).map_err(|e| format!("reading the CA file {}: {e}", path.display()))?;
        for cert in reqwest::Certificate::from_pem_bundle(&pem)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    Ok(builder.build()?)
}

/// Whether `e` says the server is gone (nothing listens any more), as opposed to a failure to
/// trust it: an untrusted certificate is a connect error too, but the examples must say so rather
/// than stop as if the run had ended.
pub fn gone(e: &reqwest::Error) -> bool {
    use std::io::ErrorKind::{ConnectionRefused, ConnectionReset, NotConnected};
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if matches!(io.kind(), ConnectionRefused | ConnectionReset | NotConnected) {
                return true;
            }
        }
        source = s.source();
    }
    false
}
