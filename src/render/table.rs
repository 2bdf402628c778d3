//! The table renderer: the strategies side by side, fitting a 120-column terminal.
//!
//! Columns: latency (mean, p50, p99, max), event accounting (missed, in flight, duplicates),
//! cost (requests, wasted, 429s, requests per day, peak quota use, throttled time, bytes per
//! day). A header names the scenario, seed, simulated span and wall time; notes under the table
//! say how to read it.

use comfy_table::{
    presets, CellAlignment, ColumnConstraint, ContentArrangement, Table, TableComponent, Width,
};

use super::text::{bytes, compact, group};
use crate::report::{Report, StrategyReport};
use crate::units::{format_duration, format_ms, SECOND};

fn lat(v: Option<f64>) -> String {
    v.map_or("—".into(), format_ms)
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

/// One row's cells, in [`COLUMNS`] order (shared with the Markdown renderer).
pub fn row(s: &StrategyReport) -> Vec<String> {
    let api = s.requests.total > 0;
    let dash = || "—".to_string();
    vec![
        s.label.clone(),
        lat(s.latency_ms.mean),
        lat(s.latency_ms.p50),
        lat(s.latency_ms.p99),
        lat(s.latency_ms.max),
        compact(s.events.missed as f64),
        compact(s.events.duplicates as f64),
        if api { compact(s.requests.total as f64) } else { dash() },
        if api { share(s.requests.wasted, s.requests.total) } else { dash() },
        if api { compact(s.requests.throttled as f64) } else { dash() },
        if s.webhooks.attempts > 0 { compact(s.webhooks.attempts as f64) } else { dash() },
        if api { compact(s.per_day.requests) } else { dash() },
        match s.rate_limit.quota {
            Some(_) if api => percent(s.rate_limit.peak_use),
            _ => dash(),
        },
        if s.rate_limit.throttled_s > 0.0 {
            format_duration((s.rate_limit.throttled_s * SECOND as f64) as u64)
        } else {
            "0".into()
        },
        bytes(s.per_day.bytes),
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

/// How to read the columns (shared with the Markdown renderer).
pub const LEGEND: &str = "latency: from the event at the source until the consumer holds its data (mean, median, 99th percentile, max).\n\
     missed: never detected and no longer detectable. dup: deliveries of an event already held.\n\
     calls: API requests (wasted: brought nothing new; 429s: refused over quota); hooks: webhook delivery attempts.\n\
     quota: peak share of the rate limit used in any window; throttled: time held back by 429s.\n\
     per day: the window's cost scaled to 24 hours (bytes both ways).";

/// The first line: scenario, seed, span, events, engine, wall time.
pub fn headline(report: &Report) -> String {
    let sc = &report.scenario;
    format!(
        "hookbench · scenario {} · seed {} · {} simulated (+{} drain) · {} events · {} engine · {}",
        sc.name,
        report.seed,
        format_duration(sc.duration),
        format_duration(sc.drain),
        group(report.run.events),
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
        out.push_str(&format!("{}\n", sc.description));
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
        out.push_str(&format!("live over loopback HTTP: {}\n", live.distortion));
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

    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_style(TableComponent::HeaderLines, '─')
        .set_style(TableComponent::MiddleHeaderIntersections, '─')
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(COLUMNS.to_vec());
    for s in &report.strategies {
        t.add_row(row(s));
    }
    for i in 1..15 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
            c.set_padding((0, 0));
        }
    }
    if let Some(c) = t.column_mut(0) {
        c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(10)));
        c.set_padding((0, 0));
    }
    out.push_str(&t.to_string());
    out.push('\n');

    let mut notes = notes(report);
    notes.push(LEGEND.into());
    for n in notes {
        out.push_str(&format!("\n{n}"));
    }
    out.push('\n');
    out
}

/// Notes about particular rows: events still in flight, intervals lengthened by the server.
pub fn notes(report: &Report) -> Vec<String> {
    let mut notes = Vec::new();
    let in_flight: Vec<String> = report
        .strategies
        .iter()
        .filter(|s| s.events.in_flight > 0)
        .map(|s| format!("{} {}", s.label, group(s.events.in_flight)))
        .collect();
    if !in_flight.is_empty() {
        notes.push(format!(
            "still in flight at the end (neither detected nor missed): {}",
            in_flight.join(", ")
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
