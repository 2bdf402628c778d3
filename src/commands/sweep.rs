//! `hookbench sweep`: the poll strategies over many intervals and the push strategies once —
//! the latency-versus-cost frontier as a table and a chart.
//!
//! Runs the sweep ([`SweepRun`], validated in `options`: the interval range, the rows, the size
//! guard) once, prints and gates the result, and writes the chart file. It never computes
//! statistics or formats anything: the frontier comes from [`crate::result::advice`], the chart, PNG and
//! frontier note from `render`.

use std::path::{Path, PathBuf};

use super::options::{self, output_format, parse_thresholds, SweepRun};
use super::output::{emit, gate, print};
use crate::cli::{Format, SweepArgs};
use crate::error::{Error, Result};
use crate::render::{self, chart, png};
use crate::result::report::Report;
use crate::result::{advice, threshold};
use crate::support::units::MILLI;

fn png_path(svg: &Path) -> PathBuf {
    svg.with_extension("png")
}

/// Writes the chart (and the PNG if asked); the error names the file.
fn write_chart(report: &Report, path: &Path, with_png: bool, target_ms: Option<f64>) -> Result<Vec<PathBuf>> {
    let svg = chart::render(report, target_ms);
    let cannot = |p: &Path, e: &dyn std::fmt::Display| {
        Error::Input(format!("cannot write the chart `{}`: {e}", p.display()))
    };
    std::fs::write(path, &svg).map_err(|e| cannot(path, &e))?;
    let mut written = vec![path.to_path_buf()];
    if with_png {
        let out = png_path(path);
        let bytes = png::render(&svg).map_err(|e| cannot(&out, &e))?;
        std::fs::write(&out, bytes).map_err(|e| cannot(&out, &e))?;
        written.push(out);
    }
    Ok(written)
}

/// Refuses a chart path whose folder does not exist, before the sweep runs rather than after.
fn chart_dir_exists(chart: &std::path::Path) -> Result<()> {
    match chart.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => Err(Error::Input(format!(
            "--chart `{}`: the folder `{}` does not exist; create it or choose another path",
            chart.display(),
            dir.display()
        ))),
        _ => Ok(()),
    }
}

/// `hookbench sweep`.
pub fn run(args: SweepArgs) -> Result<u8> {
    let mut sweep = SweepRun::from_args(&args.run, |scenario| options::target(&args.target, scenario))?;
    if let Some(text) = &args.timeline.bucket {
        sweep.scenario.bucket = Some(options::bucket(text, &sweep.scenario)?);
    }
    let out = &args.out;
    sweep.plan.progress = !out.quiet.quiet;
    let thresholds = parse_thresholds(&out.threshold, &sweep.specs)?;
    let target_ms = sweep.scenario.target.latency.map(|(_, us)| us as f64 / MILLI as f64);
    let delivery = output_format(out)?;
    if !args.no_chart {
        chart_dir_exists(&args.chart)?;
    }
    let mut report = sweep.execute()?;
    if !thresholds.is_empty() {
        report.thresholds = Some(threshold::evaluate(&thresholds, &report));
    }
    emit(&report, &delivery)?;
    let shows_table = delivery.format == Format::Table
        && (delivery.files.is_empty() || !delivery.quiet && !crate::support::out::stdout_closed());
    if shows_table {
        print(&render::advice::frontier(&advice::frontiers(&report)))?;
    }
    if !args.no_chart {
        for p in write_chart(&report, &args.chart, args.png, target_ms)? {
            if !out.quiet.quiet {
                crate::support::out::note(&format!("wrote {}", p.display()));
            }
        }
    }
    Ok(gate(&report, delivery.quiet))
}
