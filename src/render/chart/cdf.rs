//! The latency CDF chart: each row's ready latency distribution, log-scaled in latency, as a
//! hand-written SVG for the HTML report.
//!
//! Owns one picture of the rows' [`Cdf`]s: the share of events ready within a latency (y, 0 to
//! 100%) against that latency (x, log-scaled), one line per row, rows whose curves are equal
//! named together in the legend (as the sweep chart does). The p50, p90 and p99 levels are guide
//! lines; the scenario's outages are marked at their length (an event that happens as one begins
//! waits about that long), and the `[target]` is a point the curves must pass left of. It only
//! formats report fields: positions are scales of reported numbers, never new statistics.

use std::fmt::Write as _;

use super::draw::{colour, esc, text_w};
use super::timeline::{
    dash, grouped, head, latency_range, legend, path, width, windows, BOTTOM, H, LATENCY_TICKS, LEFT, RIGHT,
    TOP, W,
};
use crate::result::report::{Cdf, Report, StrategyReport};
use crate::support::units::{format_duration, MILLI};

/// Ready latency's CDF per row. `None` when no row carries one.
pub fn render(report: &Report) -> Option<String> {
    let rows: Vec<(&StrategyReport, &Cdf)> =
        report.strategies.iter().filter_map(|r| r.ready_cdf.as_ref().map(|c| (r, c))).collect();
    if rows.is_empty() {
        return None;
    }
    let target = report.scenario.target.latency.map(|(stat, us)| (stat, us as f64 / MILLI as f64));
    let marks = windows(report, false);
    let values = rows.iter().flat_map(|(_, c)| c.ms.iter().copied());
    let extra = target.map(|t| t.1).into_iter().chain(marks.iter().map(|w| w.1 as f64 / MILLI as f64));
    let (lo, hi) = latency_range(values.chain(extra));
    let (x0, x1, y0, y1) = (LEFT, W - RIGHT, H - BOTTOM, TOP);
    let x = |ms: f64| {
        x0 + ((ms.max(lo).log10() - lo.log10()) / (hi.log10() - lo.log10())).clamp(0.0, 1.0) * (x1 - x0)
    };
    let y = |q: f64| y0 - q.clamp(0.0, 1.0) * (y0 - y1);

    let mut s = head(report, "Ready latency distribution (share of events ready within a latency)");
    for q in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = writeln!(
            s,
            r##"<line x1="{x0}" x2="{x1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#e3e3e3"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#444">{}%</text>"##,
            x0 - 6.0,
            y(q) + 4.0,
            (q * 100.0).round(),
            yy = y(q)
        );
    }
    for (q, name) in [(0.5, "p50"), (0.9, "p90"), (0.99, "p99")] {
        let _ = writeln!(
            s,
            r##"<line x1="{x0}" x2="{x1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#888" stroke-dasharray="2 4"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11" fill="#555">{name}</text>"##,
            x1 - 4.0,
            y(q) + 12.0,
            yy = y(q)
        );
    }
    for (v, label) in LATENCY_TICKS.iter().filter(|(v, _)| *v >= lo * 0.999 && *v <= hi * 1.001) {
        let xx = x(*v);
        let _ = writeln!(
            s,
            r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{y1}" y2="{y0}" stroke="#e3e3e3"/><text x="{xx:.1}" y="{:.1}" text-anchor="middle" fill="#444">{label}</text>"##,
            y0 + 18.0
        );
    }
    let _ = writeln!(
        s,
        r##"<rect x="{x0}" y="{y1}" width="{:.1}" height="{:.1}" fill="none" stroke="#888"/>
<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#444">ready latency (log scale)</text>
<text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle" fill="#444">events ready within it</text>"##,
        x1 - x0,
        y0 - y1,
        (x0 + x1) / 2.0,
        H - 10.0,
        (y0 + y1) / 2.0,
    );
    for (i, (_, len, what, colour)) in marks.iter().enumerate() {
        let xx = x(*len as f64 / MILLI as f64);
        let label = format!("{what} {}", format_duration(*len));
        let (tx, anchor) =
            if xx + text_w(&label, 11.0) + 4.0 < x1 { (xx + 4.0, "start") } else { (xx - 4.0, "end") };
        let _ = writeln!(
            s,
            r##"<g class="window"><title>{l}: an event that happens as it begins waits about this long</title><line x1="{xx:.1}" x2="{xx:.1}" y1="{y1}" y2="{y0}" stroke="{colour}" stroke-width="1.5" stroke-dasharray="6 3"/><text x="{tx:.1}" y="{:.1}" text-anchor="{anchor}" font-size="11" fill="{colour}">{l}</text></g>"##,
            y1 - 6.0 - 12.0 * (i % 2) as f64,
            l = esc(&label)
        );
    }
    if let Some((stat, ms)) = target {
        let xx = x(ms);
        let label = format!("target {} ≤ {}", stat.name(), format_duration((ms * MILLI as f64) as u64));
        let point = stat.quantile().map_or(String::new(), |q| {
            format!(
                r##"<circle cx="{xx:.1}" cy="{:.1}" r="4.5" fill="none" stroke="#000" stroke-width="1.5"/>"##,
                y(q)
            )
        });
        let _ = writeln!(
            s,
            r##"<g><title>{l}: a row meets it where its curve passes left of the circle</title><line x1="{xx:.1}" x2="{xx:.1}" y1="{y1}" y2="{y0}" stroke="#000" stroke-width="1.2" stroke-dasharray="3 3"/>{point}<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11" fill="#000">{l}</text></g>"##,
            xx - 4.0,
            y1 + 14.0,
            l = esc(&label)
        );
    }
    // The minimum is one event lying on the axis: rows that differ only there draw one curve.
    let mut entries = Vec::new();
    for (i, (label, r, c)) in
        grouped(&rows, |c: &Cdf| c.ms.iter().skip(1).map(|&ms| Some(x(ms))).collect()).iter().enumerate()
    {
        let stroke = colour(&r.name);
        let d = path(c.q.iter().zip(&c.ms).map(|(&q, &ms)| Some((x(ms), y(q)))));
        let _ = writeln!(
            s,
            r##"<path d="{d}" fill="none" stroke="{stroke}" stroke-width="{:.1}" stroke-dasharray="{}" stroke-linejoin="round"><title>{} ready latency CDF</title></path>"##,
            width(i),
            dash(i),
            esc(label)
        );
        entries.push((label.clone(), stroke, dash(i)));
    }
    legend(&mut s, &entries);
    s.push_str("</svg>\n");
    Some(s)
}
