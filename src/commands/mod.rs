//! Subcommands: each turns its raw clap arguments into validated options, runs, and renders.
//!
//! Owns the one `match` over the subcommand enum and the helpers every command shares: finding
//! a scenario by name or path, binding a listener, waiting to be stopped, and printing a result
//! (through [`crate::out`], where a closed pipe is not an error).

pub mod advise;
pub mod check;
pub mod compare;
pub mod completions;
pub mod export;
pub mod receive;
pub mod scenarios;
pub mod serve;
pub mod serve_report;
pub mod sweep;

use std::path::Path;

use crate::cli::Command;
use crate::error::{Error, Result};
use crate::files::{self, FileError, SMALL_FILE, SMALL_FILE_TEXT};
use crate::limits::{MAX_DURATION, MAX_DURATION_TEXT};
use crate::quote::{excerpt, EXCERPT_PATH};
use crate::scenario::{Scenario, TraceAccess};

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
        Command::Export(cmd) => export::run(cmd),
        Command::Completions { shell } => completions::completions(shell),
        Command::Man => completions::man(),
        Command::Sign(args) => receive::sign(args),
    }
}

/// A bundled scenario by name, or a scenario file by path (a regular file of at most
/// [`SMALL_FILE_TEXT`]), with its arrivals replaced by `trace` when given (`--trace`, a path
/// from the current directory). Returns the file's text too.
pub fn load_scenario(name_or_path: &str, trace: Option<&Path>) -> Result<(Scenario, Option<String>)> {
    let given = trace.map(TraceAccess::Given);
    if let Some(s) = Scenario::bundled_with(name_or_path, given.unwrap_or(TraceAccess::Nowhere)) {
        return Ok((s?, None));
    }
    let path = Path::new(name_or_path);
    let shown = excerpt(name_or_path, EXCERPT_PATH);
    match files::read_text(path, SMALL_FILE, SMALL_FILE_TEXT) {
        Ok(text) => {
            let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            let access = given.unwrap_or(TraceAccess::Within(dir));
            Ok((Scenario::from_toml_with(&text, &path.display().to_string(), access)?, Some(text)))
        }
        Err(FileError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::Input(format!(
            "no scenario `{shown}`: it is neither a bundled scenario ({}) nor a file that exists",
            Scenario::bundled_names().join(", ")
        ))),
        Err(e) => Err(Error::Input(format!("cannot read scenario file `{shown}`: {e}"))),
    }
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
        crate::out::note(&format!("warning: listening on {remote}, reachable from other machines"));
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

/// Parses an optional wall-clock limit such as `--stop-after 10s` (at most a year).
pub fn stop_after(text: Option<&str>) -> Result<Option<std::time::Duration>> {
    text.map(|t| wall_duration("--stop-after", t, 0)).transpose()
}

/// A wall-clock duration flag from `min` to a year ([`MAX_DURATION`]).
pub fn wall_duration(flag: &str, text: &str, min: crate::units::Micros) -> Result<std::time::Duration> {
    let d = crate::units::parse_duration(text).map_err(|e| Error::Input(format!("{flag}: {e}")))?;
    if d < min {
        return Err(Error::Input(format!(
            "{flag}: `{text}` is too short; give at least `{}`",
            crate::units::format_duration(min)
        )));
    }
    if d > MAX_DURATION {
        return Err(Error::Input(format!(
            "{flag}: `{text}` is over a year; use at most `{MAX_DURATION_TEXT}`"
        )));
    }
    Ok(std::time::Duration::from_micros(d))
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

/// Writes to stdout; a closed pipe (`| head`) is not an error, a closed stdout is (exit 2).
pub fn print(text: &str) -> Result<()> {
    if crate::out::stdout_closed() {
        return Err(Error::Input(
            "standard output is closed, so the result would be lost; redirect it (`> result.txt`) or write it with `--output FILE`".into(),
        ));
    }
    crate::out::stdout(text).map_err(|e| Error::Input(format!("cannot write to standard output: {e}")))
}
