//! What the serving commands (`serve`, `receive`) share: binding a listener, their limits, the
//! async runtime, a webhook URL, and waiting to be stopped.
//!
//! Owns the loopback rule (another address only with `--allow-remote`, with a warning; every
//! address a name resolves to must be loopback), the hardening limits of [`ServerArgs`] as the
//! live servers take them, their TLS side (`--tls`: the certificate read or generated, and the
//! file a generated one is written to), what a client trusts (`--ca-cert`), and the signals that
//! end a server (Ctrl-C, SIGTERM, `--stop-after`).

use std::path::{Path, PathBuf};

use crate::cli::{ServerArgs, TlsArgs, TlsCertArgs, TrustArgs};
use crate::error::{Error, Result};
use crate::live::serve::{Limits, MAX_CONNECTIONS};
use crate::live::tls::ServerTls;
use crate::render::text::redact_url;

use super::options::wall_duration;

/// `--addr`, or the command's default.
pub fn addr<'a>(args: &'a ServerArgs, default: &'a str) -> &'a str {
    args.addr.as_deref().unwrap_or(default)
}

/// Binds a listening socket: loopback unless `allow_remote` (then with a warning). `HOST` may be
/// a name (`localhost`); every address it resolves to must be loopback, and the first that can
/// be bound is used. An IPv4-mapped IPv6 address (`[::ffff:127.0.0.1]`) counts as its IPv4 one.
pub async fn bind(addr: &str, allow_remote: bool) -> Result<tokio::net::TcpListener> {
    let not_an_address = || {
        Error::Input(format!(
            "--addr `{addr}` is not an address; write HOST:PORT such as `127.0.0.1:8080` or `localhost:8080` (port 0: any free port)"
        ))
    };
    let candidates: Vec<std::net::SocketAddr> = match addr.parse::<std::net::SocketAddr>() {
        Ok(sa) => vec![sa],
        Err(_) => {
            // A name: HOST:PORT with a port that parses, resolved by the system.
            let (_, port) = addr.rsplit_once(':').ok_or_else(not_an_address)?;
            port.parse::<u16>().map_err(|_| not_an_address())?;
            tokio::net::lookup_host(addr)
                .await
                .map_err(|e| Error::Input(format!("--addr `{addr}`: cannot resolve the host ({e})")))?
                .collect()
        }
    };
    let candidates: Vec<std::net::SocketAddr> = candidates
        .into_iter()
        .map(|sa| std::net::SocketAddr::new(sa.ip().to_canonical(), sa.port()))
        .collect();
    if candidates.is_empty() {
        return Err(not_an_address());
    }
    if let Some(remote) = candidates.iter().find(|sa| !sa.ip().is_loopback()) {
        if !allow_remote {
            return Err(Error::Input(format!(
                "--addr `{addr}` is not a loopback address; add --allow-remote to listen on it, or use 127.0.0.1"
            )));
        }
        crate::support::out::note(&format!("warning: listening on {remote}, reachable from other machines"));
    }
    let mut last = None;
    for sa in &candidates {
        match tokio::net::TcpListener::bind(sa).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some((*sa, e)),
        }
    }
    let Some((sa, e)) = last else { return Err(not_an_address()) };
    Err(match e.kind() {
        std::io::ErrorKind::AddrInUse => Error::Input(format!(
            "port {} is already in use; choose another with --addr, or port 0 for any free port",
            sa.port()
        )),
        _ => Error::Input(format!("cannot listen on {sa}: {e}")),
    })
}

/// The hardening limits of `serve` and `receive` from their shared flags.
pub fn limits(args: &ServerArgs) -> Result<Limits> {
    if !(1..=MAX_CONNECTIONS).contains(&args.max_connections) {
        return Err(Error::Input(format!(
            "--max-connections {} is out of range; give a number from 1 to {MAX_CONNECTIONS}",
            args.max_connections
        )));
    }
    let timeout = |flag, text: &str| wall_duration(flag, text, crate::support::units::MILLI);
    Ok(Limits {
        header_timeout: timeout("--header-timeout", &args.header_timeout)?,
        body_timeout: timeout("--body-timeout", &args.body_timeout)?,
        idle_timeout: timeout("--idle-timeout", &args.idle_timeout)?,
        max_connections: args.max_connections,
        reset_rate: 0.0,
    })
}

/// The server's TLS side: `None` without `--tls`; with it, `--tls-cert` and `--tls-key`, or a
/// certificate generated now for the loopback names and `addr`'s host.
pub fn server_tls(tls: &TlsArgs, cert: &TlsCertArgs, addr: &str) -> Result<Option<ServerTls>> {
    if !tls.tls {
        return Ok(None);
    }
    let served = match (&cert.tls_cert, &cert.tls_key) {
        (Some(c), Some(k)) => {
            ServerTls::from_pem_files(c, k).map_err(|e| Error::Input(format!("--tls-cert/--tls-key: {e}")))?
        }
        _ => {
            let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let extra: Vec<String> = [host].iter().filter(|h| !h.is_empty()).map(|h| h.to_string()).collect();
            ServerTls::self_signed(&extra).map_err(|e| Error::Internal(e.to_string()))?
        }
    };
    Ok(Some(served))
}

/// Writes a self-signed certificate where clients can read it: `hookbench-COMMAND-PORT.pem` in
/// the temporary directory, replacing an older one. `None` for a certificate from files.
pub fn write_certificate(tls: &ServerTls, command: &str, port: u16) -> Result<Option<PathBuf>> {
    if !tls.self_signed {
        return Ok(None);
    }
    let path = std::env::temp_dir().join(format!("hookbench-{command}-{port}.pem"));
    write_new(&path, tls.chain_pem.as_bytes())
        .map_err(|e| Error::Input(format!("cannot write the certificate to `{}` ({e})", path.display())))?;
    Ok(Some(path))
}

/// Replaces `path` by a new file holding `bytes` (never writing through a link left there).
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(bytes)
}

/// The roots a client trusts on top of the built-in ones: `--ca-cert` (or `SSL_CERT_FILE`).
pub fn trust(args: &TrustArgs) -> Result<Vec<reqwest::Certificate>> {
    match &args.ca_cert {
        Some(path) => crate::live::tls::roots(path)
            .map_err(|e| Error::Input(format!("--ca-cert (or SSL_CERT_FILE): {e}"))),
        None => Ok(Vec::new()),
    }
}

/// Validates a webhook target URL.
pub fn parse_url(url: &str) -> Result<reqwest::Url> {
    let shown = redact_url(url);
    let u = reqwest::Url::parse(url).map_err(|e| {
        Error::Input(format!(
            "--webhook-url `{shown}` is not a URL ({e}); write one such as http://127.0.0.1:9090/webhook"
        ))
    })?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(Error::Input(format!(
            "--webhook-url `{shown}` must be an http:// or https:// URL with a host"
        )));
    }
    Ok(u)
}

/// Checks that something listens at the URL's host and port.
pub async fn reachable(u: &reqwest::Url) -> Result<()> {
    let shown = redact_url(u.as_str());
    // An IPv6 literal is written in brackets in a URL, never to the resolver.
    let host = u.host_str().unwrap_or("127.0.0.1").trim_start_matches('[').trim_end_matches(']').to_string();
    let port = u.port_or_known_default().unwrap_or(80);
    let connect = tokio::net::TcpStream::connect((host.as_str(), port));
    match tokio::time::timeout(std::time::Duration::from_secs(3), connect).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(Error::Input(format!(
            "cannot reach --webhook-url {shown} ({e}); start the receiver first, or check the host and port"
        ))),
        Err(_) => Err(Error::Input(format!(
            "cannot reach --webhook-url {shown}: no answer within 3 s; check the host and port"
        ))),
    }
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM, or the wall-clock limit.
pub async fn until_stopped(limit: Option<std::time::Duration>) {
    let limit = async {
        match limit {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = limit => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// A tokio runtime for the serving commands.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Input(format!("cannot start the async runtime: {e}")))
}
