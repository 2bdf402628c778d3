//! `hookbench sweep`: the poll strategies over many intervals and the push strategies once —
//! the latency-versus-cost frontier as a table and a chart.
//!
//! Owns the interval ranges (`1s..10m` is a log-spaced ladder of durations people use) and the
//! shared sweep run of `sweep` and `advise`: flags validated into a scenario and rows, the run
//! size guarded, the engine run once. It writes the chart file and never computes statistics
//! or formats anything: the frontier comes from [`crate::advice`], the chart, PNG and frontier
//! note from `render`.

use std::path::{Path, PathBuf};

use super::compare::{
    check_jobs, check_replications, emit, gate, guard_run_size, output_format, parse_intervals,
    parse_strategies, parse_thresholds, scenario_from_flags,
};
use crate::advice;
use crate::cli::{Format, SweepArgs, SweepRunArgs};
use crate::engine::sim;
use crate::error::{Error, Result};
use crate::limits::{MAX_DURATION, MAX_DURATION_TEXT};
use crate::render::{self, chart, png};
use crate::report::Report;
use crate::scenario::Scenario;
use crate::strategy::{Spec, StrategyKind};
use crate::units::{parse_duration, Micros, MILLI, SECOND};

/// The ladder of intervals a range picks from: 1-2-5 steps, in the units people use.
const LADDER_S: [f64; 27] = [
    0.001,
    0.002,
    0.005,
    0.01,
    0.02,
    0.05,
    0.1,
    0.2,
    0.5,
    1.0,
    2.0,
    5.0,
    10.0,
    15.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
    900.0,
    1800.0,
    3600.0,
    7200.0,
    3.0 * 3600.0,
    6.0 * 3600.0,
    12.0 * 3600.0,
    86_400.0,
];

/// The default sweep: 1s, 2s, 5s, 10s, 15s, 30s, 1m, 2m, 5m, 10m.
pub const DEFAULT_RANGE: &str = "1s..10m";

/// Parses `A..B` (a log-spaced range: A, the ladder's steps strictly between, B) or a list.
pub fn parse_sweep_intervals(text: &str) -> Result<Vec<Micros>> {
    let Some((a, b)) = text.split_once("..") else {
        return parse_intervals(text);
    };
    let bad = |e: String| Error::Input(format!("--intervals `{text}`: {e}"));
    let lo = parse_duration(a.trim()).map_err(|e| bad(e.to_string()))?;
    let hi = parse_duration(b.trim()).map_err(|e| bad(e.to_string()))?;
    if lo < MILLI {
        return Err(bad("the range must start at `1ms` or more".into()));
    }
    if hi > MAX_DURATION {
        return Err(bad(format!("the range must end at `{MAX_DURATION_TEXT}` or less")));
    }
    if hi <= lo {
        return Err(bad(format!(
            "the range must go from short to long, such as `{}..{}`",
            b.trim(),
            a.trim()
        )));
    }
    let mut out = vec![lo];
    out.extend(
        LADDER_S.iter().map(|s| (s * SECOND as f64).round() as Micros).filter(|&us| us > lo && us < hi),
    );
    out.push(hi);
    Ok(out)
}

/// Validated options of a sweep run.
#[derive(Debug, Clone)]
pub struct SweepRun {
    /// The scenario, overrides applied.
    pub scenario: Scenario,
    /// The rows: poll strategies × intervals, push strategies once.
    pub specs: Vec<Spec>,
    /// Replications and workers.
    pub plan: sim::Plan,
}

impl SweepRun {
    /// Validates the flags a sweep shares with `advise`; `adjust` may change the scenario (a rate
    /// limit override) before the rows and the size guard are worked out.
    pub fn from_args(
        args: &SweepRunArgs,
        adjust: impl FnOnce(&mut Scenario) -> Result<()>,
    ) -> Result<SweepRun> {
        let mut scenario = scenario_from_flags(&args.from)?;
        adjust(&mut scenario)?;
        scenario.strategies.intervals =
            parse_sweep_intervals(args.intervals.as_deref().unwrap_or(DEFAULT_RANGE))?;
        scenario.strategies.list = match &args.strategies {
            Some(text) => parse_strategies(text)?,
            None => StrategyKind::DEFAULT.to_vec(),
        };
        scenario.refresh_default_drain();
        let specs = Spec::expand(
            &scenario.strategies.list,
            &scenario.strategies.intervals,
            scenario.strategies.reconcile_interval,
        );
        let replications = check_replications(args.replications, crate::cli::Engine::Sim)?;
        let plan = sim::Plan { replications, jobs: check_jobs(args.jobs)?, progress: true };
        guard_run_size(&scenario, &specs, replications, plan.jobs, args.allow_long_run).map_err(
            |e| match e {
                Error::Input(m) => {
                    Error::Input(format!("{m}; or sweep fewer intervals, such as `--intervals 10s..10m`"))
                }
                other => other,
            },
        )?;
        Ok(SweepRun { scenario, specs, plan })
    }

    /// Runs the engine: every row (of every replication) a job of the pool.
    pub fn execute(&self) -> Result<Report> {
        Ok(sim::run_plan(&self.scenario, &self.specs, self.plan)?)
    }
}

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
    let mut sweep = SweepRun::from_args(&args.run, |_| Ok(()))?;
    let out = &args.out;
    sweep.plan.progress = !out.quiet;
    let thresholds = parse_thresholds(&out.threshold, &sweep.specs)?;
    let target_ms = match &args.target {
        Some(t) => {
            Some(parse_duration(t).map_err(|e| Error::Input(format!("--target: {e}")))? as f64 / MILLI as f64)
        }
        None => None,
    };
    let format = output_format(out.format, out.output.as_deref())?;
    if !args.no_chart {
        chart_dir_exists(&args.chart)?;
    }
    let report = sweep.execute()?;
    emit(&report, format, out.output.as_deref(), out.quiet)?;
    let shows_table = if out.output.is_some() {
        !out.quiet && !crate::out::stdout_closed()
    } else {
        format == Format::Table
    };
    if shows_table {
        super::print(&render::advice::frontier(&advice::frontiers(&report)))?;
    }
    if !args.no_chart {
        for p in write_chart(&report, &args.chart, args.png, target_ms)? {
            if !out.quiet {
                crate::out::note(&format!("wrote {}", p.display()));
            }
        }
    }
    Ok(gate(&thresholds, &report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str) -> String {
        render::text::durations(&parse_sweep_intervals(text).unwrap())
    }

    #[test]
    fn ranges_are_log_spaced_ladders() {
        assert_eq!(labels(DEFAULT_RANGE), "1s, 2s, 5s, 10s, 15s, 30s, 1m, 2m, 5m, 10m");
        assert_eq!(labels("3s..1m"), "3s, 5s, 10s, 15s, 30s, 1m");
        assert_eq!(labels("100ms..1s"), "100ms, 200ms, 500ms, 1s");
        assert_eq!(labels("30s,1m"), "30s, 1m");
    }

    #[test]
    fn bad_ranges_are_refused() {
        for (text, needle) in
            [("1m..1s", "short to long"), ("1s..", "empty"), ("0s..1s", "1ms"), ("1x..1m", "1x")]
        {
            let e = parse_sweep_intervals(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}
