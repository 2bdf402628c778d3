//! Delivering a finished result: printing it, writing it to `--output`, and gating it on its
//! thresholds.
//!
//! Owns what happens to text on its way out of a command — standard output through
//! [`crate::support::out`] (a closed pipe is not an error, a closed stdout is), the result file (when it
//! cannot be written, the result still reaches standard output before the error: nothing
//! measured is lost), and the exit code of a threshold gate. What the text says is `render`'s.

use std::path::Path;

use crate::error::{Error, Result};
use crate::render::{self, Format};
use crate::result::report::Report;
use crate::result::threshold::{self, Threshold};

/// Writes to stdout; a closed pipe (`| head`) is not an error, a closed stdout is (exit 2).
pub fn print(text: &str) -> Result<()> {
    if crate::support::out::stdout_closed() {
        return Err(Error::Input(
            "standard output is closed, so the result would be lost; redirect it (`> result.txt`) or write it with `--output FILE`".into(),
        ));
    }
    crate::support::out::stdout(text)
        .map_err(|e| Error::Input(format!("cannot write to standard output: {e}")))
}

/// Prints the result (or writes it to `output` and prints the table, unless `quiet`).
pub fn emit(report: &Report, format: Format, output: Option<&Path>, quiet: bool) -> Result<()> {
    let rendered = render::render(report, format);
    match output {
        None => print(&rendered)?,
        Some(path) => {
            if let Err(e) = std::fs::write(path, &rendered) {
                // Nothing measured is lost: the result goes to stdout before the error.
                print(&rendered)?;
                return Err(Error::Input(format!(
                    "cannot write `{}` ({e}); the result was printed to standard output instead",
                    path.display()
                )));
            }
            if crate::support::out::stdout_closed() {
                // The result is safe in the file; only the table has nowhere to go.
                crate::support::out::note(&format!(
                    "wrote {} (standard output is closed: no table)",
                    path.display()
                ));
            } else if !quiet {
                print(&render::render(report, Format::Table))?;
                crate::support::out::note(&format!("wrote {}", path.display()));
            }
        }
    }
    Ok(())
}

/// Applies `--threshold`s to a finished run: 0 when all hold; else the breaches on stderr and 1.
pub fn gate(thresholds: &[Threshold], report: &Report) -> u8 {
    let breaches = threshold::evaluate(thresholds, report);
    if breaches.is_empty() {
        0
    } else {
        crate::support::out::stderr(&render::breaches::render(&breaches));
        1
    }
}
