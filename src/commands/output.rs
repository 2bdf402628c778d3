//! Delivering a finished result: printing it, writing it to each `--output` file, and gating
//! it on its judged thresholds.
//!
//! Owns what happens to text on its way out of a command — standard output through
//! [`crate::support::out`] (a closed pipe is not an error, a closed stdout is), the result files (when one
//! cannot be written, the others still are and the result still reaches standard output before
//! the error: nothing measured is lost), and the exit code of a threshold gate. What the text says is `render`'s.

use std::path::Path;

use super::options::Delivery;
use crate::error::{Error, Result};
use crate::render::{self, Format};
use crate::result::report::Report;
use crate::result::threshold;

/// Writes to stdout; a closed pipe (`| head`) is not an error, a closed stdout is (exit 2).
pub fn print(text: &str) -> Result<()> {
    if crate::support::out::stdout_closed() {
        return Err(Error::Input(
            "standard output is closed, so the result would be lost; redirect it (`> result.txt`)".into(),
        ));
    }
    crate::support::out::stdout(text)
        .map_err(|e| Error::Input(format!("cannot write to standard output: {e}")))
}

/// Delivers the result: writes every `--output` file in its format, and prints it on standard
/// output in `--format` (unless `--quiet` and it went to a file). A file that cannot be written
/// does not stop the others; its content then reaches standard output too (nothing measured is
/// lost), and the error names every such file (exit 2).
pub fn emit(report: &Report, to: &Delivery) -> Result<()> {
    emit_rendered(to, |format| render::render(report, format))
}

/// [`emit`] with the text of each format from `render`.
pub fn emit_rendered(to: &Delivery, render: impl Fn(Format) -> String) -> Result<()> {
    let mut failed: Vec<(&Path, Format, std::io::Error)> = Vec::new();
    for (path, format) in &to.files {
        if let Err(e) = std::fs::write(path, render(*format)) {
            failed.push((path, *format, e));
        }
    }
    if to.files.is_empty() {
        return print(&render(to.format));
    }
    if failed.is_empty() && crate::support::out::stdout_closed() {
        // The result is safe in the files; only standard output has nowhere to go.
        for (path, _) in &to.files {
            crate::support::out::note(&format!(
                "wrote {} (standard output is closed: nothing printed)",
                path.display()
            ));
        }
        return Ok(());
    }
    let mut printed = Vec::new();
    if !to.quiet {
        print(&render(to.format))?;
        printed.push(to.format);
    }
    for (_, format, _) in &failed {
        if !printed.contains(format) {
            print(&render(*format))?;
            printed.push(*format);
        }
    }
    if !to.quiet {
        for (path, _) in to.files.iter().filter(|(p, _)| !failed.iter().any(|(f, _, _)| f == p)) {
            crate::support::out::note(&format!("wrote {}", path.display()));
        }
    }
    match failed.as_slice() {
        [] => Ok(()),
        [(path, _, e)] => Err(Error::Input(format!(
            "cannot write `{}` ({e}); the result was printed to standard output instead",
            path.display()
        ))),
        many => Err(Error::Input(format!(
            "cannot write {}; the result was printed to standard output instead",
            many.iter().map(|(p, _, e)| format!("`{}` ({e})", p.display())).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Gates a finished run on the thresholds judged into it (`report.thresholds`): the breaches
/// and a one-line summary on stderr, then 1 if any failed, else 0 (the summary of a pass is
/// left out under `--quiet`). Without thresholds, 0 and nothing printed.
pub fn gate(report: &Report, quiet: bool) -> u8 {
    let Some(judged) = &report.thresholds else {
        return 0;
    };
    let breaches = threshold::breaches(judged);
    let tally = threshold::tally(judged);
    if !breaches.is_empty() {
        crate::support::out::stderr(&render::breaches::render(&breaches));
    }
    if tally.failed > 0 || !quiet {
        crate::support::out::stderr(&render::breaches::summary(tally));
    }
    u8::from(tally.failed > 0)
}
