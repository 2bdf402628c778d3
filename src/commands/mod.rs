//! Subcommands: each turns its raw clap arguments into validated options, runs, and renders.
//!
//! This module holds only the one `match` over the subcommand enum. What commands share lives in
//! three modules below them — [`options`] (each flag group validated once), [`output`] (printing,
//! writing and gating a result) and [`serving`] (listeners, limits, signals) — so no command
//! reaches into another.

pub mod advise;
pub mod check;
pub mod compare;
pub mod completions;
pub mod export;
pub mod options;
pub mod output;
pub mod receive;
pub mod report;
pub mod scenarios;
pub mod serve;
pub mod serving;
pub mod sign;
pub mod sweep;

use crate::cli::Command;
use crate::error::Result;

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
        Command::Report(args) => report::run(args),
        Command::Export(cmd) => export::run(cmd),
        Command::Completions { shell } => completions::completions(shell),
        Command::Man { all } => completions::man(all.as_deref()),
        Command::Sign(args) => sign::run(args),
    }
}
