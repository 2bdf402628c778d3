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

/// Prints the man page as roff; with `all`, writes it and every subcommand's page (the
/// `hookbench-compare(1)` and others the main page refers to) into that folder.
pub fn man(all: Option<&std::path::Path>) -> Result<u8> {
    let render = |cmd: clap::Command| -> Result<Vec<u8>> {
        let mut out = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut out)
            .map_err(|e| Error::Input(format!("cannot render the man page: {e}")))?;
        Ok(out)
    };
    let Some(dir) = all else {
        print(&String::from_utf8_lossy(&render(Cli::command())?))?;
        return Ok(0);
    };
    if !dir.is_dir() {
        return Err(Error::Input(format!(
            "--all `{}` is not a folder; create it first, such as `mkdir -p man`",
            dir.display()
        )));
    }
    let mut cmd = Cli::command();
    cmd.build();
    let mut pages = vec![("hookbench".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands() {
        let name = format!("hookbench-{}", sub.get_name());
        pages.push((name.clone(), sub.clone().name(name)));
    }
    for (name, page) in pages {
        let path = dir.join(format!("{name}.1"));
        std::fs::write(&path, render(page)?)
            .map_err(|e| Error::Input(format!("cannot write `{}`: {e}", path.display())))?;
    }
    Ok(0)
}
