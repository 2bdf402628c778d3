//! A JSON result against its baseline: the data behind `hookbench check`, the CI gate.
//!
//! Owns reading two JSON results (regular files of at most 4 MiB, [`crate::support::files`];
//! numbers compared as numbers, so a re-serialised file is the same file; a negative figure
//! refused), refusing to compare what is not comparable (another schema,
//! another hookbench version, another engine, another scenario, other rows: a [`Mismatch`]
//! naming the difference), and the diff per row and measure. A measure regresses when it moved
//! in its worse direction ([`Measure::higher_is_worse`]) by more than the tolerance relative to
//! the baseline; identical files always pass. When both files are replicated runs
//! (`--replications N`), a move beyond the tolerance is a regression only if it is also
//! significant: Welch's t-test on the two means (their standard errors recovered from the 95%
//! half-widths), p-values Holm-corrected over every comparison made, at a stated level. Replicated
//! runs from different base seeds of one scenario are comparable; single runs are not. It never runs the engine and never prints:
//! `render::check` formats a [`Comparison`].

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::result::measure::Measure;
use crate::result::replication::figure_path;
use crate::result::report::{Replications, StrategyReport, SCHEMA};
use crate::result::stats::{holm, std_error, welch_p};
use crate::support::files::{read_text, FileError, SMALL_FILE, SMALL_FILE_TEXT};

/// The measures compared when `--metric` is not given.
pub const DEFAULT_METRICS: [Measure; 7] = [
    Measure::Mean,
    Measure::P50,
    Measure::P99,
    Measure::Max,
    Measure::Missed,
    Measure::RequestsPerDay,
    Measure::BytesPerDay,
];

/// Which of the two files a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The new result.
    Result,
    /// The baseline it is compared with.
    Baseline,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Result => "result",
            Role::Baseline => "baseline",
        })
    }
}

/// A file that cannot be compared; every sentence names the file or the difference.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file cannot be read.
    #[error("cannot read the {role} `{}`: {source}", path.display())]
    Read {
        /// Which file.
        role: Role,
        /// Its path.
        path: PathBuf,
        /// Why.
        source: FileError,
    },
    /// The file is not JSON.
    #[error("the {role} `{}` is not valid JSON ({source}); give a file written by `--format json`", path.display())]
    NotJson {
        /// Which file.
        role: Role,
        /// Its path.
        path: PathBuf,
        /// The parser's complaint.
        source: serde_json::Error,
    },
    /// The file has another layout version.
    #[error("the {role} `{}` has schema {found}, but this hookbench reads schema {SCHEMA}; rerun it with this hookbench", path.display())]
    Schema {
        /// Which file.
        role: Role,
        /// Its path.
        path: PathBuf,
        /// The version it has, as written.
        found: String,
    },
    /// A figure of a row is negative: the file was damaged or made by hand.
    #[error("the {role} `{}` has a negative value at {at} ({value}), which no result can have; give a file written by `--format json`", path.display())]
    Negative {
        /// Which file.
        role: Role,
        /// Its path.
        path: PathBuf,
        /// Where: `strategies[0].latency_ms.p99`.
        at: String,
        /// The value.
        value: f64,
    },
    /// The file is JSON but not a result.
    #[error("the {role} `{}` is not a hookbench JSON result ({source}); give a file written by `--format json`", path.display())]
    NotAResult {
        /// Which file.
        role: Role,
        /// Its path.
        path: PathBuf,
        /// What is missing or mistyped.
        source: serde_json::Error,
    },
    /// The two files must not be compared.
    #[error("refusing to compare: {0}; rerun both with the same hookbench, engine and scenario")]
    Refused(#[from] Mismatch),
}

/// Why a result and a baseline are not comparable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    /// Other layout versions.
    #[error("the result has schema {result} and the baseline {baseline}")]
    Schema {
        /// The result's.
        result: u64,
        /// The baseline's.
        baseline: u64,
    },
    /// Made by other hookbench versions.
    #[error("the result was made by hookbench {result} and the baseline by {baseline}")]
    Version {
        /// The result's.
        result: String,
        /// The baseline's.
        baseline: String,
    },
    /// Made by other engines.
    #[error("the result comes from the {result} engine and the baseline from the {baseline} engine")]
    Engine {
        /// The result's.
        result: String,
        /// The baseline's.
        baseline: String,
    },
    /// Other scenarios: the first differing path with both values.
    #[error("the scenarios differ (result vs baseline at {0})")]
    Scenario(String),
    /// One file is a replicated run and the other is not, or a single run.
    #[error("the result is {} and the baseline {}", runs(*result), runs(*baseline))]
    Replications {
        /// The result's replications (1: a single run).
        result: u32,
        /// The baseline's.
        baseline: u32,
    },
    /// Other rows.
    #[error("the rows differ: result has {} and the baseline {}", result.join(", "), baseline.join(", "))]
    Rows {
        /// The result's labels.
        result: Vec<String>,
        /// The baseline's labels.
        baseline: Vec<String>,
    },
}

fn runs(n: u32) -> String {
    if n <= 1 {
        "a single run".into()
    } else {
        format!("{n} replications")
    }
}

/// The parts of a JSON result `check` reads.
#[derive(Debug, Deserialize)]
pub struct ResultFile {
    schema: u64,
    hookbench_version: String,
    engine: String,
    scenario: Value,
    strategies: Vec<StrategyReport>,
    #[serde(default)]
    replications: Option<Replications>,
}

impl ResultFile {
    /// Replications behind each figure (1 for a single run).
    pub fn replications(&self) -> u32 {
        self.replications.as_ref().map_or(1, |r| r.count)
    }
}

/// Reads the JSON result at `path`. Numbers are numbers, whatever their spelling: a file that
/// `jq` re-serialised (`20.0` → `20`) is the same result. Only another `schema` version is
/// refused as unreadable; a result with a negative latency, count or cost is refused as
/// damaged.
pub fn load(path: &Path, role: Role) -> Result<ResultFile, BaselineError> {
    let mut value = read_value(path, role)?;
    integral_numbers(&mut value);
    serde_json::from_value(value).map_err(|source| BaselineError::NotAResult {
        role,
        path: path.to_path_buf(),
        source,
    })
}

/// Reads the JSON result at `path` as it was written, refusing another `schema` version (compared
/// as a number) and a negative figure in its rows.
pub fn read_value(path: &Path, role: Role) -> Result<Value, BaselineError> {
    let path_buf = || path.to_path_buf();
    let text = read_text(path, SMALL_FILE, SMALL_FILE_TEXT).map_err(|source| BaselineError::Read {
        role,
        path: path_buf(),
        source,
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|source| BaselineError::NotJson {
        role,
        path: path_buf(),
        source,
    })?;
    if let Some(found) = value.get("schema").filter(|v| v.is_number()) {
        if found.as_f64() != Some(f64::from(SCHEMA)) {
            return Err(BaselineError::Schema { role, path: path_buf(), found: found.to_string() });
        }
    }
    if let Some((at, v)) = value.get("strategies").and_then(|s| first_negative(s, "strategies")) {
        return Err(BaselineError::Negative { role, path: path_buf(), at, value: v });
    }
    Ok(value)
}

/// Rewrites every number written with a fraction of zero (`20.0`, `1e2`) as the integer it is,
/// so that a count reads as a count and two spellings of one value compare equal.
fn integral_numbers(v: &mut Value) {
    match v {
        Value::Number(n) if !n.is_u64() && !n.is_i64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                *v = if f < 0.0 { Value::from(f as i64) } else { Value::from(f as u64) };
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// The path and value of the first negative number under `v`: no figure of a result's rows
/// (latencies, counts, costs, half-widths) can be below zero.
fn first_negative(v: &Value, at: &str) -> Option<(String, f64)> {
    match v {
        Value::Number(n) => n.as_f64().filter(|f| *f < 0.0).map(|f| (at.to_string(), f)),
        Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, x)| first_negative(x, &format!("{at}[{i}]")))
        }
        Value::Object(map) => map.iter().find_map(|(k, x)| first_negative(x, &format!("{at}.{k}"))),
        _ => None,
    }
}

/// The first path where two JSON values differ, with both sides.
fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let path = format!("{at}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => first_difference(p, q, &path),
                    (p, q) => Some(format!("{path}: {} vs {}", show(p), show(q))),
                }
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (p, q))| first_difference(p, q, &format!("{at}[{i}]")))
        }
        _ if a == b => None,
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => None,
        _ => Some(format!("{at}: {} vs {}", show(Some(a)), show(Some(b)))),
    }
}

fn show(v: Option<&Value>) -> String {
    v.map_or("(absent)".into(), |v| {
        let s = v.to_string();
        if s.chars().count() > 60 {
            format!("{}…", s.chars().take(60).collect::<String>())
        } else {
            s
        }
    })
}

/// Refuses pairs that must not be compared.
pub fn comparable(result: &ResultFile, base: &ResultFile) -> Result<(), Mismatch> {
    if result.schema != base.schema {
        return Err(Mismatch::Schema { result: result.schema, baseline: base.schema });
    }
    if result.hookbench_version != base.hookbench_version {
        return Err(Mismatch::Version {
            result: result.hookbench_version.clone(),
            baseline: base.hookbench_version.clone(),
        });
    }
    if result.engine != base.engine {
        return Err(Mismatch::Engine { result: result.engine.clone(), baseline: base.engine.clone() });
    }
    let (rn, bn) = (result.replications(), base.replications());
    if rn != bn && (rn == 1 || bn == 1) {
        return Err(Mismatch::Replications { result: rn, baseline: bn });
    }
    // Replicated runs are samples of one scenario: their base seeds may differ.
    let without_seed = |v: &Value| {
        let mut v = v.clone();
        if rn > 1 {
            if let Some(m) = v.as_object_mut() {
                m.remove("seed");
            }
        }
        v
    };
    let (rs, bs) = (without_seed(&result.scenario), without_seed(&base.scenario));
    if let Some(d) = first_difference(&rs, &bs, "scenario") {
        return Err(Mismatch::Scenario(d));
    }
    let labels = |f: &ResultFile| f.strategies.iter().map(|s| s.label.clone()).collect::<Vec<_>>();
    let (a, b) = (labels(result), labels(base));
    if a != b {
        return Err(Mismatch::Rows { result: a, baseline: b });
    }
    Ok(())
}

/// How a compared value moved.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Change {
    /// Equal, or absent on both sides.
    Same,
    /// Changed by this many percent of the baseline.
    Percent(f64),
    /// The baseline was zero; this is the result's value.
    FromZero(f64),
    /// Present on one side only.
    Changed,
}

/// Version of `check --format json`'s layout (`schema-check.json`). Bump on any breaking change.
pub const CHECK_SCHEMA: u32 = 1;

/// One compared cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    /// Row label.
    pub row: String,
    /// The measure.
    #[serde(rename = "metric")]
    pub measure: Measure,
    /// Baseline value.
    #[serde(rename = "baseline")]
    pub base: Option<f64>,
    /// Result value.
    pub result: Option<f64>,
    /// How it moved.
    pub change: Change,
    /// Whether this is a regression beyond the tolerance (and, for replicated runs,
    /// significant).
    pub regression: bool,
    /// Replicated runs: the Holm-corrected p-value of Welch's t-test of the two means; `None`
    /// for single runs and where a side has no interval.
    pub p_value: Option<f64>,
}

/// How `check` decided significance between two replicated runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Significance {
    /// The level a Holm-corrected p-value must be under (e.g. 0.05).
    pub level: f64,
    /// Replications behind the result.
    pub result_n: u32,
    /// Replications behind the baseline.
    pub base_n: u32,
    /// Comparisons tested (the Holm correction's family).
    pub tests: usize,
}

/// Every row and measure compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The tolerance applied, a share of the baseline.
    pub tolerance: f64,
    /// One entry per row and measure, in row order.
    pub diffs: Vec<Diff>,
    /// Replicated runs on both sides: the significance test applied; `None` for single runs.
    pub significance: Option<Significance>,
}

impl Comparison {
    /// How many cells regressed.
    pub fn regressions(&self) -> usize {
        self.diffs.iter().filter(|d| d.regression).count()
    }
}

fn change(base: Option<f64>, result: Option<f64>) -> Change {
    match (base, result) {
        (Some(b), Some(r)) if b == r => Change::Same,
        (Some(b), Some(r)) if b != 0.0 => Change::Percent((r - b) / b.abs() * 100.0),
        (Some(_), Some(r)) => Change::FromZero(r),
        (None, None) => Change::Same,
        _ => Change::Changed,
    }
}

fn regressed(m: Measure, base: Option<f64>, result: Option<f64>, tolerance: f64) -> bool {
    match (base, result) {
        (Some(bv), Some(rv)) => {
            let allowed = tolerance * bv.abs();
            if m.higher_is_worse() {
                rv > bv + allowed
            } else {
                rv < bv - allowed
            }
        }
        // A latency that vanished means nothing was detected any more.
        (Some(_), None) => true,
        _ => false,
    }
}

/// Welch's p-value for measure `m` between two replicated rows, when both have its interval.
/// A figure absent from a row's `ci95` that is zero everywhere (`requests.failed`) has a
/// half-width of 0.
fn p_value(m: Measure, r: &StrategyReport, rn: u32, b: &StrategyReport, bn: u32) -> Option<f64> {
    let path = figure_path(m)?;
    let (rv, bv) = (m.of(r)?, m.of(b)?);
    let hw = |row: &StrategyReport, v: f64| match row.ci95.as_ref()?.get(path) {
        Some(x) => x.as_f64(),
        None => (v == 0.0).then_some(0.0),
    };
    let (rs, bs) = (std_error(hw(r, rv)?, rn as usize), std_error(hw(b, bv)?, bn as usize));
    Some(welch_p(rv, rs, rn as usize, bv, bs, bn as usize))
}

/// The measures compared on one row: `metrics`, and on `serve --report`'s endpoint row (one with
/// `ack_ms` on either side) each latency measure followed by its ack counterpart
/// ([`Measure::ack`]) unless it is named already, so the receiver's ack latency is gated too.
fn row_metrics(metrics: &[Measure], r: &StrategyReport, b: &StrategyReport) -> Vec<Measure> {
    let mut out = metrics.to_vec();
    if r.ack_ms.is_some() || b.ack_ms.is_some() {
        for (i, m) in metrics.iter().enumerate().rev() {
            if let Some(a) = m.ack().filter(|a| !metrics.contains(a)) {
                out.insert(i + 1, a);
            }
        }
    }
    out
}

/// Compares every row and `metrics` of `result` with `base`, after refusing a [`Mismatch`].
/// For replicated runs, `level` is the significance level a regression must also reach.
pub fn compare(
    result: &ResultFile,
    base: &ResultFile,
    metrics: &[Measure],
    tolerance: f64,
    level: f64,
) -> Result<Comparison, BaselineError> {
    comparable(result, base)?;
    let (rn, bn) = (result.replications(), base.replications());
    let replicated = rn > 1 && bn > 1;
    let mut diffs = Vec::new();
    let mut ps = Vec::new();
    for (r, b) in result.strategies.iter().zip(&base.strategies) {
        for m in row_metrics(metrics, r, b) {
            let (bv, rv) = (m.of(b), m.of(r));
            ps.push(if replicated { p_value(m, r, rn, b, bn) } else { None });
            diffs.push(Diff {
                row: r.label.clone(),
                measure: m,
                base: bv,
                result: rv,
                change: change(bv, rv),
                regression: regressed(m, bv, rv, tolerance),
                p_value: None,
            });
        }
    }
    let significance = replicated.then(|| {
        let tests = holm(&mut ps);
        for (d, p) in diffs.iter_mut().zip(ps) {
            d.p_value = p;
            // Untestable (no interval on a side, or a latency that vanished): tolerance alone.
            d.regression &= p.is_none_or(|p| p < level);
        }
        Significance { level, result_n: rn, base_n: bn, tests }
    });
    Ok(Comparison { tolerance, diffs, significance })
}

#[cfg(test)]
mod tests;
