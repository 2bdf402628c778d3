//! `hookbench report RESULT.json`: a saved JSON result rendered again, in any format and to any
//! files (vegeta's `report`): a CI job runs once and renders many times.
//!
//! Owns validating the flags (a `--threshold` is refused: thresholds are judged by the run, and a
//! saved result carries the ones it was run with) and handing the read-back
//! [`Report`](crate::result::report::Report) to the renderers; `--charts DIR` writes each of the
//! run's charts ([`render::chart::run_charts`]) as SVG (and PNG with `--png`). The JSON format is the file's own
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
    if let Some(dir) = args.charts.as_ref().filter(|d| !d.is_dir()) {
        return Err(Error::Input(format!(
            "--charts `{}`: no such folder; create it or choose another",
            dir.display()
        )));
    }
    let saved = saved::read(&args.result)?;
    if let Some(dir) = &args.charts {
        write_charts(&saved.report, dir, args.png, to.quiet)?;
        if to.quiet && to.files.is_empty() {
            return Ok(0); // the charts were where the result had to go
        }
    }
    emit_rendered(&to, |format| match format {
        Format::Json => render::json::value(&saved.json),
        other => render::render(&saved.report, other),
    })?;
    Ok(0)
}

/// Writes each of the run's charts into `dir` as SVG (and PNG with `png`), and notes each file
/// unless `quiet`.
fn write_charts(
    report: &crate::result::report::Report,
    dir: &std::path::Path,
    png: bool,
    quiet: bool,
) -> Result<()> {
    let charts = render::chart::run_charts(report);
    if charts.is_empty() {
        return Err(Error::Input(
            "--charts: the result has no timelines or latency distributions to draw (a replicated run, or saved before them)".into(),
        ));
    }
    for (name, svg) in charts {
        let stem = format!("{}-{name}", report.scenario.name);
        let mut files = Vec::new();
        if png {
            let bytes = render::png::render(&svg)
                .map_err(|e| Error::Input(format!("cannot draw the {name} chart: {e}")))?;
            files.push((dir.join(format!("{stem}.png")), bytes));
        }
        files.insert(0, (dir.join(format!("{stem}.svg")), svg.into_bytes()));
        for (path, bytes) in files {
            std::fs::write(&path, bytes)
                .map_err(|e| Error::Input(format!("cannot write `{}`: {e}", path.display())))?;
            if !quiet {
                crate::support::out::note(&format!("wrote {}", path.display()));
            }
        }
    }
    Ok(())
}
