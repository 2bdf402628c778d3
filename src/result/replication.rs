//! Replicated runs: the seeds of N independent replications, and the one [`Report`] that sums
//! them up — every figure the mean over replications, with its 95% confidence half-width.
//!
//! Owns the seed derivation (deterministic from the scenario's seed, so a replicated run is as
//! reproducible as a single one) and the aggregation. Aggregation works on the report's JSON
//! form, leaf by leaf, so that a figure added to [`StrategyReport`] is averaged and gets an
//! interval without a line here: a latency quantile's interval is the interval across the
//! replications' quantiles. Counts (JSON integers) are reported as their mean rounded to the
//! nearest whole, their interval unrounded. It never runs the engine and never prints.

use serde_json::{Map, Number, Value};

use crate::result::measure::Measure;
use crate::result::report::{Ci95, Replications, Report, StrategyReport};
use crate::result::stats::summarize;

/// Row fields that are configuration, not measurements: averaged (they are equal) but given no
/// interval.
const NOT_FIGURES: [&str; 3] = ["interval_s", "rate_limit.quota", "rate_limit.window_s"];

/// The path of `m`'s figure in a row's `ci95` object; `None` for a measure derived from
/// several figures (`http_requests_per_day`).
pub fn figure_path(m: Measure) -> Option<&'static str> {
    Some(match m {
        Measure::Mean => "ready_ms.mean",
        Measure::P50 => "ready_ms.p50",
        Measure::P90 => "ready_ms.p90",
        Measure::P99 => "ready_ms.p99",
        Measure::P999 => "ready_ms.p999",
        Measure::Max => "ready_ms.max",
        Measure::DetectionMean => "latency_ms.mean",
        Measure::DetectionP50 => "latency_ms.p50",
        Measure::DetectionP90 => "latency_ms.p90",
        Measure::DetectionP99 => "latency_ms.p99",
        Measure::DetectionP999 => "latency_ms.p999",
        Measure::DetectionMax => "latency_ms.max",
        Measure::Detected => "events.detected",
        Measure::Missed => "events.missed",
        Measure::InFlight => "events.in_flight",
        Measure::Duplicates => "events.duplicates",
        Measure::OutOfOrder => "events.out_of_order",
        Measure::Requests => "requests.total",
        Measure::Wasted => "requests.wasted",
        Measure::Throttled => "requests.throttled",
        Measure::WebhookAttempts => "webhooks.attempts",
        Measure::RequestsPerDay => "per_day.requests",
        Measure::WebhookAttemptsPerDay => "per_day.webhook_attempts",
        Measure::BytesPerDay => "per_day.bytes",
        Measure::PeakUse => "rate_limit.peak_use",
        Measure::ThrottledS => "rate_limit.throttled_s",
        Measure::ProcessedMean => "processed_ms.mean",
        Measure::ProcessedP50 => "processed_ms.p50",
        Measure::ProcessedP90 => "processed_ms.p90",
        Measure::ProcessedP99 => "processed_ms.p99",
        Measure::ProcessedP999 => "processed_ms.p999",
        Measure::ProcessedMax => "processed_ms.max",
        Measure::PeakBacklog => "processing.peak_backlog",
        Measure::ProcessedDuplicates => "processing.duplicates",
        Measure::Failed => "requests.failed",
        Measure::AckMean => "ack_ms.mean",
        Measure::AckP50 => "ack_ms.p50",
        Measure::AckP90 => "ack_ms.p90",
        Measure::AckP99 => "ack_ms.p99",
        Measure::AckP999 => "ack_ms.p999",
        Measure::AckMax => "ack_ms.max",
        Measure::HttpRequestsPerDay => return None,
    })
}

/// The seed of replication `i` of a run whose scenario seed is `base` (SplitMix64 of the pair,
/// so neighbouring base seeds give unrelated streams).
pub fn seed(base: u64, i: u32) -> u64 {
    let mut z = base ^ (u64::from(i) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The numeric leaves of `v`, by dotted path, in order; `null` leaves as `None`.
fn leaves(v: &Value, prefix: &str, out: &mut Vec<(String, Option<Number>)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                leaves(v, &path, out);
            }
        }
        Value::Number(n) => out.push((prefix.to_string(), Some(n.clone()))),
        Value::Null => out.push((prefix.to_string(), None)),
        _ => {}
    }
}

/// Sets the leaf at dotted `path` in `v`, creating objects on the way.
fn set(v: &mut Value, path: &str, x: Value) {
    let mut cur = v;
    for part in path.split('.') {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(m) = cur else { return };
        cur = m.entry(part.to_string()).or_insert(Value::Null);
    }
    *cur = x;
}

/// One row summed up over its replications (all of the same spec, in replication order).
fn merge_row(rows: &[StrategyReport]) -> Result<StrategyReport, serde_json::Error> {
    let values: Vec<Value> = rows.iter().map(serde_json::to_value).collect::<Result<_, _>>()?;
    let per: Vec<Vec<(String, Option<Number>)>> = values
        .iter()
        .map(|v| {
            let mut out = Vec::new();
            leaves(v, "", &mut out);
            out
        })
        .collect();
    // Every path any replication has, first seen first. A numeric leaf absent from a replication
    // is one serialized only when non-zero (`requests.failed`): it counts as 0 there.
    let mut paths: Vec<String> = Vec::new();
    for p in per.iter().flatten().map(|(p, _)| p) {
        if !paths.contains(p) {
            paths.push(p.clone());
        }
    }
    let mut merged = values.first().cloned().unwrap_or(Value::Null);
    let mut ci = Ci95::new();
    for path in &paths {
        let found: Vec<Option<Number>> = per
            .iter()
            .map(|leaves| match leaves.iter().find(|(p, _)| p == path) {
                Some((_, n)) => n.clone(),
                None => Some(Number::from(0u64)),
            })
            .collect();
        let integers = found.iter().flatten().all(Number::is_u64);
        let xs: Vec<f64> = found.iter().flatten().filter_map(Number::as_f64).collect();
        let Some(sum) = summarize(&xs) else {
            set(&mut merged, path, Value::Null);
            if !NOT_FIGURES.contains(&path.as_str()) {
                ci.insert(path.clone(), Value::Null);
            }
            continue;
        };
        let mean = if integers {
            Value::from(sum.mean.round() as u64)
        } else {
            Number::from_f64(sum.mean).map_or(Value::Null, Value::Number)
        };
        set(&mut merged, path, mean);
        if !NOT_FIGURES.contains(&path.as_str()) {
            let hw = sum.ci95.and_then(Number::from_f64).map_or(Value::Null, Value::Number);
            ci.insert(path.clone(), hw);
        }
    }
    let mut row: StrategyReport = serde_json::from_value(merged)?;
    row.ci95 = Some(ci);
    Ok(row)
}

/// The report of a replicated run from its replications' reports (in replication order, each
/// with the same rows); `scenario` is the one with the base seed.
pub fn aggregate(
    reports: &[Report],
    scenario: &crate::scenario::Scenario,
    wall_time_s: f64,
) -> Result<Report, serde_json::Error> {
    let first = &reports[0];
    let n = reports.len();
    let mut strategies = Vec::with_capacity(first.strategies.len());
    for i in 0..first.strategies.len() {
        // A timeline is one run's story in time, and a CDF one run's distribution, not figures to
        // average: a replicated row has neither.
        let rows: Vec<StrategyReport> = reports
            .iter()
            .map(|r| StrategyReport { timeline: None, ready_cdf: None, ..r.strategies[i].clone() })
            .collect();
        strategies.push(merge_row(&rows)?);
    }
    let mut out = first.clone();
    out.seed = scenario.seed;
    out.scenario = scenario.clone();
    out.wall_time_s = wall_time_s;
    out.run.events = (reports.iter().map(|r| r.run.events as f64).sum::<f64>() / n as f64).round() as u64;
    out.run.steps = reports.iter().map(|r| r.run.steps).sum();
    out.replications = Some(Replications { count: n as u32, base_seed: scenario.seed });
    out.strategies = strategies;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_distinct_and_stable() {
        let s: Vec<u64> = (0..100).map(|i| seed(42, i)).collect();
        let mut d = s.clone();
        d.sort_unstable();
        d.dedup();
        assert_eq!(d.len(), 100);
        assert_eq!(seed(42, 3), s[3]);
        assert_ne!(seed(1, 0), seed(2, 0));
    }

    #[test]
    fn set_and_leaves_round_trip() {
        let mut v = serde_json::json!({"a": {"b": 1, "c": null}, "d": 2.5});
        let mut out = Vec::new();
        leaves(&v, "", &mut out);
        let paths: Vec<&str> = out.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["a.b", "a.c", "d"]);
        set(&mut v, "a.c", Value::from(7));
        assert_eq!(v["a"]["c"], 7);
    }
}
