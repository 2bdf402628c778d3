//! `hookbench compare`: every strategy on one scenario, side by side.
//!
//! Turns the raw flags into a validated [`CompareOptions`] (scenario resolved, overrides
//! applied and checked), runs the engine once, and hands the one [`Report`] to the renderers.
//! If the output file cannot be written, the result still reaches stdout before the error.

use std::path::PathBuf;

use super::{load_scenario, print};
use crate::cli::{CompareArgs, Engine, Format};
use crate::engine::sim;
use crate::error::{Error, Result};
use crate::render;
use crate::report::Report;
use crate::scenario::{Scenario, DEFAULT, MAX_EVENTS};
use crate::strategy::{Spec, StrategyKind};
use crate::units::{parse_duration, Micros, DAY, MILLI, SECOND};

/// Validated options of a compare run.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// The scenario, overrides applied.
    pub scenario: Scenario,
    /// The rows to run.
    pub specs: Vec<Spec>,
    /// Format for stdout (when no `--output`) or for the file.
    pub format: Format,
    /// Where to write the result, if anywhere.
    pub output: Option<PathBuf>,
    /// Silence the table on stdout when the result goes to a file.
    pub quiet: bool,
    /// The engine.
    pub engine: Engine,
    /// Live engine speed-up.
    pub speedup: f64,
}

/// Parses a comma-separated list of poll intervals.
pub fn parse_intervals(text: &str) -> Result<Vec<Micros>> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim) {
        if part.is_empty() {
            return Err(Error::Input(format!(
                "`--interval {text}` has an empty item; give intervals separated by commas, such as `5s,30s,1m`"
            )));
        }
        let d = parse_duration(part).map_err(|e| Error::Input(format!("--interval: {e}")))?;
        if d < MILLI {
            return Err(Error::Input(format!(
                "--interval: `{part}` is shorter than 1ms; a poll interval must be at least `1ms`"
            )));
        }
        if d > 366 * DAY {
            return Err(Error::Input(format!("--interval: `{part}` is over a year; use at most `366d`")));
        }
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

/// Parses a comma-separated list of strategy names.
pub fn parse_strategies(text: &str) -> Result<Vec<StrategyKind>> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim) {
        let k = StrategyKind::parse(part).map_err(|e| Error::Input(format!("--strategies: {e}")))?;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    Ok(out)
}

impl CompareOptions {
    /// Validates raw flags.
    pub fn from_args(args: CompareArgs) -> Result<Self> {
        let (mut scenario, _) = load_scenario(args.scenario.as_deref().unwrap_or(DEFAULT))?;
        if let Some(text) = &args.interval {
            scenario.strategies.intervals = parse_intervals(text)?;
            scenario.refresh_default_drain();
        }
        if let Some(text) = &args.strategies {
            scenario.strategies.list = parse_strategies(text)?;
        }
        if let Some(text) = &args.duration {
            let d = parse_duration(text).map_err(|e| Error::Input(format!("--duration: {e}")))?;
            if d < SECOND {
                return Err(Error::Input(format!(
                    "--duration: `{text}` is shorter than a second; give at least `1s`"
                )));
            }
            if d > 366 * DAY {
                return Err(Error::Input(format!("--duration: `{text}` is over a year; use at most `366d`")));
            }
            scenario.duration = d;
            scenario.events.bursts.retain(|b| b.at < d);
            let expected = scenario.expected_events();
            if expected > MAX_EVENTS {
                return Err(Error::Input(format!(
                    "--duration: `{text}` gives about {expected:.0} events at this scenario's rate, more than the {MAX_EVENTS:.0} a run can hold; shorten it"
                )));
            }
        }
        if let Some(seed) = args.seed {
            scenario.seed = seed;
        }
        let specs = Spec::expand(
            &scenario.strategies.list,
            &scenario.strategies.intervals,
            scenario.strategies.reconcile_interval,
        );
        let steps: f64 = specs.iter().map(|s| sim::estimate_steps(&scenario, s)).sum();
        if steps > sim::MAX_STEPS {
            let worst = specs
                .iter()
                .max_by(|a, b| {
                    sim::estimate_steps(&scenario, a).total_cmp(&sim::estimate_steps(&scenario, b))
                })
                .map(Spec::label)
                .unwrap_or_default();
            return Err(Error::Input(format!(
                "this run would take about {:.1e} simulation steps (most of them {worst}), more than the {:.0e} a run may take; \
                 shorten --duration, lengthen --interval, lower events.resources or set a rate_limit",
                steps,
                sim::MAX_STEPS
            )));
        }
        let format = match (args.format, &args.output) {
            (Some(f), _) => f,
            (None, Some(path)) => format_for_path(path)?,
            (None, None) => Format::Table,
        };
        let speedup = match (args.engine, args.speedup) {
            (Engine::Sim, Some(_)) => {
                return Err(Error::Input(
                    "--speedup applies to the live engine only; add `--engine live` or drop it".into(),
                ))
            }
            (_, Some(x)) if !(x.is_finite() && (0.01..=100_000.0).contains(&x)) => {
                return Err(Error::Input(format!(
                    "--speedup {x} is out of range; give a factor from 0.01 to 100000"
                )))
            }
            (_, Some(x)) => x,
            (Engine::Live, None) => {
                crate::live::engine::auto_speedup(&scenario, std::time::Duration::from_secs(60))
            }
            (Engine::Sim, None) => 1.0,
        };
        Ok(CompareOptions {
            scenario,
            specs,
            format,
            output: args.output,
            quiet: args.quiet,
            engine: args.engine,
            speedup,
        })
    }
}

/// The format an output path's extension implies.
fn format_for_path(path: &std::path::Path) -> Result<Format> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("json") => Ok(Format::Json),
        Some("txt") | Some("table") => Ok(Format::Table),
        _ => Err(Error::Input(format!(
            "--output `{}`: cannot tell the format from its extension; name it `.json` or `.txt`, or add `--format json|table`",
            path.display()
        ))),
    }
}

/// Runs the engine on validated options.
pub fn execute(opts: &CompareOptions) -> Result<Report> {
    match opts.engine {
        Engine::Sim => Ok(sim::run(&opts.scenario, &opts.specs)?),
        Engine::Live => {
            let live = crate::live::engine::LiveOptions { speedup: opts.speedup, progress: !opts.quiet };
            crate::live::engine::run(&opts.scenario, &opts.specs, live).map_err(|e| match e {
                crate::live::engine::LiveError::Setup(m) => Error::Input(m),
                crate::live::engine::LiveError::Check(m) => {
                    Error::Input(format!("internal check failed: {m}"))
                }
            })
        }
    }
}

/// `hookbench compare`.
pub fn run(args: CompareArgs) -> Result<u8> {
    let opts = CompareOptions::from_args(args)?;
    let report = execute(&opts)?;
    let rendered = render::render(&report, opts.format);
    match &opts.output {
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
            if !opts.quiet {
                print(&render::render(&report, Format::Table))?;
                eprintln!("wrote {}", path.display());
            }
        }
    }
    Ok(0)
}
