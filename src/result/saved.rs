//! A saved JSON result read back into the [`Report`] it was written from, so that `hookbench
//! report` renders it again in any format, as the run that made it would have.
//!
//! Owns the way back from JSON to a [`Report`]: the file is read and checked by
//! [`crate::result::baseline::read_value`] (its `schema` version, no negative figure), then
//! deserialized field by field. `Report`, [`RunInfo`] and [`LiveInfo`] are written by
//! `result::report` and only serialized there; their read-back lives here, as serde "remote"
//! definitions that the compiler checks against the real structs (a field added there and not
//! here fails to build). Every other part (the scenario, the rows, the thresholds) reads itself
//! back. It never runs or prints anything.

use std::path::Path;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::result::baseline::{read_value, BaselineError, Role};
use crate::result::judgement::Judgement;
use crate::result::report::{LagMs, LiveInfo, Replications, Report, RunInfo, StrategyReport};
use crate::scenario::Scenario;

/// The read-back of [`Report`].
#[derive(Deserialize)]
#[serde(remote = "Report")]
struct ReportDef {
    schema: u32,
    hookbench_version: String,
    engine: String,
    seed: u64,
    scenario: Scenario,
    wall_time_s: f64,
    #[serde(with = "RunInfoDef")]
    run: RunInfo,
    #[serde(default, deserialize_with = "live")]
    live: Option<LiveInfo>,
    strategies: Vec<StrategyReport>,
    #[serde(default)]
    replications: Option<Replications>,
    #[serde(default)]
    thresholds: Option<Vec<Judgement>>,
    #[serde(default)]
    verdict: Option<crate::result::verdict::Verdict>,
}

/// The read-back of [`RunInfo`].
#[derive(Deserialize)]
#[serde(remote = "RunInfo")]
struct RunInfoDef {
    window_s: f64,
    drain_s: f64,
    events: u64,
    steps: u64,
    #[serde(default)]
    partial: bool,
    #[serde(default)]
    covered_s: Option<f64>,
}

/// The read-back of [`LiveInfo`].
#[derive(Deserialize)]
#[serde(remote = "LiveInfo")]
struct LiveInfoDef {
    speedup: f64,
    timer_resolution_ms: f64,
    distortion: String,
    lag_ms: LagMs,
    wakeups: u64,
    ended_s: f64,
    #[serde(default)]
    tls: bool,
}

fn live<'de, D: Deserializer<'de>>(d: D) -> Result<Option<LiveInfo>, D::Error> {
    #[derive(Deserialize)]
    struct Live(#[serde(with = "LiveInfoDef")] LiveInfo);
    Ok(Option::<Live>::deserialize(d)?.map(|Live(l)| l))
}

/// A result file read back: the [`Report`], and the JSON exactly as it was written.
#[derive(Debug, Clone)]
pub struct Saved {
    /// The report the file was written from.
    pub report: Report,
    /// The file's JSON as written (keys in their order, numbers as spelled).
    pub json: Value,
}

/// Reads the JSON result at `path` back into its [`Report`].
pub fn read(path: &Path) -> Result<Saved, BaselineError> {
    let json = read_value(path, Role::Result)?;
    let report = ReportDef::deserialize(&json).map_err(|source| BaselineError::NotAResult {
        role: Role::Result,
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Saved { report, json })
}
