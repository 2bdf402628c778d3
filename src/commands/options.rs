//! The validated option groups: each clap group of [`crate::cli`] turned into checked domain
//! values, once, for every subcommand that takes it (ripgrep's low args → high args).
//!
//! Owns the rules every flag obeys wherever it appears — a duration's range and the one sentence
//! that refuses it ([`FlagError`](crate::error::FlagError)), a speed-up's range, a share, a scenario named by `--scenario`
//! and changed by `--trace`/`--duration`/`--seed`, the rows of `--interval`/`--strategies`, a
//! run's replications, threads and size guard, the sweep run `sweep` and `advise` share, the
//! formats of standard output and of each `--output` file, and a signing secret for a scheme. Commands share
//! helpers through this module (and [`super::output`], [`super::serving`]), never through each
//! other.

use std::path::{Path, PathBuf};

use crate::cli::{
    Engine, Format, OutputArgs, RunArgs, ScenarioArgs, SigningArgs, SpeedupArg, SweepRunArgs, TargetArgs,
};
use crate::engine::sim;
use crate::error::{Error, FlagError, Problem, Result};
use crate::model::signature::{Scheme, Secret};
use crate::result::threshold::{self, Threshold};
use crate::scenario::{Scenario, TraceAccess, DEFAULT};
use crate::strategy::{Spec, StrategyKind};
use crate::support::files::{self, FileError, SMALL_FILE, SMALL_FILE_TEXT};
use crate::support::limits::{
    MAX_DURATION, MAX_DURATION_TEXT, MAX_EVENTS, MAX_RUN_SECONDS, STEPS_PER_CORE_SECOND,
};
use crate::support::quote::{excerpt, EXCERPT_PATH};
use crate::support::units::{format_duration, parse_duration, Micros, MILLI, SECOND};

/// A duration flag from `min` to a year ([`MAX_DURATION`]), in microseconds.
pub fn duration(flag: &'static str, text: &str, min: Micros) -> Result<Micros> {
    let d = parse_duration(text).map_err(|e| FlagError::new(flag, e.into()))?;
    if d < min {
        let problem = Problem::TooShort { text: text.into(), min: exact(min) };
        return Err(FlagError::new(flag, problem).into());
    }
    if d > MAX_DURATION {
        return Err(FlagError::new(flag, Problem::OverAYear { text: text.into() }).into());
    }
    Ok(d)
}

/// A minimum written exactly, as a user would type it: `1ms`, `1s`.
fn exact(us: Micros) -> String {
    match us {
        0 => "0s".into(),
        us if us % SECOND == 0 => format!("{}s", us / SECOND),
        us if us % MILLI == 0 => format!("{}ms", us / MILLI),
        us => format!("{us}us"),
    }
}

/// A wall-clock duration flag from `min` to a year.
pub fn wall_duration(flag: &'static str, text: &str, min: Micros) -> Result<std::time::Duration> {
    duration(flag, text, min).map(std::time::Duration::from_micros)
}

/// An optional wall-clock limit such as `--stop-after 10s` (at most a year).
pub fn stop_after(text: Option<&str>) -> Result<Option<std::time::Duration>> {
    text.map(|t| wall_duration("--stop-after", t, 0)).transpose()
}

/// Validates a speed-up factor: 0.01 to 100000.
pub fn check_speedup(x: f64) -> Result<f64> {
    if x.is_finite() && (0.01..=100_000.0).contains(&x) {
        Ok(x)
    } else {
        let problem = Problem::OutOfRange { value: x.to_string(), range: "a factor from 0.01 to 100000" };
        Err(FlagError::new("--speedup", problem).into())
    }
}

/// `--speedup`, 1 when not given.
pub fn speedup(arg: &SpeedupArg) -> Result<f64> {
    check_speedup(arg.speedup.unwrap_or(1.0))
}

/// A share flag: a number from 0 to 1, `default` when not given.
pub fn share(flag: &str, v: Option<f64>, default: f64) -> Result<f64> {
    let v = v.unwrap_or(default);
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(Error::Input(format!("{flag} {v} is not a share; give a number from 0 to 1")))
    }
}

// ---------------------------------------------------------------------------------------------
// The scenario.

/// A bundled scenario by name, or a scenario file by path (a regular file of at most
/// [`SMALL_FILE_TEXT`]), with its arrivals replaced by `trace` when given (`--trace`, a path
/// from the current directory). Returns the file's text too.
pub fn load_scenario(name_or_path: &str, trace: Option<&Path>) -> Result<(Scenario, Option<String>)> {
    load_scenario_set(name_or_path, trace, &[])
}

/// [`load_scenario`] with each `--set KEY=VALUE` of `sets` applied (after its `extends`).
pub fn load_scenario_set(
    name_or_path: &str,
    trace: Option<&Path>,
    sets: &[String],
) -> Result<(Scenario, Option<String>)> {
    let given = trace.map(TraceAccess::Given);
    if let Some(text) = crate::scenario::BUNDLED.iter().find(|(n, _)| *n == name_or_path).map(|(_, t)| *t) {
        let origin = format!("{name_or_path} (bundled)");
        return Ok((
            Scenario::from_toml_set(text, &origin, given.unwrap_or(TraceAccess::Nowhere), sets)?,
            None,
        ));
    }
    let path = Path::new(name_or_path);
    let shown = excerpt(name_or_path, EXCERPT_PATH);
    match files::read_text(path, SMALL_FILE, SMALL_FILE_TEXT) {
        Ok(text) => {
            let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            let access = given.unwrap_or(TraceAccess::Within(dir));
            Ok((Scenario::from_toml_set(&text, &path.display().to_string(), access, sets)?, Some(text)))
        }
        Err(FileError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::Input(format!(
            "no scenario `{shown}`: it is neither a bundled scenario ({}) nor a file that exists",
            Scenario::bundled_names().join(", ")
        ))),
        Err(e) => Err(Error::Input(format!("cannot read scenario file `{shown}`: {e}"))),
    }
}

/// The scenario `--scenario` names (default: the bundled default), its arrivals replaced by
/// `--trace`, with `--duration` and `--seed` applied. A `--duration` that would draw more than
/// `max_events` events (the sim's 32-bit ids, or what a live run can hold) is refused.
pub fn scenario(flags: &ScenarioArgs, max_events: f64) -> Result<Scenario> {
    let mut sets = trace_sets(flags)?;
    sets.extend(flags.set.iter().cloned());
    let (mut scenario, _) =
        load_scenario_set(flags.name.scenario.as_deref().unwrap_or(DEFAULT), flags.trace.as_deref(), &sets)?;
    if let Some(text) = flags.duration.as_deref() {
        scenario.set_duration(duration("--duration", text, SECOND)?);
        let expected = scenario.expected_events();
        if expected > max_events {
            return Err(Error::Input(format!(
                "--duration: `{text}` gives about {expected:.0} events at this scenario's rate, more than the {max_events:.0} a run can draw; shorten it"
            )));
        }
    }
    if let Some(seed) = flags.seed {
        scenario.seed = seed;
    }
    Ok(scenario)
}

/// The trace-reading flags as the scenario keys they set (`events.trace_format`,
/// `events.trace_columns`, `events.time_unit`), before the user's own `--set`s.
fn trace_sets(flags: &ScenarioArgs) -> Result<Vec<String>> {
    let quoted = |key: &str, v: &str| format!("events.{key}={}", toml::Value::String(v.to_string()));
    let mut sets = Vec::new();
    if let Some(f) = &flags.trace_format {
        sets.push(quoted("trace_format", &crate::trace::option_name(f)));
    }
    if let Some(c) = &flags.trace_columns {
        crate::trace::Columns::parse(c).map_err(|e| Error::Input(format!("--trace-columns: {e}")))?;
        sets.push(quoted("trace_columns", c));
    }
    if let Some(u) = &flags.time_unit {
        sets.push(quoted("time_unit", &crate::trace::option_name(u)));
    }
    Ok(sets)
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

// ---------------------------------------------------------------------------------------------
// The rows.

/// Parses a comma-separated list of poll intervals (1 ms to a year each; repeats dropped).
pub fn parse_intervals(text: &str) -> Result<Vec<Micros>> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim) {
        if part.is_empty() {
            return Err(Error::Input(format!(
                "`--interval {text}` has an empty item; give intervals separated by commas, such as `5s,30s,1m`"
            )));
        }
        let d = duration("--interval", part, MILLI)?;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

/// Parses a comma-separated list of strategy names (repeats dropped).
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

/// The ladder of intervals a sweep range picks from: 1-2-5 steps, in the units people use.
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

// ---------------------------------------------------------------------------------------------
// The run.

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
        None => Ok(crate::engine::jobs::default_jobs()),
        Some(0) => Err(Error::Input("--jobs 0: give at least 1 worker thread".into())),
        Some(n) => Ok(n.min(1024)),
    }
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
    use crate::engine::estimate::{limiter_log_bytes, MAX_LIMITER_LOG_BYTES};
    // A sliding-window log too large to hold is refused whatever the time allowed: memory,
    // unlike time, cannot be waited out.
    if let (Some(q), Some(worst)) =
        (scenario.api.rate_limit, specs.iter().map(|s| limiter_log_bytes(scenario, s)).max_by(f64::total_cmp))
    {
        if worst > MAX_LIMITER_LOG_BYTES {
            return Err(Error::Input(format!(
                "api.rate_limit: a sliding window of {} requests per {} would log about {:.0} MB of request times in one row, more than the {:.0} MB allowed; use a smaller limit or window, or algorithm = \"fixed-window\" or a token bucket, which keep a counter",
                q.limit,
                format_duration(q.window),
                worst / 1e6,
                MAX_LIMITER_LOG_BYTES / 1e6
            )));
        }
    }
    let e = crate::engine::estimate::estimate_run(scenario, specs, replications, jobs);
    if e.seconds > MAX_RUN_SECONDS && !allow_long {
        let took = format_duration((e.seconds * SECOND as f64) as u64);
        let max = format_duration((MAX_RUN_SECONDS * SECOND as f64) as u64);
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

/// A run's replications and threads, validated for `engine`, as the sim's plan.
pub fn plan(args: &RunArgs, engine: Engine, progress: bool) -> Result<sim::Plan> {
    let replications = check_replications(args.replications, engine)?;
    Ok(sim::Plan { replications, jobs: check_jobs(args.jobs)?, progress })
}

/// Validates `--bucket` for `scenario`: at least 1 ms, and no more buckets over the window and
/// drain than a timeline holds.
pub fn bucket(text: &str, scenario: &Scenario) -> Result<Micros> {
    use crate::strategy::books::timeline::MAX_BUCKETS;
    let width = duration("--bucket", text, MILLI)?;
    let span = scenario.duration.saturating_add(scenario.drain);
    if span.div_ceil(width) > MAX_BUCKETS as u64 {
        return Err(Error::Input(format!(
            "--bucket: `{text}` cuts the {} window and drain into more than {MAX_BUCKETS} buckets; give at least `{}`",
            format_duration(span),
            format_duration(span.div_ceil(MAX_BUCKETS as u64).div_ceil(SECOND) * SECOND)
        )));
    }
    Ok(width)
}

/// Parses `--threshold`s and checks, before anything runs, that each names a row of `specs`.
pub fn parse_thresholds(texts: &[String], specs: &[Spec]) -> Result<Vec<Threshold>> {
    let thresholds = threshold::parse_all(texts)?;
    threshold::check_targets(&thresholds, specs)?;
    Ok(thresholds)
}

/// The validated run of a sweep, shared by `sweep` and `advise`.
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
        let mut scenario = scenario(&args.run.from, crate::support::limits::MAX_SIM_EVENTS)?;
        adjust(&mut scenario)?;
        scenario.strategies.intervals =
            parse_sweep_intervals(args.intervals.as_deref().unwrap_or(DEFAULT_RANGE))?;
        scenario.strategies.list = match &args.strategies.strategies {
            Some(text) => parse_strategies(text)?,
            None => StrategyKind::DEFAULT.to_vec(),
        };
        scenario.refresh_default_drain();
        let specs = Spec::expand(
            &scenario.strategies.list,
            &scenario.strategies.intervals,
            scenario.strategies.reconcile_interval,
        );
        let plan = plan(&args.run, Engine::Sim, true)?;
        guard_run_size(&scenario, &specs, plan.replications, plan.jobs, args.run.allow_long_run).map_err(
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
    pub fn execute(&self) -> Result<crate::result::report::Report> {
        let mut report = sim::run_plan(&self.scenario, &self.specs, self.plan)?;
        report.verdict = Some(crate::result::advice::verdict_of(&report));
        Ok(report)
    }
}

// ---------------------------------------------------------------------------------------------
// The target.

/// Applies `--max-latency`, `--percentile`, `--max-missed` and `--max-quota` to the scenario's
/// `[target]`, each flag replacing its key.
pub fn target(args: &TargetArgs, scenario: &mut Scenario) -> Result<()> {
    use crate::scenario::Statistic;
    let t = &mut scenario.target;
    let statistic = match &args.percentile {
        Some(p) => Some(Statistic::parse(p).ok_or_else(|| {
            Error::Input(format!(
                "--percentile `{}`: use one of mean, p50, p90, p99, p999, max",
                excerpt(p, EXCERPT_PATH)
            ))
        })?),
        None => None,
    };
    match (&args.max_latency, statistic) {
        (Some(text), s) => {
            let d = duration("--max-latency", text, 0)?;
            let s = s.or(t.latency.map(|(s, _)| s)).unwrap_or(Statistic::P99);
            t.latency = Some((s, d));
        }
        (None, Some(s)) => match t.latency {
            Some((_, d)) => t.latency = Some((s, d)),
            None => {
                return Err(Error::Input(
                    "--percentile names which latency --max-latency bounds; add --max-latency (or a [target] latency in the scenario)".into(),
                ))
            }
        },
        (None, None) => {}
    }
    if let Some(n) = args.max_missed {
        t.missed = n;
    }
    if let Some(text) = &args.max_quota {
        let share = crate::result::measure::Measure::PeakUse
            .parse_value(text)
            .ok()
            .filter(|x| (0.0..=1.0).contains(x))
            .ok_or_else(|| {
                Error::Input(format!(
                    "--max-quota `{}` is not a share from 0 to 1; write `80%` or `0.8`",
                    excerpt(text, EXCERPT_PATH)
                ))
            })?;
        t.quota = Some(share);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Output.

/// Where a finished result goes: standard output in one format, and every `--output` file in
/// the format its extension names.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The format of standard output (`--format`, default the table).
    pub format: Format,
    /// Each `--output` file with its format, in the order given.
    pub files: Vec<(PathBuf, Format)>,
    /// `--quiet`: nothing on standard output when the result also goes to a file.
    pub quiet: bool,
}

impl Delivery {
    /// Whether standard output carries the result in a format made for programs (everything but
    /// the table): then nothing else may go there.
    pub fn result_on_stdout_for_programs(&self) -> bool {
        self.format != Format::Table && (self.files.is_empty() || !self.quiet)
    }
}

/// Validates `--format`, each `--output` (its format from its extension) and `--quiet`.
pub fn output_format(out: &OutputArgs) -> Result<Delivery> {
    let files = out.output.iter().map(|p| Ok((p.clone(), format_for_path(p)?))).collect::<Result<_>>()?;
    Ok(Delivery { format: out.format.unwrap_or(Format::Table), files, quiet: out.quiet.quiet })
}

/// The format an output path's extension implies.
pub fn format_for_path(path: &Path) -> Result<Format> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("json") => Ok(Format::Json),
        Some("txt") | Some("table") => Ok(Format::Table),
        Some("csv") => Ok(Format::Csv),
        Some("md") | Some("markdown") => Ok(Format::Markdown),
        Some("xml") => Ok(Format::Junit),
        Some("html") | Some("htm") => Ok(Format::Html),
        _ => Err(Error::Input(format!(
            "--output `{}`: cannot tell the format from its extension; name it `.json`, `.csv`, `.md`, `.txt`, `.xml` (JUnit) or `.html`, or print another format to standard output with `--format table|json|csv|markdown|bmf|junit|html`",
            path.display()
        ))),
    }
}

// ---------------------------------------------------------------------------------------------
// Signing.

/// The scheme `--scheme` names, else `default` (the scenario's, or standard).
pub fn scheme(args: &SigningArgs, default: Scheme) -> Scheme {
    args.scheme.unwrap_or(default)
}

/// The signing secret for `scheme` from `--secret` (or `HOOKBENCH_SECRET`): `whsec_…` for
/// `standard`, any text that is not blank for the others. `what` names who needs it.
pub fn secret(scheme: Scheme, text: Option<&str>, what: &str) -> Result<Secret> {
    let Some(text) = text else {
        return Err(Error::Input(match scheme {
            Scheme::Standard => format!(
                "{what} needs a signing secret: pass --secret whsec_… (base64 of at least 16 bytes) or set HOOKBENCH_SECRET"
            ),
            _ => format!(
                "{what} needs a signing secret: pass --secret with the {scheme} secret or set HOOKBENCH_SECRET"
            ),
        }));
    };
    if text.trim().is_empty() {
        return Err(Error::Input("--secret is blank; give the provider's signing secret".into()));
    }
    scheme.secret(text).map_err(|_| {
        Error::Input(match scheme {
            Scheme::Standard => "--secret must be `whsec_` followed by base64 of at least 16 bytes, such as whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".into(),
            _ => "--secret is empty; give the provider's signing secret".into(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str) -> String {
        crate::render::text::durations(&parse_sweep_intervals(text).unwrap())
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

    #[test]
    fn every_duration_flag_says_the_same_sentence() {
        let over = |flag| duration(flag, "400d", MILLI).unwrap_err().to_string();
        assert_eq!(over("--interval"), "--interval: `400d` is over a year; use at most `366d`");
        assert_eq!(over("--duration"), "--duration: `400d` is over a year; use at most `366d`");
        let short = duration("--duration", "10ms", SECOND).unwrap_err().to_string();
        assert_eq!(short, "--duration: `10ms` is shorter than `1s`; give at least `1s`");
        assert!(duration("--slow", "30", 0).unwrap_err().to_string().starts_with("--slow: "));
        assert_eq!(
            check_speedup(0.0).unwrap_err().to_string(),
            "--speedup: 0 is out of range; give a factor from 0.01 to 100000"
        );
    }
}
