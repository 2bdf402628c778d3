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
use crate::result::verdict::{self, Basis, Reason, RowReason};

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
    /// Its peak share of the rate limit is over the target's `quota`.
    OverQuotaShare,
}

/// What a row must achieve to qualify: a scenario's `[target]`, or `advise`'s flags.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Target {
    /// The latency statistic the bound applies to (ready latency).
    pub percentile: Measure,
    /// The bound, ms; `None`: any latency will do.
    pub max_latency_ms: Option<f64>,
    /// The processed-latency bound at the same percentile, ms (`advise --max-processed-latency`).
    pub max_processed_ms: Option<f64>,
    /// The most events a row may miss.
    pub max_missed: u64,
    /// The largest peak share of the rate limit a row may use, 0–1.
    pub max_quota: Option<f64>,
}

impl Target {
    /// The target a scenario's `[target]` section sets (p99 when it names no latency).
    pub fn of(t: &crate::scenario::TargetConfig) -> Target {
        use crate::scenario::Statistic as S;
        let percentile = match t.latency.map(|(s, _)| s) {
            Some(S::Mean) => Measure::Mean,
            Some(S::P50) => Measure::P50,
            Some(S::P90) => Measure::P90,
            Some(S::P999) => Measure::P999,
            Some(S::Max) => Measure::Max,
            Some(S::P99) | None => Measure::P99,
        };
        Target {
            percentile,
            max_latency_ms: t.latency.map(|(_, us)| us as f64 / crate::support::units::MILLI as f64),
            max_processed_ms: None,
            max_missed: t.missed,
            max_quota: t.quota,
        }
    }
}

/// One row judged against the target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowJudgement {
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

impl RowJudgement {
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
    /// The target, ms (infinite: any latency will do).
    pub max_latency_ms: f64,
    /// The most events a row may miss.
    #[serde(skip_serializing_if = "is_zero")]
    pub max_missed: u64,
    /// The largest peak share of the rate limit a row may use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_quota: Option<f64>,
    /// The processed-latency target, ms, if any.
    pub max_processed_ms: Option<f64>,
    /// Every row, cheapest first.
    pub verdicts: Vec<RowJudgement>,
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

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn judge(row: &StrategyReport, target: &Target) -> RowJudgement {
    let Target { percentile, max_processed_ms, .. } = *target;
    let max_ms = target.max_latency_ms.unwrap_or(f64::INFINITY);
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
    let peak = row.rate_limit.peak_use.map(|p| p + ci(row, Measure::PeakUse).unwrap_or(0.0));
    let fails = if missed > target.max_missed {
        Some(Fail::Misses(missed))
    } else if in_flight > 0 {
        Some(Fail::InFlight(in_flight))
    } else if throttled > 0 {
        Some(Fail::OverQuota(throttled))
    } else if target.max_quota.zip(peak).is_some_and(|(max, p)| p > max) {
        Some(Fail::OverQuotaShare)
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
    RowJudgement {
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
    let target =
        Target { percentile, max_latency_ms: Some(max_ms), max_processed_ms, max_missed: 0, max_quota: None };
    advise_to(report, &target)
}

/// Judges every row of `report` against `target` and picks the cheapest qualifying one.
pub fn advise_to(report: &Report, target: &Target) -> Advice {
    let Target { percentile, max_processed_ms, .. } = *target;
    let max_ms = target.max_latency_ms.unwrap_or(f64::INFINITY);
    let mut verdicts: Vec<RowJudgement> = report.strategies.iter().map(|r| judge(r, target)).collect();
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
        .filter(|(_, v)| v.missed <= target.max_missed && v.in_flight == 0 && v.throttled == 0)
        .filter_map(|(i, v)| v.judged_ms().map(|l| (l, i)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, i)| i);
    Advice {
        percentile,
        max_latency_ms: max_ms,
        max_missed: target.max_missed,
        max_quota: target.max_quota,
        max_processed_ms,
        verdicts,
        pick,
        fastest,
    }
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

// ---------------------------------------------------------------------------------------------
// The verdict under every table.

/// A failed row's reason code and the count it is about.
fn reason_of(f: Fail) -> (Reason, Option<u64>) {
    match f {
        Fail::Misses(n) => (Reason::Missed, Some(n)),
        Fail::InFlight(n) => (Reason::InFlight, Some(n)),
        Fail::OverQuota(n) => (Reason::OverQuota, Some(n)),
        Fail::DetectedNothing => (Reason::DetectedNothing, None),
        Fail::TooSlow => (Reason::TooSlow, None),
        Fail::ProcessedTooSlow => (Reason::ProcessedTooSlow, None),
        Fail::OverQuotaShare => (Reason::OverQuotaShare, None),
    }
}

/// Two figures equal as a reader sees them (within 1%).
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-2 * a.abs().max(b.abs())
}

/// The verdict of `report`: against `target` when given — `advise`'s own judgement, so the two
/// never disagree: the cheapest row that meets it, and each other row's reason — else the
/// cost–latency frontier at p99: the rows no other row beats on both ready latency and HTTP
/// requests per day, and for every other row why it is off it (the same figures as a row before
/// it, another row at least as cheap and as fast, events missed or in flight, 429s, no latency).
/// A row that missed events or left some in flight is never chosen nor on the frontier.
pub fn verdict(report: &Report, target: Option<&Target>) -> verdict::Verdict {
    let measure = target.map_or(Measure::P99, |t| t.percentile);
    let advice = advise_to(
        report,
        target.unwrap_or(&Target {
            percentile: measure,
            max_latency_ms: None,
            max_processed_ms: None,
            max_missed: 0,
            max_quota: None,
        }),
    );
    let judged = |label: &str| advice.verdicts.iter().find(|v| v.label == label);
    // The frontier among rows that qualify with no latency bound: nothing missed, nothing in
    // flight, never refused, a latency; equal rows collapse to the first in table order.
    let mut rows: Vec<RowReason> = Vec::new();
    let mut points: Vec<(&StrategyReport, f64, f64)> = Vec::new();
    for s in &report.strategies {
        let v = judged(&s.label);
        let cost = http_requests_per_day(s);
        let latency = v.and_then(|v| v.judged_ms());
        let base = RowReason {
            row: s.label.clone(),
            code: Reason::Frontier,
            other: None,
            count: None,
            latency_ms: latency,
            cost_per_day: cost,
            not_modified: s.requests.not_modified,
        };
        let fail = v.and_then(|v| v.fails).filter(|f| !matches!(f, Fail::TooSlow | Fail::ProcessedTooSlow));
        match fail {
            Some(f) => {
                let (code, count) = reason_of(f);
                rows.push(RowReason { code, count, ..base });
            }
            None => {
                if let Some(l) = latency {
                    points.push((s, cost, l));
                }
                rows.push(base);
            }
        }
    }
    for r in rows.iter_mut().filter(|r| r.code == Reason::Frontier) {
        let Some(&(_, c, l)) = points.iter().find(|(s, _, _)| s.label == r.row) else {
            r.code = Reason::DetectedNothing;
            continue;
        };
        let earlier = points.iter().take_while(|(s, _, _)| s.label != r.row);
        if let Some((s, _, _)) = earlier.clone().find(|(_, c2, l2)| same(*c2, c) && same(*l2, l)) {
            (r.code, r.other) = (Reason::SameAs, Some(s.label.clone()));
            continue;
        }
        let better = points
            .iter()
            .filter(|(_, c2, l2)| {
                *c2 <= c && *l2 <= l && (*c2 < c || *l2 < l) && !(same(*c2, c) && same(*l2, l))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((s, _, _)) = better {
            (r.code, r.other) = (Reason::DominatedBy, Some(s.label.clone()));
        }
    }
    let mut frontier: Vec<(&str, f64)> = rows
        .iter()
        .filter(|r| r.code == Reason::Frontier)
        .map(|r| (r.row.as_str(), r.cost_per_day))
        .collect();
    frontier.sort_by(|a, b| a.1.total_cmp(&b.1));
    let frontier: Vec<String> = frontier.into_iter().map(|(l, _)| l.to_string()).collect();

    let Some(target) = target else {
        return verdict::Verdict {
            basis: Basis::Frontier,
            measure: measure.name().into(),
            max_latency_ms: None,
            max_missed: None,
            max_quota: None,
            chosen: None,
            fastest: None,
            frontier,
            rows,
        };
    };
    // With a target, advise's judgement decides: the pick, then each row's own reason.
    let chosen = advice.pick.map(|i| advice.verdicts[i].label.clone());
    let pick_cost = advice.pick.map(|i| advice.verdicts[i].cost_per_day);
    for r in rows.iter_mut() {
        let Some(v) = judged(&r.row) else { continue };
        if Some(&r.row) == chosen.as_ref() {
            (r.code, r.other) = (Reason::Chosen, None);
        } else if let Some(f) = v.fails {
            let (code, count) = reason_of(f);
            (r.code, r.count, r.other) = (code, count, None);
        } else if pick_cost.is_some() {
            (r.code, r.other) = (Reason::CostlierThan, chosen.clone());
        }
    }
    verdict::Verdict {
        basis: Basis::Target,
        measure: measure.name().into(),
        max_latency_ms: target.max_latency_ms,
        max_missed: Some(target.max_missed),
        max_quota: target.max_quota,
        chosen,
        fastest: if advice.pick.is_none() {
            advice.fastest.map(|i| advice.verdicts[i].label.clone())
        } else {
            None
        },
        frontier,
        rows,
    }
}

/// The verdict of `report` against its scenario's target (set by `[target]` or the flags), or
/// the frontier when it has none.
pub fn verdict_of(report: &Report) -> verdict::Verdict {
    let t = &report.scenario.target;
    let target = t.is_set().then(|| Target::of(t));
    verdict(report, target.as_ref())
}
