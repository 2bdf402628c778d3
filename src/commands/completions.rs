//! `hookbench completions SHELL` and the hidden `hookbench man`: both generated from the clap
//! definitions, so they never drift from the flags. Owns nothing else and runs nothing.

use clap::CommandFactory;

use super::output::print;
use crate::cli::Cli;
use crate::error::{Error, Result};

/// Prints the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Result<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "hookbench", &mut out);
    print(&String::from_utf8_lossy(&out))?;
    Ok(0)
}

/// Prints the man page as roff.
pub fn man() -> Result<u8> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| Error::Input(format!("cannot render the man page: {e}")))?;
    print(&String::from_utf8_lossy(&out))?;
    Ok(0)
}
