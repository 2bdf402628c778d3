//! The CSV renderer: one row per strategy and interval, a stable header with units in the column
//! names, for spreadsheets and `pandas.read_csv`.
//!
//! Owns the column list ([`HEADER`]); columns may be added at the end, never renamed or
//! reordered. Empty cells mean "no value" (a latency when nothing was detected, an interval for a
//! strategy without one, processing figures when the receiver's capacity is unlimited) or "does
//! not apply", where the JSON has `null` and the table `—`: request counts of `webhook`, webhook
//! counts of a poller, quota use without a quota. A `serve --report` with a webhook endpoint
//! adds [`ENDPOINT_COLUMNS`] at the end (ack latency, failed attempts by kind), empty on the
//! client rows; a report without an endpoint row has none of them, so `compare`'s CSV never
//! changes. It only formats report fields.

use crate::result::report::{LatencyMs, Report, StrategyReport};
use crate::support::quote::escape;

/// The header, in order.
pub const HEADER: [&str; 54] = [
    "scenario",
    "seed",
    "engine",
    "label",
    "strategy",
    "interval_s",
    "effective_interval_s",
    "latency_mean_ms",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p99_ms",
    "latency_p999_ms",
    "latency_max_ms",
    "events_total",
    "events_detected",
    "events_missed",
    "events_in_flight",
    "events_duplicates",
    "events_out_of_order",
    "requests",
    "requests_wasted",
    "requests_not_modified",
    "requests_throttled",
    "webhook_attempts",
    "webhook_delivered",
    "webhook_failed",
    "webhook_retried",
    "webhook_dead_lettered",
    "quota_requests",
    "quota_window_s",
    "quota_peak_use_ratio",
    "throttled_s",
    "bytes_received",
    "bytes_sent",
    "requests_per_day",
    "webhook_attempts_per_day",
    "bytes_per_day",
    "requests_failed",
    "processed_mean_ms",
    "processed_p50_ms",
    "processed_p90_ms",
    "processed_p99_ms",
    "processed_p999_ms",
    "processed_max_ms",
    "processing_peak_backlog",
    "processing_rejected",
    "breaker_openings",
    "ready_mean_ms",
    "ready_p50_ms",
    "ready_p90_ms",
    "ready_p99_ms",
    "ready_p999_ms",
    "ready_max_ms",
    "processing_duplicates",
];

/// The figure behind each column that has one, by its path in a JSON row: in a replicated
/// run, each gets a `COLUMN_ci95` column (its 95% confidence half-width) after [`HEADER`], in
/// this order.
pub const CI_COLUMNS: [(&str, &str); 46] = [
    ("effective_interval_s", "effective_interval_s"),
    ("latency_mean_ms", "latency_ms.mean"),
    ("latency_p50_ms", "latency_ms.p50"),
    ("latency_p90_ms", "latency_ms.p90"),
    ("latency_p99_ms", "latency_ms.p99"),
    ("latency_p999_ms", "latency_ms.p999"),
    ("latency_max_ms", "latency_ms.max"),
    ("events_total", "events.total"),
    ("events_detected", "events.detected"),
    ("events_missed", "events.missed"),
    ("events_in_flight", "events.in_flight"),
    ("events_duplicates", "events.duplicates"),
    ("events_out_of_order", "events.out_of_order"),
    ("requests", "requests.total"),
    ("requests_wasted", "requests.wasted"),
    ("requests_not_modified", "requests.not_modified"),
    ("requests_throttled", "requests.throttled"),
    ("webhook_attempts", "webhooks.attempts"),
    ("webhook_delivered", "webhooks.delivered"),
    ("webhook_failed", "webhooks.failed"),
    ("webhook_retried", "webhooks.retried"),
    ("webhook_dead_lettered", "webhooks.dead_lettered"),
    ("quota_peak_use_ratio", "rate_limit.peak_use"),
    ("throttled_s", "rate_limit.throttled_s"),
    ("bytes_received", "bytes.received"),
    ("bytes_sent", "bytes.sent"),
    ("requests_per_day", "per_day.requests"),
    ("webhook_attempts_per_day", "per_day.webhook_attempts"),
    ("bytes_per_day", "per_day.bytes"),
    ("requests_failed", "requests.failed"),
    ("processed_mean_ms", "processed_ms.mean"),
    ("processed_p50_ms", "processed_ms.p50"),
    ("processed_p90_ms", "processed_ms.p90"),
    ("processed_p99_ms", "processed_ms.p99"),
    ("processed_p999_ms", "processed_ms.p999"),
    ("processed_max_ms", "processed_ms.max"),
    ("processing_peak_backlog", "processing.peak_backlog"),
    ("processing_rejected", "processing.rejected"),
    ("breaker_openings", "requests.breaker_openings"),
    ("ready_mean_ms", "ready_ms.mean"),
    ("ready_p50_ms", "ready_ms.p50"),
    ("ready_p90_ms", "ready_ms.p90"),
    ("ready_p99_ms", "ready_ms.p99"),
    ("ready_p999_ms", "ready_ms.p999"),
    ("ready_max_ms", "ready_ms.max"),
    ("processing_duplicates", "processing.duplicates"),
];

/// `serve --report`'s endpoint figures: the ack latency (delivery sent → 2xx, `ack_ms`) and the
/// failed attempts by kind (`failures`). Present, after every other column, only when some row
/// has them.
pub const ENDPOINT_COLUMNS: [&str; 12] = [
    "ack_mean_ms",
    "ack_p50_ms",
    "ack_p90_ms",
    "ack_p99_ms",
    "ack_p999_ms",
    "ack_max_ms",
    "failures_server_error",
    "failures_client_error",
    "failures_gone",
    "failures_timeout",
    "failures_refused",
    "failures_tls",
];

/// The [`ENDPOINT_COLUMNS`] cells of `s`: empty on a row without endpoint figures.
fn endpoint_cells(s: &StrategyReport) -> Vec<String> {
    let f = s.failures;
    let on = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    let mut cells = latency_cells(s.ack_ms.as_ref()).to_vec();
    cells.extend([
        on(f.map(|f| f.server_error)),
        on(f.map(|f| f.client_error)),
        on(f.map(|f| f.gone)),
        on(f.map(|f| f.timeout)),
        on(f.map(|f| f.refused)),
        on(f.map(|f| f.tls)),
    ]);
    cells
}

/// A text cell: control and bidirectional characters written out as every view writes them
/// ([`escape`]); a cell a spreadsheet would read as a formula (one that starts with `=`, `+`,
/// `-`, `@`, TAB or CR) prefixed with `'` and quoted, as OWASP's CSV-injection guidance says;
/// quoted if it needs it (RFC 4180).
fn field(s: &str) -> String {
    let s = escape(s);
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("\"'{}\"", s.replace('"', "\"\""))
    } else if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn num(v: f64) -> String {
    // Shortest text that reads back to the same f64.
    format!("{v}")
}

fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_default()
}

/// The six cells of a latency summary (mean, p50, p90, p99, p99.9, max): empty where absent.
fn latency_cells(l: Option<&LatencyMs>) -> [String; 6] {
    [
        l.and_then(|l| l.mean),
        l.and_then(|l| l.p50),
        l.and_then(|l| l.p90),
        l.and_then(|l| l.p99),
        l.and_then(|l| l.p999),
        l.and_then(|l| l.max),
    ]
    .map(opt)
}

fn row(report: &Report, s: &StrategyReport) -> Vec<String> {
    let n = |v: u64| v.to_string();
    let on = |v: Option<u64>| v.map(n).unwrap_or_default();
    let mut cells = vec![
        field(&report.scenario.name),
        n(report.seed),
        field(&report.engine),
        field(&s.label),
        field(&s.name),
        opt(s.interval_s),
        opt(s.effective_interval_s),
    ];
    cells.extend(latency_cells(Some(&s.latency_ms)));
    cells.extend([
        n(s.events.total),
        n(s.events.detected),
        n(s.events.missed),
        n(s.events.in_flight),
        n(s.events.duplicates),
        n(s.events.out_of_order),
        on(s.requests.total),
        on(s.requests.wasted),
        on(s.requests.not_modified),
        on(s.requests.throttled),
        on(s.webhooks.attempts),
        on(s.webhooks.delivered),
        on(s.webhooks.failed),
        on(s.webhooks.retried),
        on(s.webhooks.dead_lettered),
        s.rate_limit.quota.map(n).unwrap_or_default(),
        opt(s.rate_limit.window_s),
        opt(s.rate_limit.peak_use),
        num(s.rate_limit.throttled_s),
        n(s.bytes.received),
        n(s.bytes.sent),
        opt(s.per_day.requests),
        opt(s.per_day.webhook_attempts),
        num(s.per_day.bytes),
        on(s.requests.total.and(Some(s.requests.failed))),
    ]);
    cells.extend(latency_cells(s.processed_ms.as_ref()));
    cells.extend([
        s.processing.as_ref().map(|p| n(p.peak_backlog)).unwrap_or_default(),
        s.processing.as_ref().map(|p| n(p.rejected)).unwrap_or_default(),
        on(s.requests.total.and(Some(s.requests.breaker_openings))),
    ]);
    cells.extend(latency_cells(Some(&s.ready_ms)));
    cells.push(s.processing.as_ref().map(|p| n(p.duplicates)).unwrap_or_default());
    cells
}

/// Renders the report as CSV with a header line; a replicated run adds the `_ci95` columns, a
/// report with an endpoint row the [`ENDPOINT_COLUMNS`].
pub fn render(report: &Report) -> String {
    let replicated = report.replications.is_some();
    let endpoint = report.strategies.iter().any(|s| s.ack_ms.is_some() || s.failures.is_some());
    let mut header: Vec<String> = HEADER.iter().map(|h| h.to_string()).collect();
    if replicated {
        header.extend(CI_COLUMNS.iter().map(|(c, _)| format!("{c}_ci95")));
    }
    if endpoint {
        header.extend(ENDPOINT_COLUMNS.iter().map(|c| c.to_string()));
    }
    let mut out = header.join(",");
    out.push('\n');
    for s in &report.strategies {
        let mut cells = row(report, s);
        if replicated {
            cells.extend(CI_COLUMNS.iter().map(|(_, path)| opt(s.ci95_of(path))));
        }
        if endpoint {
            cells.extend(endpoint_cells(s));
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn quoting() {
        assert_eq!(field("poll@30s"), "poll@30s");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
