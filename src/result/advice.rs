//! The architect's reading of a sweep: which rows are on the latency-versus-cost frontier, and
//! which is the cheapest design that meets a latency target without losing events.
//!
//! Owns the ranking rules, so the sweep table, the chart and `advise` agree: the cost of a row
//! is every HTTP request it costs per day ([`http_requests_per_day`]: API requests plus webhook
//! attempts received); a candidate must miss nothing, have no event still in flight at the end
//! (its latency would cover only what it detected), meet the target at the chosen percentile
//! and, under a rate limit, never be refused with a 429. Ties go to the lower latency, then to
//! table order. On a replicated run a row is judged by the upper bound of each figure's 95%
//! interval: its latency is the mean plus the half-width, and a row that missed events, left
//! some in flight or was refused with a 429 in any replication (a non-zero interval) does not
//! qualify. It reads a finished [`Report`] and never runs or prints anything: its results
//! are plain data, formatted by `render::advice`.

use serde::Serialize;

use crate::result::measure::{http_requests_per_day, Measure};
use crate::result::replication::figure_path;
use crate::result::report::{Report, StrategyReport};

/// Why a row does not qualify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fail {
    /// It missed this many events.
    Misses(u64),
    /// This many events were still in flight at the end: its latency covers only what it
    /// detected, so it cannot be judged.
    InFlight(u64),
    /// This many of its requests were refused with 429.
    OverQuota(u64),
    /// It detected nothing, so it has no latency.
    DetectedNothing,
    /// Its latency at the percentile is over the target.
    TooSlow,
    /// Its processed latency at the percentile is over the `--max-processed-latency` target.
    ProcessedTooSlow,
}

/// One row judged against the target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// Row label.
    pub label: String,
    /// API requests plus webhook attempts per day.
    pub cost_per_day: f64,
    /// Latency at the chosen percentile, ms; `None` when nothing was detected. On a replicated
    /// run, the mean over replications.
    pub latency_ms: Option<f64>,
    /// On a replicated run, the 95% half-width of `latency_ms`; the row is judged by
    /// `latency_ms + latency_ci95_ms`, the interval's upper bound.
    pub latency_ci95_ms: Option<f64>,
    /// Events missed (on a replicated run: the mean, at least 1 if any replication missed).
    pub missed: u64,
    /// Events still in flight at the end (likewise).
    pub in_flight: u64,
    /// Requests refused with 429 (likewise).
    pub throttled: u64,
    /// Processed latency at the chosen percentile, ms, when a processed target is set (the
    /// detection latency where the receiver's capacity is unlimited: processing is instant);
    /// on a replicated run, the upper bound of its 95% interval.
    pub processed_ms: Option<f64>,
    /// Why the row does not qualify; `None` when it does.
    pub fails: Option<Fail>,
}

impl Verdict {
    /// The latency the row is judged by: the mean plus its half-width on a replicated run (the
    /// upper bound of the 95% interval), else the measured latency.
    pub fn judged_ms(&self) -> Option<f64> {
        self.latency_ms.map(|l| l + self.latency_ci95_ms.unwrap_or(0.0))
    }
}

/// The outcome of `advise`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advice {
    /// The percentile (or mean) the target applies to.
    pub percentile: Measure,
    /// The target, ms.
    pub max_latency_ms: f64,
    /// The processed-latency target, ms, if any.
    pub max_processed_ms: Option<f64>,
    /// Every row, cheapest first.
    pub verdicts: Vec<Verdict>,
    /// Index into `verdicts` of the pick, if any row qualifies.
    pub pick: Option<usize>,
    /// Index into `verdicts` of the fastest row that misses nothing, has nothing in flight and
    /// is never refused with 429, whatever its latency: what to relax the target to when nothing qualifies.
    pub fastest: Option<usize>,
}

/// The 95% half-width of `m` on a replicated `row`.
fn ci(row: &StrategyReport, m: Measure) -> Option<f64> {
    row.ci95_of(figure_path(m)?)
}

/// A count, or at least 1 when some replication had one (its interval is not zero).
fn upper_count(n: u64, ci: Option<f64>) -> u64 {
    if ci.is_some_and(|c| c > 0.0) {
        n.max(1)
    } else {
        n
    }
}

fn judge(row: &StrategyReport, percentile: Measure, max_ms: f64, max_processed_ms: Option<f64>) -> Verdict {
    let latency_ms = percentile.of(row);
    let latency_ci95_ms = ci(row, percentile);
    let upper = latency_ms.map(|l| l + latency_ci95_ms.unwrap_or(0.0));
    let processed_ms = max_processed_ms.and(percentile.processed()).and_then(|m| {
        if row.processed_ms.is_some() {
            m.of(row).map(|p| p + ci(row, m).unwrap_or(0.0))
        } else {
            upper
        }
    });
    let missed = upper_count(row.events.missed, ci(row, Measure::Missed));
    let in_flight = upper_count(row.events.in_flight, ci(row, Measure::InFlight));
    let throttled = upper_count(row.requests.throttled.unwrap_or(0), ci(row, Measure::Throttled));
    let fails = if missed > 0 {
        Some(Fail::Misses(missed))
    } else if in_flight > 0 {
        Some(Fail::InFlight(in_flight))
    } else if throttled > 0 {
        Some(Fail::OverQuota(throttled))
    } else {
        match upper {
            None => Some(Fail::DetectedNothing),
            Some(l) if l > max_ms => Some(Fail::TooSlow),
            Some(_) => match (processed_ms, max_processed_ms) {
                (Some(p), Some(max)) if p > max => Some(Fail::ProcessedTooSlow),
                _ => None,
            },
        }
    };
    Verdict {
        label: row.label.clone(),
        cost_per_day: http_requests_per_day(row),
        latency_ms,
        latency_ci95_ms,
        missed,
        in_flight,
        throttled,
        processed_ms,
        fails,
    }
}

/// Judges every row of `report` against `max_ms` at `percentile` (and, if given, its processed
/// latency against `max_processed_ms` at the same percentile) and picks the cheapest qualifying
/// one.
pub fn advise(report: &Report, percentile: Measure, max_ms: f64, max_processed_ms: Option<f64>) -> Advice {
    let mut verdicts: Vec<Verdict> =
        report.strategies.iter().map(|r| judge(r, percentile, max_ms, max_processed_ms)).collect();
    // Stable sort: equal cost and latency keep table order.
    verdicts.sort_by(|a, b| {
        a.cost_per_day
            .total_cmp(&b.cost_per_day)
            .then(a.latency_ms.unwrap_or(f64::INFINITY).total_cmp(&b.latency_ms.unwrap_or(f64::INFINITY)))
    });
    let pick = verdicts.iter().position(|v| v.fails.is_none());
    let fastest = verdicts
        .iter()
        .enumerate()
        .filter(|(_, v)| v.missed == 0 && v.in_flight == 0 && v.throttled == 0)
        .filter_map(|(i, v)| v.judged_ms().map(|l| (l, i)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, i)| i);
    Advice { percentile, max_latency_ms: max_ms, max_processed_ms, verdicts, pick, fastest }
}

/// The frontier at the median and at the 99th percentile, as the sweep prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frontiers {
    /// [`frontier`] at p50.
    pub p50: Vec<String>,
    /// [`frontier`] at p99.
    pub p99: Vec<String>,
}

/// Both frontiers of `report`.
pub fn frontiers(report: &Report) -> Frontiers {
    Frontiers { p50: frontier(report, Measure::P50), p99: frontier(report, Measure::P99) }
}

/// Labels of the rows on the frontier at `percentile`: rows that miss nothing, have nothing in
/// flight at the end, and that no other
/// such row beats on both cost and latency (at least as good on both, better on one), cheapest
/// first.
pub fn frontier(report: &Report, percentile: Measure) -> Vec<String> {
    let points: Vec<(&str, f64, f64)> = report
        .strategies
        .iter()
        .filter(|r| r.events.missed == 0 && r.events.in_flight == 0)
        .filter_map(|r| percentile.of(r).map(|l| (r.label.as_str(), http_requests_per_day(r), l)))
        .collect();
    let mut on: Vec<&(&str, f64, f64)> = points
        .iter()
        .filter(|(_, c, l)| !points.iter().any(|(_, c2, l2)| c2 <= c && l2 <= l && (c2 < c || l2 < l)))
        .collect();
    on.sort_by(|a, b| a.1.total_cmp(&b.1));
    on.into_iter().map(|(label, _, _)| label.to_string()).collect()
}
