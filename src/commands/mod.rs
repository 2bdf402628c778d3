//! Subcommands: each turns its raw clap arguments into validated options, runs, and renders.
//!
//! Owns the one `match` over the subcommand enum and the helpers every command shares: finding
//! a scenario by name or path, and writing to stdout without failing on a closed pipe.

pub mod advise;
pub mod check;
pub mod compare;
pub mod completions;
pub mod receive;
pub mod scenarios;
pub mod serve;
pub mod sweep;

use std::io::Write;

use crate::cli::Command;
use crate::error::{Error, Result};
use crate::scenario::Scenario;

/// Runs one subcommand; returns the exit code on success paths (0, or 1 for a found regression).
pub fn dispatch(command: Command) -> Result<u8> {
    match command {
        Command::Compare(args) => compare::run(args),
        Command::Scenarios(cmd) => scenarios::run(cmd),
        Command::Serve(args) => serve::run(args),
        Command::Receive(args) => receive::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Check(args) => check::run(args),
        Command::Advise(args) => advise::run(args),
        Command::Completions { shell } => completions::completions(shell),
        Command::Man => completions::man(),
    }
}

/// A bundled scenario by name, or a scenario file by path.
pub fn load_scenario(name_or_path: &str) -> Result<(Scenario, Option<String>)> {
    if let Some(s) = Scenario::bundled(name_or_path) {
        return Ok((s?, None));
    }
    let path = std::path::Path::new(name_or_path);
    match std::fs::read_to_string(path) {
        Ok(text) => Ok((Scenario::from_file(path, &text)?, Some(text))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::Input(format!(
            "no scenario `{name_or_path}`: it is neither a bundled scenario ({}) nor a file that exists",
            Scenario::bundled_names().join(", ")
        ))),
        Err(e) => Err(Error::Input(format!("cannot read scenario file `{name_or_path}`: {e}"))),
    }
}

/// Binds a listening socket: loopback unless `allow_remote` (then with a warning).
pub async fn bind(addr: &str, allow_remote: bool) -> Result<tokio::net::TcpListener> {
    let sa: std::net::SocketAddr = addr.parse().map_err(|_| {
        Error::Input(format!("--addr `{addr}` is not an address; write HOST:PORT such as `127.0.0.1:8080` (port 0: any free port)"))
    })?;
    if !sa.ip().is_loopback() {
        if !allow_remote {
            return Err(Error::Input(format!(
                "--addr `{addr}` is not a loopback address; add --allow-remote to listen on it, or use 127.0.0.1"
            )));
        }
        eprintln!("warning: listening on {sa}, reachable from other machines");
    }
    tokio::net::TcpListener::bind(sa).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => Error::Input(format!(
            "port {} is already in use; choose another with --addr, or port 0 for any free port",
            sa.port()
        )),
        _ => Error::Input(format!("cannot listen on {sa}: {e}")),
    })
}

/// Parses an optional wall-clock limit such as `--stop-after 10s`.
pub fn stop_after(text: Option<&str>) -> Result<Option<std::time::Duration>> {
    text.map(|t| {
        crate::units::parse_duration(t)
            .map(std::time::Duration::from_micros)
            .map_err(|e| Error::Input(format!("--stop-after: {e}")))
    })
    .transpose()
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

/// The hardening limits from `--header-timeout` and `--max-connections`.
pub fn limits(header_timeout: &str, max_connections: usize) -> Result<crate::live::serve::Limits> {
    let t = crate::units::parse_duration(header_timeout)
        .map_err(|e| Error::Input(format!("--header-timeout: {e}")))?;
    if t < crate::units::MILLI {
        return Err(Error::Input("--header-timeout must be at least `1ms`".into()));
    }
    if max_connections == 0 {
        return Err(Error::Input("--max-connections must be at least 1".into()));
    }
    Ok(crate::live::serve::Limits {
        header_read_timeout: std::time::Duration::from_micros(t),
        max_connections,
        reset_rate: 0.0,
    })
}

/// A tokio runtime for the serving commands.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Input(format!("cannot start the async runtime: {e}")))
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Input(format!("cannot write to standard output: {e}"))),
    }
}
