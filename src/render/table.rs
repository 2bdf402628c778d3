//! The table renderer: the strategies side by side, fitting a 120-column terminal.
//!
//! Columns: ready latency (mean, p50, p99, max: from the event until it is processed — detection
//! where the receiver is unlimited), event accounting (missed, with `+N` in flight when any, and
//! the row marked `*`; duplicates), cost (requests, wasted, 429s, requests per day, peak quota
//! use, throttled time, bytes per day). When the receiver's capacity is finite the first table
//! says its latency is ready latency and counts the duplicates that were processed; a second
//! table gives detection latency, the duplicates delivered and the receiver's queue. A header
//! names the scenario, seed, simulated span and wall time; the verdict and notes under the table
//! say what to do and how to read it.

use comfy_table::{
    presets, CellAlignment, ColumnConstraint, ContentArrangement, Table, TableComponent, Width,
};

use super::text::{bytes, compact, escape, group};
use crate::result::report::{Report, StrategyReport};
use crate::support::units::{format_duration, format_ms, SECOND};

fn lat(v: Option<f64>) -> String {
    v.map_or("—".into(), format_ms)
}

/// A latency with its 95% half-width in a replicated run, as a share of the mean (`15.1s ±2%`:
/// one unit for every cell, stated once in the legend).
pub fn lat_ci(v: Option<f64>, ci: Option<f64>) -> String {
    pm(lat(v), v, ci)
}

/// `text` (the figure `v` as shown) with its 95% half-width `ci` as a share of `v`: `±2%`,
/// `±<1%`; nothing when every replication agreed; `±N` (absolute) for a mean of 0.
fn pm(text: String, v: Option<f64>, ci: Option<f64>) -> String {
    match (v, ci) {
        (Some(v), Some(hw)) if hw > 0.0 && text != "—" => {
            if v.abs() < f64::EPSILON {
                format!("{text} ±{}", compact(hw))
            } else {
                let p = hw / v.abs() * 100.0;
                if p < 1.0 {
                    format!("{text} ±<1%")
                } else {
                    format!("{text} ±{p:.0}%")
                }
            }
        }
        _ => text,
    }
}

/// A count shown as `text`, of mean `v`, with its 95% half-width in a replicated run
/// (`12 ±25%`); a count that was the same in every replication shows no `±`.
fn count_ci(text: String, v: f64, ci: Option<f64>) -> String {
    pm(text, Some(v), ci)
}

fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        "—".into()
    } else {
        let p = part as f64 * 100.0 / whole as f64;
        if p > 0.0 && p < 1.0 {
            format!("{p:.1}%")
        } else {
            format!("{p:.0}%")
        }
    }
}

/// A share 0–1 as a percentage; a non-zero share under 1% shows as `<1%`.
fn percent(x: f64) -> String {
    if x > 0.0 && x < 0.005 {
        "<1%".into()
    } else {
        format!("{:.0}%", x * 100.0)
    }
}

/// Marks a row with events still in flight at the end.
pub const IN_FLIGHT_MARK: char = '*';

/// `part` of `whole` as a whole percentage that never rounds a part to 0% or 100%.
fn part_of(part: u64, whole: u64) -> String {
    let p = part as f64 * 100.0 / whole.max(1) as f64;
    match p {
        _ if part == 0 => "0%".into(),
        _ if p < 1.0 => "<1%".into(),
        _ if part < whole && p > 99.0 => ">99%".into(),
        _ => format!("{p:.0}%"),
    }
}

/// Whether the report's receiver has finite capacity: then latency is ready latency (event →
/// processed) and differs from detection.
pub fn finite(report: &Report) -> bool {
    report.strategies.iter().any(|s| s.processed_ms.is_some())
}

/// One row's cells, in [`COLUMNS`] order (shared with the Markdown renderer): ready latency; the
/// duplicates processed when the receiver is `finite`, else those delivered.
pub fn row(s: &StrategyReport, finite: bool) -> Vec<String> {
    // A figure that does not apply to the row (report.rs decides) is `—`, as in the JSON `null`.
    let (label, missed) = if s.events.in_flight > 0 {
        // Undetected and not yet missed: say so in the row, and mark the row (its latencies
        // cover only the detected share; the note under the table says how much that is).
        (
            format!("{} {IN_FLIGHT_MARK}", s.label),
            format!("{} +{}", compact(s.events.missed as f64), compact(s.events.in_flight as f64)),
        )
    } else {
        (s.label.clone(), compact(s.events.missed as f64))
    };
    let ci = |path: &str| s.ci95_of(path);
    let mut cells = vec![
        label,
        lat_ci(s.ready_ms.mean, ci("ready_ms.mean")),
        lat_ci(s.ready_ms.p50, ci("ready_ms.p50")),
        lat_ci(s.ready_ms.p99, ci("ready_ms.p99")),
        lat_ci(s.ready_ms.max, ci("ready_ms.max")),
        count_ci(missed, s.events.missed as f64, ci("events.missed")),
        match s.processing.as_ref().filter(|_| finite) {
            Some(p) => {
                count_ci(compact(p.duplicates as f64), p.duplicates as f64, ci("processing.duplicates"))
            }
            None => count_ci(
                compact(s.events.duplicates as f64),
                s.events.duplicates as f64,
                ci("events.duplicates"),
            ),
        },
    ];
    cells.extend(costs(s));
    cells
}

/// A row's cost cells, in [`COLUMNS`] order from `calls` on (with their intervals on a
/// replicated run).
fn costs(s: &StrategyReport) -> Vec<String> {
    let dash = || "—".to_string();
    let ci = |path: &str| s.ci95_of(path);
    let count =
        |v: Option<u64>, path: &str| v.map_or_else(dash, |v| count_ci(compact(v as f64), v as f64, ci(path)));
    vec![
        count(s.requests.total, "requests.total"),
        match (s.requests.wasted, s.requests.total) {
            (Some(w), Some(t)) => share(w, t),
            _ => dash(),
        },
        count(s.requests.throttled, "requests.throttled"),
        count(s.webhooks.attempts, "webhooks.attempts"),
        s.per_day.requests.map_or_else(dash, |v| count_ci(compact(v), v, ci("per_day.requests"))),
        pm(
            s.rate_limit.peak_use.map_or_else(dash, percent),
            s.rate_limit.peak_use,
            ci("rate_limit.peak_use"),
        ),
        pm(
            if s.rate_limit.throttled_s > 0.0 {
                format_duration((s.rate_limit.throttled_s * SECOND as f64) as u64)
            } else {
                "0".into()
            },
            Some(s.rate_limit.throttled_s),
            ci("rate_limit.throttled_s"),
        ),
        pm(bytes(s.per_day.bytes), Some(s.per_day.bytes), ci("per_day.bytes")),
    ]
}

/// The column headings.
pub const COLUMNS: [&str; 15] = [
    "strategy",
    "mean",
    "p50",
    "p99",
    "max",
    "missed",
    "dup",
    "calls",
    "wasted",
    "429s",
    "hooks",
    "calls/day",
    "quota",
    "throttled",
    "bytes/day",
];

/// How to read the columns (shared with the Markdown renderer), for a report whose receiver
/// has finite capacity or not.
pub fn legend(finite: bool) -> String {
    let head = if finite {
        "latency (ready): from the event at the source until the receiver has processed it (mean, median, 99th percentile, max);\n\
         detection (second table): until the consumer first holds its data, before queueing and processing.\n\
         missed: never detected and no longer detectable. dup: jobs processed again for an event the workers already had\n\
         (the second table's dup: deliveries of an event already held).\n"
    } else {
        "latency: from the event at the source until the consumer holds its data (mean, median, 99th percentile, max).\n\
         missed: never detected and no longer detectable. dup: deliveries of an event already held.\n"
    };
    format!("{head}{LEGEND_COSTS}")
}

/// The cost lines of the legend.
const LEGEND_COSTS: &str = "\
     calls: API requests (wasted: brought nothing new; 429s: refused over quota); hooks: webhook delivery attempts.\n\
     quota: peak share of the rate limit used in any window; throttled: time held back by 429s.\n\
     per day: the window's cost scaled to 24 hours (bytes both ways).";

/// The first line: scenario, seed, span, events, engine, wall time.
pub fn headline(report: &Report) -> String {
    let sc = &report.scenario;
    let seed = match &report.replications {
        Some(r) => format!("base seed {} · {} replications, mean ±95% CI", r.base_seed, r.count),
        None => format!("seed {}", report.seed),
    };
    // With event types nobody subscribes to, the rows count only the subscribed ones.
    let events = match report.strategies.first().map(|r| r.events.total) {
        Some(n) if !sc.webhook.subscribe.is_empty() && n < report.run.events => {
            format!("{} events ({} of the subscribed types)", group(report.run.events), group(n))
        }
        _ => format!("{} events", group(report.run.events)),
    };
    format!(
        "hookbench · scenario {} · {seed} · {} simulated (+{} drain) · {events} · {} engine · {}",
        escape(&sc.name),
        format_duration(sc.duration),
        format_duration(sc.drain),
        report.engine,
        format_wall(report.wall_time_s),
    )
}

/// Renders the table with its header and notes.
pub fn render(report: &Report) -> String {
    let sc = &report.scenario;
    let mut out = String::new();
    out.push_str(&format!("{}\n", headline(report)));
    if !sc.description.is_empty() {
        out.push_str(&format!("{}\n", escape(&sc.description)));
    }
    if let Some(covered) = report.run.covered_s.filter(|_| report.run.partial) {
        out.push_str(&format!(
            "PARTIAL: stopped after {} of {} (+{} drain) simulated; every number covers that span only\n",
            format_duration((covered * SECOND as f64) as u64),
            format_duration(sc.duration),
            format_duration(sc.drain),
        ));
    }
    if let Some(live) = &report.live {
        let over = if live.tls { "HTTPS (TLS 1.3/1.2)" } else { "HTTP" };
        out.push_str(&format!("live over loopback {over}: {}\n", live.distortion));
        out.push_str(&format!(
            "live lag: p50 {} p99 {} max {} (scenario time; p99 up to {} is absorbed) · ended at {} of {} (+{} drain)\n",
            format_ms(live.lag_ms.p50),
            format_ms(live.lag_ms.p99),
            format_ms(live.lag_ms.max),
            format_ms(crate::live::engine::lag_bound_ms(live.speedup)),
            format_duration((live.ended_s * SECOND as f64) as u64),
            format_duration(sc.duration),
            format_duration(sc.drain),
        ));
    }
    out.push('\n');

    let finite = finite(report);
    if finite {
        out.push_str(&format!(
            "ready latency: from the event until the receiver has processed it ({})\n",
            receiver(report)
        ));
    }
    let rows: Vec<Vec<String>> = report.strategies.iter().map(|s| row(s, finite)).collect();
    if report.replications.is_some() {
        // Intervals widen every cell: latency and events in one table, costs in a second, so
        // each fits in 120 columns.
        let split = COLUMNS.iter().position(|c| *c == "calls").unwrap_or(COLUMNS.len());
        let head: Vec<Vec<String>> = rows.iter().map(|r| r[..split].to_vec()).collect();
        out.push_str(&plain(COLUMNS[..split].to_vec(), head).to_string());
        out.push_str("\n\n");
        let cost: Vec<Vec<String>> = rows
            .iter()
            .map(|r| std::iter::once(r[0].clone()).chain(r[split..].iter().cloned()).collect())
            .collect();
        let header: Vec<&str> = std::iter::once("cost").chain(COLUMNS[split..].iter().copied()).collect();
        out.push_str(&plain(header, cost).to_string());
    } else {
        out.push_str(&plain(COLUMNS.to_vec(), rows).to_string());
    }
    out.push('\n');
    if let Some(v) = &report.verdict {
        out.push('\n');
        out.push_str(&super::verdict::wrapped(v, 118));
    }

    if let Some(p) = processing(report) {
        out.push('\n');
        out.push_str(&p);
    }
    if let Some(d) = delivery(report) {
        out.push('\n');
        out.push_str(&d);
    }

    let mut notes = notes(report);
    notes.push(legend(finite));
    if let Some(r) = &report.replications {
        notes.push(format!(
            "±: the 95% confidence half-width over {} replications, as a share of the mean (for a mean of 0, as a count);\n\
             no ± where every replication agreed. Thresholds judge each figure's pessimistic bound.",
            r.count
        ));
    }
    for n in notes {
        out.push_str(&format!("\n{n}"));
    }
    out.push('\n');
    out
}

/// The receiver's capacity in words: `2 workers, answering after processing`.
pub fn receiver(report: &Report) -> String {
    let c = &report.scenario.receiver.capacity;
    let workers = match c.workers {
        None => "unlimited workers".to_string(),
        Some(1) => "1 worker".to_string(),
        Some(w) => format!("{w} workers"),
    };
    let ack = match c.ack {
        crate::model::capacity::Ack::AfterProcessing => "answering after processing",
        crate::model::capacity::Ack::OnReceipt => "answering on receipt",
    };
    format!("{workers}, {ack}")
}

/// The columns of the detection table ([`processing_rows`]).
pub const PROCESSING_COLUMNS: [&str; 8] =
    ["detection", "mean", "p50", "p99", "max", "dup", "backlog", "503s"];

/// The detection table's rows, when the receiver's capacity is finite: each row's detection
/// latency (event → the consumer holds its data), the duplicates delivered, and the receiver's
/// peak backlog and refusals.
pub fn processing_rows(report: &Report) -> Vec<Vec<String>> {
    let mut cells = Vec::new();
    for s in report.strategies.iter().filter(|s| s.processed_ms.is_some()) {
        let (l, b) = (&s.latency_ms, s.processing.as_ref());
        cells.push(vec![
            s.label.clone(),
            lat_ci(l.mean, s.ci95_of("latency_ms.mean")),
            lat_ci(l.p50, s.ci95_of("latency_ms.p50")),
            lat_ci(l.p99, s.ci95_of("latency_ms.p99")),
            lat_ci(l.max, s.ci95_of("latency_ms.max")),
            count_ci(
                compact(s.events.duplicates as f64),
                s.events.duplicates as f64,
                s.ci95_of("events.duplicates"),
            ),
            b.map_or("—".into(), |b| compact(b.peak_backlog as f64)),
            b.map_or("—".into(), |b| compact(b.rejected as f64)),
        ]);
    }
    cells
}

/// The heading over the detection table.
pub const PROCESSING_HEADING: &str =
    "detection (event → the consumer holds its data) and the receiver's queue; dup: deliveries of an event already held";

/// The detection table, when the receiver's capacity is finite.
pub fn processing(report: &Report) -> Option<String> {
    let cells = processing_rows(report);
    if cells.is_empty() {
        return None;
    }
    let t = plain(PROCESSING_COLUMNS.to_vec(), cells);
    Some(format!("{}\n{t}\n", PROCESSING_HEADING))
}

/// The columns of `serve --report`'s endpoint table ([`delivery_rows`]).
pub const DELIVERY_COLUMNS: [&str; 13] =
    ["ack", "mean", "p50", "p99", "max", "5xx", "4xx", "410", "timeout", "refused", "tls", "retried", "dead"];

/// The heading over the endpoint table.
pub const DELIVERY_HEADING: &str =
    "webhook endpoint: from sending a delivery until its 2xx; failed attempts by kind";

/// `serve --report`'s endpoint rows as cells under [`DELIVERY_COLUMNS`]: ack latency (delivery
/// sent → 2xx) and failed attempts by kind; empty when no row has them.
pub fn delivery_rows(report: &Report) -> Vec<Vec<String>> {
    let count = |n: u64| compact(n as f64);
    report
        .strategies
        .iter()
        .filter_map(|s| {
            let (a, f) = (s.ack_ms.as_ref()?, s.failures?);
            let hooks = |v: Option<u64>| v.map_or("—".into(), count);
            Some(vec![
                s.label.clone(),
                lat(a.mean),
                lat(a.p50),
                lat(a.p99),
                lat(a.max),
                count(f.server_error),
                count(f.client_error),
                count(f.gone),
                count(f.timeout),
                count(f.refused),
                count(f.tls),
                hooks(s.webhooks.retried),
                hooks(s.webhooks.dead_lettered),
            ])
        })
        .collect()
}

/// `serve --report`'s endpoint table, when the report has an endpoint row.
pub fn delivery(report: &Report) -> Option<String> {
    let cells = delivery_rows(report);
    if cells.is_empty() {
        return None;
    }
    let t = plain(DELIVERY_COLUMNS.to_vec(), cells);
    Some(format!("{DELIVERY_HEADING}\n{t}\n"))
}

/// A table in the house style: a rule under the header, no borders, the first column (the row
/// label) left-aligned and at least 10 wide, every other column right-aligned.
fn plain(header: Vec<&str>, rows: Vec<Vec<String>>) -> Table {
    let columns = header.len();
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_style(TableComponent::HeaderLines, '─')
        .set_style(TableComponent::MiddleHeaderIntersections, '─')
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header);
    for r in rows {
        t.add_row(r);
    }
    for i in 1..columns {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
            c.set_padding((0, 0));
        }
    }
    if let Some(c) = t.column_mut(0) {
        c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(10)));
        c.set_padding((0, 0));
    }
    t
}

/// Notes about particular rows: events still in flight (one line per marked row), intervals
/// lengthened by the server.
pub fn notes(report: &Report) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(t) = &report.scenario.events.trace {
        notes.push(format!(
            "trace {}: {} events, times read as {}",
            escape(&t.file),
            group(t.rows_total as u64),
            t.times.describe()
        ));
    }
    for s in report.strategies.iter().filter(|s| s.events.in_flight > 0) {
        let e = &s.events;
        notes.push(format!(
            "{IN_FLIGHT_MARK} {}: {} of {} events ({}) still in flight at the end, neither detected nor missed\n  \
             (the +{} under missed); its latencies cover only the {} it detected",
            s.label,
            group(e.in_flight),
            group(e.total),
            part_of(e.in_flight, e.total),
            compact(e.in_flight as f64),
            part_of(e.detected, e.total),
        ));
    }
    let failed: Vec<String> = report
        .strategies
        .iter()
        .filter(|s| s.requests.failed > 0 || s.requests.breaker_openings > 0)
        .map(|s| {
            let r = &s.requests;
            let breaker = if r.breaker_openings > 0 {
                format!(
                    " (breaker opened {}×, {} calls saved)",
                    group(r.breaker_openings),
                    group(r.breaker_saved)
                )
            } else {
                String::new()
            };
            format!("{} {}{breaker}", s.label, group(r.failed))
        })
        .collect();
    if !failed.is_empty() {
        notes.push(format!(
            "failed calls (5xx or no answer; retried with backoff):\n  {}",
            failed.join("\n  ")
        ));
    }
    let hinted: Vec<String> = report
        .strategies
        .iter()
        .filter_map(|s| match (s.interval_s, s.effective_interval_s) {
            (Some(a), Some(b)) if b > a => {
                Some(format!("{} polled every {}", s.label, format_duration((b * SECOND as f64) as u64)))
            }
            _ => None,
        })
        .collect();
    if !hinted.is_empty() {
        notes.push(format!("X-Poll-Interval obeyed: {}", hinted.join(", ")));
    }
    notes
}

fn format_wall(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else {
        format!("{s:.1} s")
    }
}
