//! Subcommands: each turns its raw clap arguments into validated options, runs, and renders.
//!
//! Owns the one `match` over the subcommand enum and the helpers every command shares: finding
//! a scenario by name or path, and writing to stdout without failing on a closed pipe.

pub mod advise;
pub mod check;
pub mod compare;
pub mod completions;
pub mod scenarios;
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
        Ok(text) => Ok((Scenario::from_toml(&text, name_or_path)?, Some(text))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::Input(format!(
            "no scenario `{name_or_path}`: it is neither a bundled scenario ({}) nor a file that exists",
            Scenario::bundled_names().join(", ")
        ))),
        Err(e) => Err(Error::Input(format!("cannot read scenario file `{name_or_path}`: {e}"))),
    }
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
