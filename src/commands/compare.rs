//! `hookbench compare`: every strategy on one scenario, side by side.
//!
//! Turns the raw flags into a validated [`CompareOptions`] (scenario resolved, overrides
//! applied and checked), runs the engine once, and hands the one [`Report`] to the renderers.
//! If the output file cannot be written, the result still reaches stdout before the error.

use std::path::PathBuf;

use super::{load_scenario, print};
use crate::cli::{CompareArgs, Engine, Format, ScenarioArgs};
use crate::engine::sim;
use crate::error::{Error, Result};
use crate::limits::{
    MAX_DURATION, MAX_DURATION_TEXT, MAX_EVENTS, MAX_RUN_SECONDS, MAX_SIM_EVENTS, STEPS_PER_CORE_SECOND,
};
use crate::render;
use crate::report::Report;
use crate::scenario::{Scenario, DEFAULT};
use crate::strategy::{Spec, StrategyKind};
use crate::threshold::{self, Threshold};
use crate::units::{parse_duration, Micros, MILLI, SECOND};

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
    /// `--threshold` expressions, checked against the finished run.
    pub thresholds: Vec<Threshold>,
    /// The engine.
    pub engine: Engine,
    /// Live engine speed-up.
    pub speedup: f64,
    /// The speed-up was chosen by hookbench (no `--speedup`): a run that falls behind is run
    /// again once, slower, instead of failing.
    pub auto_speedup: bool,
    /// Sim replications (1: a single run).
    pub replications: u32,
    /// Sim worker threads.
    pub jobs: usize,
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
        if d > MAX_DURATION {
            return Err(Error::Input(format!(
                "--interval: `{part}` is over a year; use at most `{MAX_DURATION_TEXT}`"
            )));
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
        let mut scenario = scenario_from_flags(&args.from)?;
        if let Some(text) = &args.interval {
            scenario.strategies.intervals = parse_intervals(text)?;
            scenario.refresh_default_drain();
        }
        if let Some(text) = &args.strategies {
            scenario.strategies.list = parse_strategies(text)?;
        }
        let specs = Spec::expand(
            &scenario.strategies.list,
            &scenario.strategies.intervals,
            scenario.strategies.reconcile_interval,
        );
        let replications = check_replications(args.replications, args.engine)?;
        check_whole_log(&scenario, args.engine)?;
        let jobs = check_jobs(args.jobs)?;
        guard_run_size(&scenario, &specs, replications, jobs, args.allow_long_run)?;
        let thresholds = parse_thresholds(&args.out.threshold, &specs)?;
        let format = output_format(args.out.format, args.out.output.as_deref())?;
        let speedup = match (args.engine, args.speedup) {
            (Engine::Sim, Some(_)) => {
                return Err(Error::Input(
                    "--speedup applies to the live engine only; add `--engine live` or drop it".into(),
                ))
            }
            (_, Some(x)) => crate::commands::serve::check_speedup(x)?,
            (Engine::Live, None) => {
                crate::live::engine::auto_speedup(&scenario, std::time::Duration::from_secs(60))
            }
            (Engine::Sim, None) => 1.0,
        };
        Ok(CompareOptions {
            scenario,
            specs,
            format,
            output: args.out.output,
            quiet: args.out.quiet,
            thresholds,
            engine: args.engine,
            speedup,
            auto_speedup: args.speedup.is_none(),
            replications,
            jobs,
        })
    }
}

/// Loads the scenario named by `--scenario` (its arrivals replaced by `--trace`) and applies
/// `--duration` and `--seed`.
pub fn scenario_from_flags(flags: &ScenarioArgs) -> Result<Scenario> {
    let (mut scenario, _) =
        load_scenario(flags.scenario.as_deref().unwrap_or(DEFAULT), flags.trace.as_deref())?;
    if let Some(text) = flags.duration.as_deref() {
        let d = parse_duration(text).map_err(|e| Error::Input(format!("--duration: {e}")))?;
        if d < SECOND {
            return Err(Error::Input(format!(
                "--duration: `{text}` is shorter than a second; give at least `1s`"
            )));
        }
        if d > MAX_DURATION {
            return Err(Error::Input(format!(
                "--duration: `{text}` is over a year; use at most `{MAX_DURATION_TEXT}`"
            )));
        }
        scenario.set_duration(d);
        let expected = scenario.expected_events();
        if expected > MAX_SIM_EVENTS {
            return Err(Error::Input(format!(
                "--duration: `{text}` gives about {expected:.0} events at this scenario's rate, more than the {MAX_SIM_EVENTS:.0} a run can draw; shorten it"
            )));
        }
    }
    if let Some(seed) = flags.seed {
        scenario.seed = seed;
    }
    Ok(scenario)
}

/// Refuses a live run of more events than [`MAX_EVENTS`]: its provider holds the whole stream
/// (the sim holds only its backlog).
pub fn check_whole_log(scenario: &Scenario, engine: Engine) -> Result<()> {
    let expected = scenario.expected_events();
    if engine == Engine::Live && expected > MAX_EVENTS {
        return Err(Error::Input(format!(
            "about {expected:.0} events is more than the {MAX_EVENTS:.0} a live run can hold; shorten the duration or use the sim"
        )));
    }
    Ok(())
}

/// The most replications a run may have.
pub const MAX_REPLICATIONS: u32 = 10_000;

/// Validates `--replications`: 1 to [`MAX_REPLICATIONS`], and more than 1 only in the sim.
pub fn check_replications(n: u32, engine: Engine) -> Result<u32> {
    if n == 0 || n > MAX_REPLICATIONS {
        return Err(Error::Input(format!(
            "--replications {n}: give 1 to {MAX_REPLICATIONS} (1 is a single run)"
        )));
    }
    if n > 1 && engine == Engine::Live {
        return Err(Error::Input(
            "--replications applies to the sim engine only; drop it or drop `--engine live`".into(),
        ));
    }
    Ok(n)
}

/// Validates `--jobs` (or `HOOKBENCH_JOBS`); every core when not given.
pub fn check_jobs(n: Option<usize>) -> Result<usize> {
    match n {
        None => Ok(crate::engine::pool::default_jobs()),
        Some(0) => Err(Error::Input("--jobs 0: give at least 1 worker thread".into())),
        Some(n) => Ok(n.min(1024)),
    }
}

/// What a run is expected to cost: simulation steps, and wall time on the pool.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEstimate {
    /// Simulation steps, every row of every replication (a generous estimate).
    pub steps: f64,
    /// Wall time on `cores` workers, seconds: the steps shared over the workers, but never
    /// less than the longest row alone (a row runs on one core).
    pub seconds: f64,
    /// Workers the estimate assumes.
    pub cores: usize,
    /// The row with the most steps.
    pub worst: String,
}

/// Estimates a run of `specs` × `replications` on `jobs` workers.
pub fn estimate_run(scenario: &Scenario, specs: &[Spec], replications: u32, jobs: usize) -> RunEstimate {
    let per: Vec<f64> = specs.iter().map(|s| crate::engine::estimate::estimate_steps(scenario, s)).collect();
    let (worst_i, worst_steps) =
        per.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or((0, 0.0));
    let steps = per.iter().sum::<f64>() * f64::from(replications);
    let cores = jobs.clamp(1, (specs.len() * replications as usize).max(1));
    let seconds = (steps / cores as f64).max(worst_steps) / STEPS_PER_CORE_SECOND;
    let worst = specs.get(worst_i).map(Spec::label).unwrap_or_default();
    RunEstimate { steps, seconds, cores, worst }
}

/// Refuses up front a run estimated to take longer than [`MAX_RUN_SECONDS`], unless
/// `allow_long` (`--allow-long-run`).
pub fn guard_run_size(
    scenario: &Scenario,
    specs: &[Spec],
    replications: u32,
    jobs: usize,
    allow_long: bool,
) -> Result<()> {
    let e = estimate_run(scenario, specs, replications, jobs);
    if e.seconds > MAX_RUN_SECONDS && !allow_long {
        let took = crate::units::format_duration((e.seconds * SECOND as f64) as u64);
        let max = crate::units::format_duration((MAX_RUN_SECONDS * SECOND as f64) as u64);
        return Err(Error::Input(format!(
            "this run would take about {took} on {} core(s) ({:.1e} simulation steps, most of them {}, at about {:.0} M steps/s per core), \
             more than the {max} a run may take unless you pass --allow-long-run; \
             or shorten --duration, lengthen --interval, lower events.resources or set a rate_limit",
            e.cores,
            e.steps,
            e.worst,
            STEPS_PER_CORE_SECOND / 1e6
        )));
    }
    Ok(())
}

/// The format `--format` names, else the one `--output`'s extension implies, else the table.
pub fn output_format(format: Option<Format>, output: Option<&std::path::Path>) -> Result<Format> {
    match (format, output) {
        (Some(f), _) => Ok(f),
        (None, Some(path)) => format_for_path(path),
        (None, None) => Ok(Format::Table),
    }
}

/// The format an output path's extension implies.
fn format_for_path(path: &std::path::Path) -> Result<Format> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("json") => Ok(Format::Json),
        Some("txt") | Some("table") => Ok(Format::Table),
        Some("csv") => Ok(Format::Csv),
        Some("md") | Some("markdown") => Ok(Format::Markdown),
        _ => Err(Error::Input(format!(
            "--output `{}`: cannot tell the format from its extension; name it `.json`, `.csv`, `.md` or `.txt`, or add `--format table|json|csv|markdown|bmf`",
            path.display()
        ))),
    }
}

/// Runs the engine on validated options. A live run stops at Ctrl-C or SIGTERM and returns
/// what it measured, marked partial. A live run that fell behind (see
/// [`crate::live::engine::fell_behind`]) fails with the speed-up to use, or, when hookbench chose
/// the speed-up, runs once more at that one.
pub fn execute(opts: &CompareOptions) -> Result<Report> {
    match opts.engine {
        Engine::Sim => {
            let plan = sim::Plan { replications: opts.replications, jobs: opts.jobs, progress: !opts.quiet };
            Ok(sim::run_plan(&opts.scenario, &opts.specs, plan)?)
        }
        Engine::Live => {
            let mut speedup = opts.speedup;
            let mut retried = false;
            loop {
                let live = crate::live::engine::LiveOptions { speedup, progress: !opts.quiet };
                let stop = super::until_stopped(None);
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
                        crate::out::note(&format!(
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
    let report = execute(&opts)?;
    emit(&report, opts.format, opts.output.as_deref(), opts.quiet)?;
    if report.run.partial {
        return Ok(130);
    }
    Ok(gate(&opts.thresholds, &report))
}

/// Parses `--threshold`s and checks, before anything runs, that each names a row of `specs`.
pub fn parse_thresholds(texts: &[String], specs: &[Spec]) -> Result<Vec<Threshold>> {
    let thresholds = threshold::parse_all(texts)?;
    threshold::check_targets(&thresholds, specs)?;
    Ok(thresholds)
}

/// Applies `--threshold`s to a finished run: 0 when all hold; else the breaches on stderr and 1.
pub fn gate(thresholds: &[Threshold], report: &Report) -> u8 {
    let breaches = threshold::evaluate(thresholds, report);
    if breaches.is_empty() {
        0
    } else {
        crate::out::stderr(&render::breaches::render(&breaches));
        1
    }
}

/// Prints the result (or writes it to `output` and prints the table, unless `quiet`).
pub fn emit(report: &Report, format: Format, output: Option<&std::path::Path>, quiet: bool) -> Result<()> {
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
            if crate::out::stdout_closed() {
                // The result is safe in the file; only the table has nowhere to go.
                crate::out::note(&format!("wrote {} (standard output is closed: no table)", path.display()));
            } else if !quiet {
                print(&render::render(report, Format::Table))?;
                crate::out::note(&format!("wrote {}", path.display()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::StrategyKind;

    #[test]
    fn the_estimate_shares_rows_over_cores_but_never_splits_one() {
        let s = crate::scenario::Scenario::from_toml(
            "name = \"t\"\nduration = \"1d\"\n[events]\nrate = \"100/h\"",
            "t",
        )
        .unwrap();
        let two = Spec::expand(
            &[StrategyKind::Poll, StrategyKind::PollEtag],
            &[SECOND],
            s.strategies.reconcile_interval,
        );
        let (one_core, two_cores) = (estimate_run(&s, &two, 1, 1), estimate_run(&s, &two, 1, 2));
        assert!((one_core.seconds / two_cores.seconds - 2.0).abs() < 1e-9);
        assert_eq!(two_cores.cores, 2);
        let single = &two[..1];
        assert_eq!(estimate_run(&s, single, 1, 1).seconds, estimate_run(&s, single, 1, 8).seconds);
        // Replications multiply the steps and spread over the cores.
        let r = estimate_run(&s, single, 4, 2);
        assert!((r.steps / estimate_run(&s, single, 1, 1).steps - 4.0).abs() < 1e-9);
        assert_eq!(r.cores, 2);
    }
}
