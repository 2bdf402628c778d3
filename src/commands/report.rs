//! `hookbench report RESULT.json`: a saved JSON result rendered again, in any format and to any
//! files (vegeta's `report`): a CI job runs once and renders many times.
//!
//! Owns validating the flags (a `--threshold` is refused: thresholds are judged by the run, and a
//! saved result carries the ones it was run with) and handing the read-back
//! [`Report`](crate::result::report::Report) to the renderers. The JSON format is the file's own
//! JSON, as written; every other format is rendered from the report, as the run rendered it. It
//! never runs the engine and never formats anything itself.

use super::options::output_format;
use super::output::emit_rendered;
use crate::cli::{Format, ReportArgs};
use crate::error::{Error, Result};
use crate::render;
use crate::result::saved;

/// `hookbench report`: exit 0, or 2 when the file cannot be read or an output cannot be written.
pub fn run(args: ReportArgs) -> Result<u8> {
    if let Some(t) = args.out.threshold.first() {
        return Err(Error::Input(format!(
            "--threshold `{t}`: thresholds are judged by a run (compare, sweep, serve --report); a saved result carries the ones it was run with"
        )));
    }
    let to = output_format(&args.out)?;
    let saved = saved::read(&args.result)?;
    emit_rendered(&to, |format| match format {
        Format::Json => render::json::value(&saved.json),
        other => render::render(&saved.report, other),
    })?;
    Ok(0)
}
