//! The sweep chart: detection latency (p50 and p99) against HTTP requests per day, both axes
//! log-scaled, as a hand-written SVG ([`super::png`] rasterises it on request).
//!
//! Owns the layout: poll strategies are lines through their swept intervals (p50 solid, p99
//! dashed; a line lying on another is drawn with gaps so both colours show, and the legend says
//! `poll-etag = poll`), push strategies are marked reference points (p50 filled, p99 hollow,
//! joined by a bar), a cross marks a row that missed events, the quota is a vertical line and a
//! latency target a horizontal one; a replicated run's 95% intervals are bands around the poll
//! lines and capped bars through the push marks; a top axis reads the poll interval; the legend
//! ([`legend`]) sits outside the plot so nothing overlaps. Points that would hide one another
//! are merged, labelled or nudged apart by [`marks`]. Webhooks make no API requests, so every row
//! is placed at its whole HTTP cost per day (API requests plus webhook deliveries received, see
//! [`crate::result::measure::http_requests_per_day`]) and the legend says so. It only formats report
//! fields: positions are scales of reported numbers, never new statistics.

pub mod cdf;
pub mod draw;
mod legend;
mod marks;
pub mod timeline;

use std::fmt::Write as _;

use draw::{colour, esc, text_w, BOTTOM, FONT, H, LEFT, RIGHT, TOP, W};
use legend::Coincidence;
use marks::{Dot, Push};

use super::text;
use crate::result::measure::{quota_per_day, Measure};
use crate::result::report::{Report, StrategyReport};
use crate::strategy::StrategyKind;
use crate::support::units::{format_duration, format_ms, SECOND};

/// A run's pictures, each named: ready latency over time (`latency`), events not yet ready
/// (`behind`), the receiver's backlog (`backlog`, a finite receiver only), API requests with
/// 429s and the quota (`requests`, rows that call the API), and the latency CDF (`cdf`). Only
/// those the report has data for.
pub fn run_charts(report: &Report) -> Vec<(&'static str, String)> {
    [
        ("latency", timeline::latency(report)),
        ("behind", timeline::behind(report)),
        ("backlog", timeline::backlog(report)),
        ("requests", timeline::requests(report)),
        ("cdf", cdf::render(report)),
    ]
    .into_iter()
    .filter_map(|(name, svg)| svg.map(|s| (name, s)))
    .collect()
}

/// A log axis from `lo` to `hi` onto pixels `a` to `b`.
#[derive(Clone, Copy)]
struct LogAxis {
    lo: f64,
    hi: f64,
    a: f64,
    b: f64,
}

impl LogAxis {
    fn at(&self, v: f64) -> f64 {
        let t = (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10());
        self.a + t * (self.b - self.a)
    }
}

struct Point<'a> {
    row: &'a StrategyReport,
    x: f64,
    p50: Option<f64>,
    p99: Option<f64>,
}

/// Latency ticks people read: 1 ms … 1 d.
const Y_TICKS_MS: [f64; 12] = [1.0, 10.0, 100.0, 1e3, 1e4, 6e4, 6e5, 3.6e6, 3.6e7, 8.64e7, 8.64e8, 8.64e9];

fn count_label(v: f64) -> String {
    match v {
        v if v >= 1e9 => format!("{:.0}G", v / 1e9),
        v if v >= 1e6 => format!("{:.0}M", v / 1e6),
        v if v >= 1e3 => format!("{:.0}k", v / 1e3),
        v => format!("{v:.0}"),
    }
}

/// Two poll series closer than this (pixels) at every point are one line to the eye.
const COINCIDE: f64 = 2.0;

/// A drawn poll series: strategy, percentile, points in pixels.
type Line<'a> = (&'a str, &'static str, Vec<(f64, f64)>);

/// Whether two series' points (in pixels) lie on one another.
fn coincide(a: &[(f64, f64)], b: &[(f64, f64)]) -> bool {
    !a.is_empty()
        && a.len() == b.len()
        && a.iter().zip(b).all(|(p, q)| (p.0 - q.0).abs() < COINCIDE && (p.1 - q.1).abs() < COINCIDE)
}

/// The dash pattern of a poll series: p50 solid, p99 dashed; a series lying on `layer` others is
/// drawn with gaps through which the ones under it show.
fn dash(pct: &str, layer: usize) -> &'static str {
    match (pct, layer) {
        ("p50", 0) => "",
        ("p50", 1) => r#" stroke-dasharray="9 9""#,
        ("p50", _) => r#" stroke-dasharray="3 15""#,
        (_, 0) => r#" stroke-dasharray="7 4""#,
        (_, 1) => r#" stroke-dasharray="3.5 7.5""#,
        _ => r#" stroke-dasharray="2 9""#,
    }
}

/// The 95% confidence half-width of a row's ready latency at `pct`, in a replicated run.
fn ci(row: &StrategyReport, pct: &str) -> Option<f64> {
    row.ci95_of(&format!("ready_ms.{pct}")).filter(|h| *h > 0.0)
}

/// A replicated poll series' 95% interval at `pct`: a band around its line (none for a single
/// run).
fn band(s: &mut String, pts: &[&Point], pct: &str, xa: LogAxis, ya: LogAxis, c: &str) {
    let at = |p: &Point| {
        let v = if pct == "p50" { p.p50 } else { p.p99 }?;
        let h = ci(p.row, pct)?;
        Some((xa.at(p.x), ya.at((v + h).min(ya.hi)), ya.at((v - h).max(ya.lo))))
    };
    let edges: Vec<(f64, f64, f64)> = pts.iter().filter_map(|p| at(p)).collect();
    if edges.is_empty() {
        return;
    }
    let mut d = String::new();
    for (i, (x, hi, _)) in edges.iter().enumerate() {
        let _ = write!(d, "{}{x:.1},{hi:.1}", if i == 0 { "M" } else { "L" });
    }
    for (x, _, lo) in edges.iter().rev() {
        let _ = write!(d, "L{x:.1},{lo:.1}");
    }
    let _ = writeln!(
        s,
        r##"<path class="band" d="{d}Z" fill="{c}" fill-opacity="0.16" stroke="none"><title>{} {pct}: 95% interval over the replications</title></path>"##,
        esc(&pts[0].row.name)
    );
}

/// A replicated push row's 95% intervals: a capped bar through each of its marks.
fn whiskers(s: &mut String, p: &Push, ya: LogAxis) {
    let c = colour(&p.row.name);
    for pct in ["p50", "p99"] {
        let v = if pct == "p50" { Measure::P50.of(p.row) } else { Measure::P99.of(p.row) };
        let (Some(v), Some(h)) = (v, ci(p.row, pct)) else { continue };
        let (top, bottom) = (ya.at((v + h).min(ya.hi)), ya.at((v - h).max(ya.lo)));
        let (l, r) = (p.x - 5.0, p.x + 5.0);
        let _ = writeln!(
            s,
            r##"<path class="band" d="M{l:.1},{top:.1}H{r:.1}M{x:.1},{top:.1}V{bottom:.1}M{l:.1},{bottom:.1}H{r:.1}" stroke="{c}" stroke-width="1.2" fill="none"><title>{} {pct}: 95% interval over the replications</title></path>"##,
            esc(&p.row.label),
            x = p.x
        );
    }
}

/// Renders the sweep chart as SVG. `target_ms` draws the latency target, if given.
pub fn render(report: &Report, target_ms: Option<f64>) -> String {
    let points: Vec<Point> = report
        .strategies
        .iter()
        .map(|row| Point {
            row,
            x: Measure::HttpRequestsPerDay.of(row).unwrap_or(0.0),
            p50: Measure::P50.of(row).filter(|v| *v > 0.0),
            p99: Measure::P99.of(row).filter(|v| *v > 0.0),
        })
        .filter(|p| p.x > 0.0 && (p.p50.is_some() || p.p99.is_some()))
        .collect();
    let quota = quota_per_day(report);

    // Ranges, padded out to decades (x) and to readable latency ticks (y).
    let xs = points.iter().map(|p| p.x).chain(quota);
    let (xmin, xmax) = xs.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let (xmin, xmax) = if xmin.is_finite() { (xmin, xmax) } else { (1.0, 10.0) };
    let x_lo = 10f64.powf(xmin.log10().floor());
    let x_hi = 10f64.powf(xmax.log10().ceil()).max(x_lo * 10.0);
    let ys = points.iter().flat_map(|p| [p.p50, p.p99]).flatten().chain(target_ms);
    let (ymin, ymax) = ys.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let (ymin, ymax) = if ymin.is_finite() { (ymin, ymax) } else { (1.0, 1e3) };
    let y_lo = Y_TICKS_MS.iter().rev().copied().find(|t| *t <= ymin).unwrap_or(1.0);
    let y_hi =
        Y_TICKS_MS.iter().copied().find(|t| *t >= ymax * 1.0001).unwrap_or(ymax * 10.0).max(y_lo * 10.0);

    let (px0, px1, py0, py1) = (LEFT, W - RIGHT, H - BOTTOM, TOP);
    let xa = LogAxis { lo: x_lo, hi: x_hi, a: px0, b: px1 };
    let ya = LogAxis { lo: y_lo, hi: y_hi, a: py0, b: py1 };

    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="{FONT}" font-size="12">
<title>hookbench sweep: detection latency vs HTTP requests per day, scenario {name}</title>
<rect width="{W}" height="{H}" fill="#ffffff"/>
"##,
        name = esc(&report.scenario.name)
    );
    // Title.
    let sc = &report.scenario;
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="26" font-size="17" font-weight="bold" fill="#222">Ready latency vs. cost · scenario {}</text>"##,
        esc(&sc.name)
    );
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="46" font-size="12" fill="#555">{} simulated · seed {} · {} engine · hookbench {} · both axes log-scaled{}</text>"##,
        format_duration(sc.duration),
        report.seed,
        esc(&report.engine),
        esc(&report.hookbench_version),
        report.replications.as_ref().map_or(String::new(), |r| format!(
            " · bands and bars: 95% intervals over {} replications",
            r.count
        ))
    );

    // Plot frame and grid.
    let _ = writeln!(
        s,
        r##"<rect x="{px0}" y="{py1}" width="{}" height="{}" fill="#fafafa" stroke="#888" stroke-width="1"/>"##,
        px1 - px0,
        py0 - py1
    );
    let mut d = x_lo;
    while d <= x_hi * 1.0001 {
        for m in 2..10 {
            let v = d * f64::from(m);
            if v < x_hi {
                let x = xa.at(v);
                let _ =
                    writeln!(s, r##"<line x1="{x:.1}" y1="{py1}" x2="{x:.1}" y2="{py0}" stroke="#eee"/>"##);
            }
        }
        let x = xa.at(d);
        let _ = writeln!(s, r##"<line x1="{x:.1}" y1="{py1}" x2="{x:.1}" y2="{py0}" stroke="#ddd"/>"##);
        let _ = writeln!(
            s,
            r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#333">{}</text>"##,
            py0 + 18.0,
            count_label(d)
        );
        d *= 10.0;
    }
    for t in Y_TICKS_MS.iter().copied().filter(|t| *t >= y_lo && *t <= y_hi) {
        let y = ya.at(t);
        let _ = writeln!(s, r##"<line x1="{px0}" y1="{y:.1}" x2="{px1}" y2="{y:.1}" stroke="#ddd"/>"##);
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#333">{}</text>"##,
            px0 - 8.0,
            y + 4.0,
            format_ms(t)
        );
    }
    // Axis titles.
    let _ = writeln!(
        s,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="13" fill="#222">HTTP requests per day (API calls + webhook deliveries received)</text>"##,
        (px0 + px1) / 2.0,
        H - 30.0
    );
    let _ = writeln!(
        s,
        r##"<text transform="translate(22 {:.1}) rotate(-90)" text-anchor="middle" font-size="13" fill="#222">ready latency (event → processed; detection when the receiver is unlimited)</text>"##,
        (py0 + py1) / 2.0
    );

    // Top axis: the poll interval that costs that many requests a day (one request per poll).
    let _ = writeln!(
        s,
        r##"<text x="{px0}" y="{:.1}" font-size="11" fill="#555">poll interval (1 request per poll) →</text>"##,
        py1 - 26.0
    );
    let mut intervals: Vec<f64> = report
        .strategies
        .iter()
        .filter(|r| StrategyKind::parse(&r.name).is_ok_and(StrategyKind::polls_at_interval))
        .filter_map(|r| r.interval_s)
        .collect();
    intervals.sort_by(|a, b| b.total_cmp(a));
    intervals.dedup();
    let mut last_x = f64::NEG_INFINITY;
    for i in intervals {
        let v = 86_400.0 / i;
        if v < x_lo || v > x_hi {
            continue;
        }
        let x = xa.at(v);
        let label = format_duration((i * SECOND as f64).round() as u64);
        if x - last_x < text_w(&label, 11.0) + 6.0 {
            continue;
        }
        last_x = x;
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{py1}" x2="{x:.1}" y2="{:.1}" stroke="#888"/>"##,
            py1 - 5.0
        );
        let _ = writeln!(
            s,
            r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="#555">{label}</text>"##,
            py1 - 9.0
        );
    }

    // Reference lines.
    if let Some(q) = quota.filter(|q| *q >= x_lo && *q <= x_hi) {
        let x = xa.at(q);
        let rl = sc.api.rate_limit.as_ref().map(text::quota).unwrap_or_default();
        let label = format!("quota {rl} = {} API requests/day", text::group(q.round() as u64));
        let (tx, anchor) =
            if x + text_w(&label, 11.0) + 6.0 < px1 { (x + 5.0, "start") } else { (x - 5.0, "end") };
        let _ = writeln!(
            s,
            r##"<g class="series" data-series="quota"><line x1="{x:.1}" y1="{py1}" x2="{x:.1}" y2="{py0}" stroke="#C00000" stroke-width="1.5" stroke-dasharray="8 4"/>
<text x="{tx:.1}" y="{:.1}" text-anchor="{anchor}" font-size="11" fill="#C00000">{}</text></g>"##,
            py0 - 8.0,
            esc(&label)
        );
    }
    if let Some(t) = target_ms.filter(|t| *t >= y_lo && *t <= y_hi) {
        let y = ya.at(t);
        let _ = writeln!(
            s,
            r##"<g class="series" data-series="target"><line x1="{px0}" y1="{y:.1}" x2="{px1}" y2="{y:.1}" stroke="#444" stroke-width="1.5" stroke-dasharray="3 3"/>
<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11" fill="#444">target {}</text></g>"##,
            px1 - 5.0,
            y - 5.0,
            format_ms(t)
        );
    }

    // Poll series: one line per strategy and percentile; poll first and widest. A series that
    // coincides with an earlier one is drawn on top with gaps, so both colours show.
    let poll_kinds: Vec<&str> = {
        let mut v: Vec<&str> = Vec::new();
        for p in &points {
            let polls = StrategyKind::parse(&p.row.name).is_ok_and(StrategyKind::polls_at_interval);
            if polls && !v.contains(&p.row.name.as_str()) {
                v.push(&p.row.name);
            }
        }
        v
    };
    let mut dots: Vec<Dot> = Vec::new();
    let mut drawn: Vec<Line> = Vec::new();
    let mut same: Vec<Coincidence> = Vec::new();
    for (n, kind) in poll_kinds.iter().enumerate() {
        let mut pts: Vec<&Point> = points.iter().filter(|p| p.row.name == *kind).collect();
        pts.sort_by(|a, b| a.x.total_cmp(&b.x));
        let c = colour(kind);
        let width = 3.5 - n as f64;
        for pct in ["p50", "p99"] {
            band(&mut s, &pts, pct, xa, ya, c);
            let mut ys: Vec<(f64, f64)> = Vec::new();
            for p in &pts {
                if let Some(y) = if pct == "p50" { p.p50 } else { p.p99 } {
                    let (x, y) = (xa.at(p.x), ya.at(y));
                    ys.push((x, y));
                    let at = p.row.interval_s.map(|i| xa.at(86_400.0 / i));
                    let on_axis = at.is_some_and(|a| (a - x).abs() < marks::MERGE);
                    dots.push(Dot { row: p.row, pct, x, y, on_axis });
                }
            }
            let over = drawn.iter().find(|(_, q, d)| *q == pct && coincide(d, &ys)).map(|(k, _, _)| *k);
            let mut layer = 0;
            if let Some(under) = over {
                layer = 1 + same.iter().filter(|c| c.pct == pct && c.under == under).count();
                same.push(Coincidence { kind, under, pct });
            }
            let dash = dash(pct, layer.min(2));
            let path: Vec<String> = ys.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
            let _ = writeln!(
                s,
                r##"<g class="series" data-series="{kind} {pct}"><polyline points="{}" fill="none" stroke="{c}" stroke-width="{width}"{dash} stroke-linejoin="round"/></g>"##,
                path.join(" ")
            );
            drawn.push((kind, pct, ys));
        }
    }

    // Push strategies: reference points, spread apart sideways where they would overlap.
    let mut pushes: Vec<Push> = points
        .iter()
        .filter(|p| !StrategyKind::parse(&p.row.name).is_ok_and(StrategyKind::polls_at_interval))
        .map(|p| Push {
            row: p.row,
            x: xa.at(p.x),
            p50: p.p50.map(|v| ya.at(v)),
            p99: p.p99.map(|v| ya.at(v)),
        })
        .collect();
    let dodged = marks::dodge(&mut pushes);
    for p in &pushes {
        whiskers(&mut s, p, ya);
    }
    for p in &pushes {
        marks::push_mark(&mut s, p);
    }
    let mut labels = Vec::new();
    let mut at = marks::poll_marks(&mut s, dots, &mut labels);
    at.extend(pushes.iter().flat_map(|p| [p.p50, p.p99].into_iter().flatten().map(|y| (p.x, y))));
    marks::place_labels(&mut s, labels, &at, px1);

    let notes = legend::Notes { same, dodged, quota: quota.is_some(), target: target_ms.is_some() };
    let mut push_kinds: Vec<&str> = Vec::new();
    for p in
        points.iter().filter(|p| !StrategyKind::parse(&p.row.name).is_ok_and(StrategyKind::polls_at_interval))
    {
        if !push_kinds.contains(&p.row.name.as_str()) {
            push_kinds.push(&p.row.name);
        }
    }
    legend::legend(&mut s, &poll_kinds, &push_kinds, &notes);
    s.push_str("</svg>\n");
    s
}
