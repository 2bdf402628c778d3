//! The one result of a run: plain serde structs, computed once, rendered by format-only
//! renderers.
//!
//! Owns the JSON contract of DESIGN.md §8 (`"schema": 1`) and every statistic derived from the
//! raw [`books::Outcome`](crate::strategy::books::Outcome): percentiles, per-day extrapolations,
//! wasted shares. Renderers must not compute anything a user could see differ between formats.

use serde::{Deserialize, Serialize};

use crate::scenario::Scenario;
use crate::strategy::books::Outcome;
use crate::strategy::{Spec, StrategyKind};
/// Microseconds as seconds (the serde helpers for times live in [`crate::support::units`]).
pub use crate::support::units::secs_f;
use crate::support::units::{Micros, DAY, MILLI};

/// Version of the JSON layout. Bump on any breaking change. 2: every row leads with `ready_ms`,
/// and the unqualified latency measures (`p99`, …) are ready latency.
pub const SCHEMA: u32 = 2;

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Layout version.
    pub schema: u32,
    /// The hookbench that made it.
    pub hookbench_version: String,
    /// `sim` or `live`.
    pub engine: String,
    /// The seed of every random stream.
    pub seed: u64,
    /// The resolved scenario, enough to reproduce the run.
    pub scenario: Scenario,
    /// Wall-clock time the run took (the only field that differs between identical runs).
    pub wall_time_s: f64,
    /// What the engine did.
    pub run: RunInfo,
    /// The live engine's time compression and what it distorts (absent for sim).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveInfo>,
    /// One entry per strategy (and interval).
    pub strategies: Vec<StrategyReport>,
    /// A replicated run (`--replications N`, N > 1): how many, and the seed they derive from.
    /// Every figure is then the mean over replications. Absent for a single run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replications: Option<Replications>,
    /// What to do, computed from the rows: the cheapest row meeting the scenario's target, or
    /// the cost–latency frontier ([`crate::result::verdict`]). Absent where no verdict applies
    /// (`serve --report`'s clients).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<crate::result::verdict::Verdict>,
    /// Each `--threshold` judged on each row it names; absent when none was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Vec<crate::result::judgement::Judgement>>,
}

/// What a replicated run was (absent from a single run's report).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Replications {
    /// How many replications every figure is the mean of.
    pub count: u32,
    /// The scenario's seed, from which each replication's seed is derived ([`crate::result::replication::seed`]).
    pub base_seed: u64,
}

/// The 95% confidence half-width of each figure of a row, keyed by the figure's path in the row
/// (`latency_ms.p99`, `events.missed`, `per_day.requests`); `null` where fewer than two
/// replications had a value.
pub type Ci95 = serde_json::Map<String, serde_json::Value>;

/// What the engine did.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    /// The measured window (the scenario's duration).
    pub window_s: f64,
    /// The drain after it.
    pub drain_s: f64,
    /// Events the source produced.
    pub events: u64,
    /// Simulation steps processed, all strategies together (sim engine).
    pub steps: u64,
    /// The run was stopped (Ctrl-C, SIGTERM) before its end: the numbers cover `covered_s` only.
    /// Absent when the run completed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// The scenario time a partial run covered, from 0. Absent when the run completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covered_s: Option<f64>,
}

/// How the live engine ran.
#[derive(Debug, Clone, Serialize)]
pub struct LiveInfo {
    /// Virtual time ran this many times faster than the wall clock.
    pub speedup: f64,
    /// Precision of waits (~0.1 ms of wall time) in scenario milliseconds.
    pub timer_resolution_ms: f64,
    /// What the compression distorts, in words.
    pub distortion: String,
    /// How late the engine's own timers ran, in scenario milliseconds: each consumer timer from
    /// due to handled, each emitter wake-up (an event's arrival, a delivery attempt) from due to
    /// awake.
    pub lag_ms: LagMs,
    /// How many wake-ups `lag_ms` is over.
    pub wakeups: u64,
    /// The scenario time the run ended: the window plus the drain the rows needed (each row stops
    /// once nothing is in flight; the configured drain is the upper bound).
    pub ended_s: f64,
    /// The servers spoke HTTPS (`--tls`); absent (false) over plain HTTP.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tls: bool,
}

/// Lateness of the live engine's timers, scenario milliseconds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Default)]
pub struct LagMs {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Maximum.
    pub max: f64,
}

/// One row: a strategy at an interval.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StrategyReport {
    /// Strategy name (DESIGN.md §3).
    pub name: String,
    /// The configured interval; null for strategies without one.
    pub interval_s: Option<f64>,
    /// The interval actually used (longer if the server's `X-Poll-Interval` said so).
    pub effective_interval_s: Option<f64>,
    /// Row label, e.g. `poll@30s`.
    pub label: String,
    /// Ready latency: from the event until the consumer has it processed — detection plus the
    /// queueing and processing at a receiver with finite capacity (`processed_ms`), else
    /// detection (`latency_ms`: an unlimited receiver processes at once). The headline figure.
    #[serde(default)]
    pub ready_ms: LatencyMs,
    /// Detection latency of detected events: until the consumer first holds the event's data.
    pub latency_ms: LatencyMs,
    /// Processed latency (event → its processing finished), when the receiver's capacity is
    /// finite; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processed_ms: Option<LatencyMs>,
    /// The processing backlog, when the receiver's capacity is finite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing: Option<Processing>,
    /// Event accounting.
    pub events: EventCounts,
    /// API requests made by the consumer inside the window.
    pub requests: Requests,
    /// Webhook deliveries.
    pub webhooks: Webhooks,
    /// Quota use.
    pub rate_limit: RateLimitUse,
    /// Bytes over the wire inside the window, from the consumer's side.
    pub bytes: Bytes,
    /// Window costs scaled to a day.
    pub per_day: PerDay,
    /// `serve --report`'s webhook endpoint row: delivery request sent → 2xx, scenario time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_ms: Option<LatencyMs>,
    /// `serve --report`'s webhook endpoint row: failed delivery attempts by kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failures: Option<crate::engine::observer::Failures>,
    /// A replicated run: each figure's 95% confidence half-width (Student t over the
    /// replications), keyed by its path in this row, e.g. `latency_ms.p99`. Absent for a
    /// single run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci95: Option<Ci95>,
    /// The run in time: per bucket, what happened, was detected and became ready, ready
    /// latency of the events that happened in it, backlog, requests, 429s, failed calls and
    /// webhook attempts ([`crate::result::timeline`]). Absent where the row kept none (replicated
    /// runs, results saved before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<crate::result::timeline::Timeline>,
    /// The distribution of ready latency as quantile points ([`Cdf`]), for the latency CDF chart.
    /// Absent when nothing became ready, for replicated runs and results saved before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_cdf: Option<Cdf>,
}

/// A latency distribution as a bounded set of quantile points: `ms[i]` is the latency at
/// quantile `q[i]`, at every whole percent and at 99.5%, 99.9% and 99.99% ([`Cdf::QUANTILES`]
/// points, whatever the run's length). Non-decreasing in both.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Cdf {
    /// Quantiles, 0 to 1, increasing.
    pub q: Vec<f64>,
    /// The latency at each, ms (the exact minimum at 0, the exact maximum at 1).
    pub ms: Vec<f64>,
}

impl Cdf {
    /// How many points a CDF has.
    pub const QUANTILES: usize = 104;

    /// The quantiles sampled: 0, 0.01, …, 0.99, 0.995, 0.999, 0.9999, 1.
    fn quantiles() -> impl Iterator<Item = f64> {
        (0..100).map(|i| f64::from(i) / 100.0).chain([0.995, 0.999, 0.9999, 1.0])
    }

    /// The CDF of `count` latencies in `hist` whose exact maximum is `max_us`; `None` when there
    /// are none.
    pub fn of(hist: &hdrhistogram::Histogram<u64>, max_us: u64, count: u64) -> Option<Cdf> {
        if count == 0 || hist.is_empty() {
            return None;
        }
        let bottom = hist.min().min(max_us);
        let q: Vec<f64> = Self::quantiles().collect();
        // The inner quantiles in one pass over the histogram (they increase): each is the value
        // `value_at_quantile` gives, found without scanning from the first bucket every time.
        let inner = &q[1..q.len() - 1];
        let mut ms_at = Vec::with_capacity(q.len());
        ms_at.push(ms(bottom));
        ms_at.extend(hist.value_at_quantiles(inner.iter().copied()).map(|v| ms(v.clamp(bottom, max_us))));
        ms_at.push(ms(max_us));
        debug_assert_eq!(ms_at.len(), q.len());
        Some(Cdf { q, ms: ms_at })
    }
}

/// Detection latency, milliseconds; null when nothing was detected.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct LatencyMs {
    /// Exact mean.
    pub mean: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// 99.9th percentile.
    pub p999: Option<f64>,
    /// Exact maximum.
    pub max: Option<f64>,
}

impl LatencyMs {
    /// The figures of `count` latencies in `hist`, with their exact sum and maximum (all null
    /// when there are none).
    pub fn of(hist: &hdrhistogram::Histogram<u64>, sum_us: u128, max_us: u64, count: u64) -> Self {
        if count == 0 {
            return LatencyMs::default();
        }
        // A quantile is the upper edge of its histogram bucket, not a measured value: keep it
        // inside the measured range so that no percentile ever exceeds the exact max.
        let bottom = hist.min().min(max_us);
        // The four in one pass over the histogram (each what `value_at_quantile` gives).
        let mut q =
            hist.value_at_quantiles([0.5, 0.9, 0.99, 0.999]).map(|v| Some(ms(v.clamp(bottom, max_us))));
        LatencyMs {
            mean: Some(sum_us as f64 / count as f64 / MILLI as f64),
            p50: q.next().flatten(),
            p90: q.next().flatten(),
            p99: q.next().flatten(),
            p999: q.next().flatten(),
            max: Some(ms(max_us)),
        }
    }
}

/// Processing at a receiver with finite capacity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Processing {
    /// Events whose processing finished by the end.
    pub processed: u64,
    /// The most deliveries or events that waited for a worker at once.
    pub peak_backlog: u64,
    /// Deliveries answered 503 because the on-receipt queue was full.
    pub rejected: u64,
    /// Jobs processed again for an event the workers already had: duplicate deliveries that
    /// cost work (not merely arrived).
    #[serde(default)]
    pub duplicates: u64,
}

pub use crate::strategy::books::EventCounts;

/// Which of a row's figures apply, decided once from the strategy and the scenario: a figure
/// that does not apply is `None` (JSON `null`, an empty CSV cell, `—` in the table), never `0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applies {
    /// The strategy calls the API (every one but `webhook`): request counts.
    pub api: bool,
    /// The strategy takes webhooks (`webhook`, `hybrid`, `hybrid-reconcile`): delivery counts.
    pub webhooks: bool,
    /// It calls the API under a rate limit: the quota's peak use.
    pub quota: bool,
}

impl Applies {
    /// What applies to `kind` in a scenario with or without a rate limit.
    pub fn of(kind: StrategyKind, rate_limited: bool) -> Applies {
        let api = kind != StrategyKind::Webhook;
        Applies {
            api,
            webhooks: matches!(
                kind,
                StrategyKind::Webhook | StrategyKind::Hybrid | StrategyKind::HybridReconcile
            ),
            quota: api && rate_limited,
        }
    }
}

/// API requests; the counts are null for a strategy that makes none by design (`webhook`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Requests {
    /// Made.
    pub total: Option<u64>,
    /// Brought nothing new (empty pages, unchanged snapshots, 304s, 429s, 404s).
    pub wasted: Option<u64>,
    /// Answered 304.
    pub not_modified: Option<u64>,
    /// Answered 429.
    pub throttled: Option<u64>,
    /// Failed: 5xx answers and connection failures (shown when there were any).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed: u64,
    /// Times the circuit breaker opened (shown when it did).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub breaker_openings: u64,
    /// Calls the open breaker saved: poll ticks and fetch retries that fell while it was open.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub breaker_saved: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Webhook deliveries; null for a strategy that takes none by design (the pollers).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Webhooks {
    /// Attempts.
    pub attempts: Option<u64>,
    /// Events delivered (2xx).
    pub delivered: Option<u64>,
    /// Failed attempts.
    pub failed: Option<u64>,
    /// Attempts that were retries.
    pub retried: Option<u64>,
    /// Events dead-lettered.
    pub dead_lettered: Option<u64>,
}

/// Quota use.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RateLimitUse {
    /// Requests per window; null for no limit.
    pub quota: Option<u64>,
    /// The window; null for no limit.
    pub window_s: Option<f64>,
    /// Peak share of the quota used in any window, 0–1; null without a limit or for a strategy
    /// that makes no API calls.
    pub peak_use: Option<f64>,
    /// Time spent waiting out 429s inside the window.
    pub throttled_s: f64,
}

/// Bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bytes {
    /// Received by the consumer.
    pub received: u64,
    /// Sent by the consumer.
    pub sent: u64,
}

/// Per-day extrapolation of the window's costs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PerDay {
    /// API requests per day; null for `webhook`.
    pub requests: Option<f64>,
    /// Bytes per day, both directions.
    pub bytes: f64,
    /// Webhook attempts per day; null for the pollers.
    pub webhook_attempts: Option<f64>,
}

fn ms(us: u64) -> f64 {
    us as f64 / MILLI as f64
}

impl StrategyReport {
    /// The 95% confidence half-width of the figure at `path` (e.g. `latency_ms.p99`), in a
    /// replicated run.
    pub fn ci95_of(&self, path: &str) -> Option<f64> {
        self.ci95.as_ref()?.get(path)?.as_f64()
    }

    /// Derives a row from a settled run.
    pub fn new(
        spec: &Spec,
        scenario: &Scenario,
        out: &Outcome,
        effective: Option<Micros>,
        peak_use: Option<f64>,
    ) -> Self {
        let applies = Applies::of(spec.kind, scenario.api.rate_limit.is_some());
        let row = Self::build(spec.kind.name(), spec.label(), applies, scenario, out, peak_use);
        StrategyReport {
            interval_s: spec.interval.map(secs_f),
            effective_interval_s: effective.map(secs_f),
            ..row
        }
    }

    /// A row of `serve --report`: a client (`client:KEY`, API figures) or the webhook endpoint
    /// (`endpoint`, delivery figures, `ack_ms` and `failures`).
    pub fn observed(
        row: &crate::engine::observer::ObservedRow,
        scenario: &Scenario,
        peak_use: Option<f64>,
    ) -> Self {
        let endpoint = row.ack.is_some();
        let applies = Applies {
            api: !endpoint,
            webhooks: endpoint,
            quota: !endpoint && scenario.api.rate_limit.is_some(),
        };
        let name = if endpoint { crate::engine::observer::ENDPOINT } else { "client" };
        let mut r = Self::build(name, row.label.clone(), applies, scenario, &row.outcome, peak_use);
        r.ack_ms = row.ack.as_ref().map(|a| LatencyMs::of(&a.hist, a.sum_us, a.max_us, a.count));
        r.failures = row.failures;
        r
    }

    fn build(
        name: &str,
        label: String,
        applies: Applies,
        scenario: &Scenario,
        out: &Outcome,
        peak_use: Option<f64>,
    ) -> Self {
        let latency_ms = LatencyMs::of(&out.hist, out.sum_us, out.max_us, out.events.detected);
        let processed_ms =
            out.processed.as_ref().map(|p| LatencyMs::of(&p.hist, p.sum_us, p.max_us, p.count));
        let processing = out.processed.as_ref().map(|p| Processing {
            processed: p.count,
            peak_backlog: p.peak_backlog,
            rejected: p.rejected,
            duplicates: p.duplicates,
        });
        let ready_ms = processed_ms.clone().unwrap_or_else(|| latency_ms.clone());
        let ready_cdf = match &out.processed {
            Some(p) => Cdf::of(&p.hist, p.max_us, p.count),
            None => Cdf::of(&out.hist, out.max_us, out.events.detected),
        };
        let scale = DAY as f64 / scenario.duration as f64;
        let quota = scenario.api.rate_limit;
        let api = |n: u64| applies.api.then_some(n);
        let hook = |n: u64| applies.webhooks.then_some(n);
        StrategyReport {
            name: name.to_string(),
            interval_s: None,
            effective_interval_s: None,
            label,
            ready_ms,
            latency_ms,
            processed_ms,
            processing,
            events: out.events,
            requests: Requests {
                total: api(out.requests.total),
                wasted: api(out.requests.wasted),
                not_modified: api(out.requests.not_modified),
                throttled: api(out.requests.throttled),
                failed: out.requests.failed,
                breaker_openings: out.requests.breaker_openings,
                breaker_saved: out.requests.breaker_saved,
            },
            webhooks: Webhooks {
                attempts: hook(out.webhooks.attempts),
                delivered: hook(out.webhooks.delivered),
                failed: hook(out.webhooks.failed),
                retried: hook(out.webhooks.retried),
                dead_lettered: hook(out.webhooks.dead_lettered),
            },
            rate_limit: RateLimitUse {
                quota: quota.map(|q| q.limit),
                window_s: quota.map(|q| secs_f(q.window)),
                peak_use: applies.quota.then(|| peak_use.unwrap_or(0.0)),
                throttled_s: secs_f(out.throttled_us),
            },
            bytes: Bytes { received: out.bytes_received, sent: out.bytes_sent },
            per_day: PerDay {
                requests: api(out.requests.total).map(|n| n as f64 * scale),
                bytes: (out.bytes_received + out.bytes_sent) as f64 * scale,
                webhook_attempts: hook(out.webhooks.attempts).map(|n| n as f64 * scale),
            },
            ack_ms: None,
            failures: None,
            ci95: None,
            timeline: out.timeline.as_ref().map(|t| {
                crate::result::timeline::Timeline::of(t, scenario.duration, out.processed.is_some())
            }),
            ready_cdf,
        }
    }
}
