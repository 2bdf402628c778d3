//! `hookbench compare`: every strategy on one scenario, side by side.
//!
//! Turns the raw flags into a validated [`CompareOptions`] (scenario resolved, overrides
//! applied and checked), runs the engine once, judges the thresholds into the one [`Report`] and hands it to the
//! renderers. If an output file cannot be written, the result still reaches stdout before the error.

use super::options::{
    self, check_speedup, check_whole_log, guard_run_size, output_format, parse_intervals, parse_strategies,
    parse_thresholds, Delivery,
};
use super::output::{emit, gate};
use super::serving::until_stopped;
use crate::cli::{CompareArgs, Engine};
use crate::engine::sim;
use crate::error::{Error, Result};
use crate::result::report::Report;
use crate::result::threshold::{self, Threshold};
use crate::scenario::Scenario;
use crate::strategy::Spec;
use crate::support::limits::MAX_SIM_EVENTS;

/// Validated options of a compare run.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// The scenario, overrides applied.
    pub scenario: Scenario,
    /// The rows to run.
    pub specs: Vec<Spec>,
    /// Where the result goes: standard output's format, the `--output` files, `--quiet`.
    pub delivery: Delivery,
    /// `--threshold` expressions, checked against the finished run.
    pub thresholds: Vec<Threshold>,
    /// The engine.
    pub engine: Engine,
    /// Live engine speed-up.
    pub speedup: f64,
    /// Live engine over HTTPS (`--tls`).
    pub tls: bool,
    /// The speed-up was chosen by hookbench (no `--speedup`): a run that falls behind is run
    /// again once, slower, instead of failing.
    pub auto_speedup: bool,
    /// Sim replications and worker threads.
    pub plan: sim::Plan,
}

impl CompareOptions {
    /// Validates raw flags.
    pub fn from_args(args: CompareArgs) -> Result<Self> {
        let mut scenario = options::scenario(&args.run.from, MAX_SIM_EVENTS)?;
        options::target(&args.target, &mut scenario)?;
        if let Some(text) = &args.interval {
            scenario.strategies.intervals = parse_intervals(text)?;
            scenario.refresh_default_drain();
        }
        if let Some(text) = &args.strategies.strategies {
            scenario.strategies.list = parse_strategies(text)?;
        }
        if let Some(text) = &args.timeline.bucket {
            scenario.bucket = Some(options::bucket(text, &scenario)?);
        }
        let specs = Spec::expand(
            &scenario.strategies.list,
            &scenario.strategies.intervals,
            scenario.strategies.reconcile_interval,
        );
        let plan = options::plan(&args.run, args.engine, !args.out.quiet.quiet)?;
        check_whole_log(&scenario, args.engine)?;
        guard_run_size(&scenario, &specs, plan.replications, plan.jobs, args.run.allow_long_run)?;
        let thresholds = parse_thresholds(&args.out.threshold, &specs)?;
        let delivery = output_format(&args.out)?;
        let speedup = match (args.engine, args.speedup.speedup) {
            (Engine::Sim, Some(_)) => {
                return Err(Error::Input(
                    "--speedup applies to the live engine only; add `--engine live` or drop it".into(),
                ))
            }
            (_, Some(x)) => check_speedup(x)?,
            (Engine::Live, None) => {
                crate::live::engine::auto_speedup(&scenario, std::time::Duration::from_secs(60))
            }
            (Engine::Sim, None) => 1.0,
        };
        if args.tls.tls && args.engine == Engine::Sim {
            return Err(Error::Input(
                "--tls applies to the live engine only; add `--engine live` or drop it".into(),
            ));
        }
        Ok(CompareOptions {
            scenario,
            specs,
            delivery,
            thresholds,
            engine: args.engine,
            speedup,
            tls: args.tls.tls,
            auto_speedup: args.speedup.speedup.is_none(),
            plan,
        })
    }
}

/// Runs the engine on validated options. A live run stops at Ctrl-C or SIGTERM and returns
/// what it measured, marked partial. A live run that fell behind (see
/// [`crate::live::engine::fell_behind`]) fails with the speed-up to use, or, when hookbench chose
/// the speed-up, runs once more at that one.
pub fn execute(opts: &CompareOptions) -> Result<Report> {
    match opts.engine {
        Engine::Sim => Ok(sim::run_plan(&opts.scenario, &opts.specs, opts.plan)?),
        Engine::Live => {
            let mut speedup = opts.speedup;
            let mut retried = false;
            loop {
                let live = crate::live::engine::LiveOptions {
                    speedup,
                    progress: !opts.delivery.quiet,
                    tls: opts.tls,
                };
                let stop = until_stopped(None);
                let report = crate::live::engine::run_until(&opts.scenario, &opts.specs, live, stop)?;
                let behind = match &report.live {
                    Some(info) if !report.run.partial => {
                        crate::live::engine::fell_behind(info).map(|s| (info.clone(), s))
                    }
                    _ => None,
                };
                match behind {
                    None => return Ok(report),
                    Some((info, suggested)) if opts.auto_speedup && !retried => {
                        crate::support::out::note(&format!(
                            "note: {}; running again at --speedup {suggested}",
                            crate::live::engine::behind_message(&info, suggested)
                        ));
                        (speedup, retried) = (suggested, true);
                    }
                    Some((info, suggested)) => {
                        return Err(Error::Input(crate::live::engine::behind_message(&info, suggested)))
                    }
                }
            }
        }
    }
}

/// `hookbench compare`: exit 0, 1 for a breached threshold, 130 for a run stopped by a signal
/// (after printing and writing what it measured).
pub fn run(args: CompareArgs) -> Result<u8> {
    let opts = CompareOptions::from_args(args)?;
    let mut report = execute(&opts)?;
    report.verdict = Some(crate::result::advice::verdict_of(&report));
    if !opts.thresholds.is_empty() {
        report.thresholds = Some(threshold::evaluate(&opts.thresholds, &report));
    }
    emit(&report, &opts.delivery)?;
    if report.run.partial {
        return Ok(130);
    }
    Ok(gate(&report, opts.delivery.quiet))
}
