//! The timeline charts: each row's run in time, as hand-written SVGs for the HTML report.
//!
//! Owns three pictures of the rows' [`Timeline`]s, on one time axis: ready latency (a band from
//! p50 to p99 per row, log-scaled), how far behind each row is (events happened and not yet
//! ready; a finite receiver's backlog at each bucket's end dashed, its peak thin), and API requests per bucket with the 429s
//! and the quota line. Every chart shades the scenario's outages (API, provider delivery,
//! receiver) and bursts, labelled, and carries SVG `<title>`s. Rows that draw the same line are
//! named together in the legend. It only formats report fields: positions are scales of
//! reported numbers, never new statistics.

use std::fmt::Write as _;

use super::draw::{colour, esc, text_w, FONT};
use crate::result::report::{Report, StrategyReport};
use crate::result::timeline::Timeline;
use crate::support::units::{format_duration, secs_f, SECOND};

pub(super) const W: f64 = 1000.0;
pub(super) const H: f64 = 360.0;
pub(super) const LEFT: f64 = 78.0;
pub(super) const RIGHT: f64 = 230.0;
pub(super) const TOP: f64 = 56.0;
pub(super) const BOTTOM: f64 = 48.0;

/// The rows that have a timeline, with it.
fn rows(report: &Report) -> Vec<(&StrategyReport, &Timeline)> {
    report.strategies.iter().filter_map(|r| r.timeline.as_ref().map(|t| (r, t))).collect()
}

/// The plot area and its x scale (seconds).
struct Frame {
    x_end: f64,
}

impl Frame {
    fn x(&self, s: f64) -> f64 {
        LEFT + (s / self.x_end).clamp(0.0, 1.0) * (W - LEFT - RIGHT)
    }
}

/// A y scale: linear from 0, log between two latency ticks, or a count's log from 1 to a power
/// of ten (0 on the axis).
enum Scale {
    Linear(f64),
    Log(f64, f64),
    Counts(f64),
}

impl Scale {
    fn y(&self, v: f64) -> f64 {
        let (top, bottom) = (TOP, H - BOTTOM);
        let t = match *self {
            Scale::Linear(hi) => v / hi,
            Scale::Log(lo, hi) => (v.max(lo).log10() - lo.log10()) / (hi.log10() - lo.log10()),
            Scale::Counts(hi) => v.max(1.0).log10() / hi.log10(),
        };
        bottom - t.clamp(0.0, 1.0) * (bottom - top)
    }

    fn ticks(&self) -> Vec<(f64, String)> {
        match *self {
            Scale::Linear(hi) => {
                let step = nice_step(hi / 4.0);
                (0..)
                    .map(|i| i as f64 * step)
                    .take_while(|v| *v <= hi * 1.0001)
                    .map(|v| (v, count_label(v)))
                    .collect()
            }
            Scale::Counts(hi) => std::iter::once((0.0, "0".to_string()))
                .chain(
                    (1..)
                        .map(|e| 10f64.powi(e))
                        .take_while(|v| *v <= hi * 1.0001)
                        .map(|v| (v, count_label(v))),
                )
                .collect(),
            Scale::Log(lo, hi) => LATENCY_TICKS
                .iter()
                .filter(|(v, _)| *v >= lo * 0.999 && *v <= hi * 1.001)
                .map(|&(v, l)| (v, l.to_string()))
                .collect(),
        }
    }
}

pub(super) const LATENCY_TICKS: [(f64, &str); 12] = [
    (1.0, "1 ms"),
    (10.0, "10 ms"),
    (100.0, "100 ms"),
    (1e3, "1 s"),
    (1e4, "10 s"),
    (6e4, "1 min"),
    (6e5, "10 min"),
    (3.6e6, "1 h"),
    (3.6e7, "10 h"),
    (8.64e7, "1 d"),
    (8.64e8, "10 d"),
    (8.64e9, "100 d"),
];

/// The latency ticks around `values` (ms): from the tick at or below the least to the one above
/// the greatest, at least a decade apart.
pub(super) fn latency_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v.max(0.1)), b.max(v)));
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (1.0, 1e3) };
    let lo = LATENCY_TICKS.iter().rev().map(|t| t.0).find(|t| *t <= lo).unwrap_or(1.0);
    let hi =
        LATENCY_TICKS.iter().map(|t| t.0).find(|t| *t >= hi * 1.0001).unwrap_or(hi * 10.0).max(lo * 10.0);
    (lo, hi)
}

fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag)
}

pub(super) fn count_label(v: f64) -> String {
    match v {
        v if v >= 1e6 => format!("{}M", trim(v / 1e6)),
        v if v >= 1e3 => format!("{}k", trim(v / 1e3)),
        v => trim(v),
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The SVG's opening: its `<title>`, the background and the chart's title.
pub(super) fn head(report: &Report, title: &str) -> String {
    let mut s = String::new();
    let name = esc(&report.scenario.name);
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="{FONT}" font-size="12" role="img">
<title>{t}, scenario {name}</title>
<rect width="{W}" height="{H}" fill="#ffffff"/>
<text x="{LEFT}" y="24" font-size="15" font-weight="bold">{t}</text>
"##,
        t = esc(title),
    );
    s
}

/// The SVG's opening, title, frame, time axis and the scenario's shaded windows.
fn open(report: &Report, frame: &Frame, title: &str, y_label: &str, scale: &Scale) -> String {
    let mut s = head(report, title);
    shade(&mut s, report, frame);
    let (x0, x1, y0, y1) = (LEFT, W - RIGHT, H - BOTTOM, TOP);
    for (v, label) in scale.ticks() {
        let y = scale.y(v);
        let _ = writeln!(
            s,
            r##"<line x1="{x0}" x2="{x1}" y1="{y:.1}" y2="{y:.1}" stroke="#e3e3e3"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#444">{}</text>"##,
            x0 - 6.0,
            y + 4.0,
            esc(&label)
        );
    }
    let step = nice_time_step(frame.x_end);
    let mut t = 0.0;
    while t <= frame.x_end * 1.0001 {
        let x = frame.x(t);
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{y0}" y2="{:.1}" stroke="#888"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#444">{}</text>"##,
            y0 + 5.0,
            y0 + 18.0,
            esc(&format_duration((t * SECOND as f64) as u64))
        );
        t += step;
    }
    let _ = writeln!(
        s,
        r##"<rect x="{x0}" y="{y1}" width="{:.1}" height="{:.1}" fill="none" stroke="#888"/>
<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#444">time since the run's start</text>
<text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle" fill="#444">{}</text>"##,
        x1 - x0,
        y0 - y1,
        (x0 + x1) / 2.0,
        H - 10.0,
        (y0 + y1) / 2.0,
        esc(y_label)
    );
    s
}

fn nice_time_step(end_s: f64) -> f64 {
    const STEPS: [f64; 14] = [
        1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0, 21600.0, 43200.0, 86400.0,
    ];
    STEPS
        .iter()
        .copied()
        .find(|s| end_s / s <= 10.0)
        .unwrap_or_else(|| (end_s / 10.0 / 86400.0).ceil() * 86400.0)
}

/// A window of the scenario a chart marks: start, length (µs), what it is, its colour.
pub(super) type Window = (u64, u64, &'static str, &'static str);

/// The scenario's outages (API, provider delivery, receiver) and, with `bursts`, its bursts.
pub(super) fn windows(report: &Report, bursts: bool) -> Vec<Window> {
    let sc = &report.scenario;
    let mut windows: Vec<Window> = Vec::new();
    for o in &sc.api.faults.outages {
        windows.push((o.window.at, o.window.duration, "API down", "#d62728"));
    }
    for w in &sc.webhook.outages {
        windows.push((w.at, w.duration, "deliveries stopped", "#9467bd"));
    }
    for w in &sc.receiver.outages {
        windows.push((w.at, w.duration, "receiver down", "#8c564b"));
    }
    if bursts {
        for b in &sc.events.bursts {
            windows.push((b.at, b.duration, "burst", "#ff7f0e"));
        }
    }
    windows
}

/// Shades the scenario's outages and bursts, each labelled above the plot.
fn shade(s: &mut String, report: &Report, frame: &Frame) {
    let (y0, y1) = (H - BOTTOM, TOP);
    for (i, (at, len, what, fill)) in windows(report, true).into_iter().enumerate() {
        let (a, b) = (frame.x(secs_f(at)), frame.x(secs_f(at + len)));
        let width = (b - a).max(2.0);
        let label = format!("{what} {}–{}", format_duration(at), format_duration(at + len));
        let _ = writeln!(
            s,
            r##"<g class="window"><title>{l}</title><rect x="{a:.1}" y="{y1}" width="{width:.1}" height="{:.1}" fill="{fill}" fill-opacity="0.14"/><text x="{a:.1}" y="{:.1}" font-size="11" fill="{fill}">{l}</text></g>"##,
            y0 - y1,
            y1 - 6.0 - 12.0 * (i % 2) as f64,
            l = esc(&label)
        );
    }
}

/// A polyline through `pts` (None breaks it).
pub(super) fn path(pts: impl Iterator<Item = Option<(f64, f64)>>) -> String {
    let mut d = String::new();
    let mut pen = false;
    for p in pts {
        match p {
            Some((x, y)) => {
                let _ = write!(d, "{}{x:.1},{y:.1}", if pen { "L" } else { "M" });
                pen = true;
            }
            None => pen = false,
        }
    }
    d
}

/// The legend: one entry per line drawn, rows drawing the same series named together.
pub(super) fn legend(s: &mut String, entries: &[(String, &'static str, &'static str)]) {
    let x = W - RIGHT + 16.0;
    let mut y = TOP + 8.0;
    for (label, stroke, dash) in entries {
        let _ = writeln!(
            s,
            r##"<line x1="{x}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="{stroke}" stroke-width="2.5" stroke-dasharray="{dash}"/>"##,
            x + 24.0,
        );
        for line in wrap(label, RIGHT - 50.0) {
            let _ = writeln!(s, r##"<text x="{:.1}" y="{:.1}">{}</text>"##, x + 30.0, y + 4.0, esc(&line));
            y += 15.0;
        }
        y += 4.0;
    }
}

/// `label` cut into lines at most `room` pixels wide, at ` = ` and then at spaces.
fn wrap(label: &str, room: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for (k, part) in label.split(" = ").enumerate() {
        let part = if k == 0 { part.to_string() } else { format!("= {part}") };
        for word in part.split(' ') {
            match lines.last_mut() {
                Some(l) if text_w(&format!("{l} {word}"), 12.0) <= room && !(k > 0 && word == "=") => {
                    l.push(' ');
                    l.push_str(word);
                }
                _ => lines.push(word.to_string()),
            }
        }
    }
    lines
}

/// Groups rows whose drawn series coincide: (labels joined by ` = `, the first row, its data).
/// `series` gives a row's points in pixels (`None` where nothing is drawn); two rows coincide
/// when every point lies within [`COINCIDE`] pixels of the other's, as the sweep chart judges.
pub(super) fn grouped<'a, X: Copy>(
    rows: &[(&'a StrategyReport, X)],
    series: impl Fn(X) -> Vec<Option<f64>>,
) -> Vec<(String, &'a StrategyReport, X)> {
    let mut out: Vec<(String, &StrategyReport, X, Vec<Option<f64>>)> = Vec::new();
    for &(r, t) in rows {
        let v = series(t);
        match out.iter_mut().find(|g| coincide(&g.3, &v)) {
            Some(g) => g.0 = format!("{} = {}", g.0, r.label),
            None => out.push((r.label.clone(), r, t, v)),
        }
    }
    out.into_iter().map(|(l, r, t, _)| (l, r, t)).collect()
}

/// Two drawn series closer than this (pixels) at every point are one line to the eye.
const COINCIDE: f64 = 2.0;

/// Whether two series of pixel positions lie on one another.
fn coincide(a: &[Option<f64>], b: &[Option<f64>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(p, q)| match (p, q) {
            (Some(p), Some(q)) => (p - q).abs() < COINCIDE,
            (None, None) => true,
            _ => false,
        })
}

/// The line width of the `i`th group: the first widest, so a line drawn over it lets it show.
pub(super) fn width(i: usize) -> f64 {
    (3.2 - 0.4 * i as f64).max(1.4)
}

/// The dash pattern of the `i`th group.
pub(super) fn dash(i: usize) -> &'static str {
    ["none", "7 3", "2 3", "10 3 2 3"][i % 4]
}

fn x_end(rows: &[(&StrategyReport, &Timeline)]) -> f64 {
    rows.iter().map(|(_, t)| t.bucket_s * t.len() as f64).fold(1.0, f64::max)
}

/// Ready latency over time: per row, a band from p50 to p99 of the events that happened in each
/// bucket, log-scaled. `None` when no row has a timeline.
pub fn latency(report: &Report) -> Option<String> {
    let rows = rows(report);
    if rows.is_empty() {
        return None;
    }
    let frame = Frame { x_end: x_end(&rows) };
    let values = rows.iter().flat_map(|(_, t)| t.ready_p50_ms.iter().chain(&t.ready_p99_ms)).flatten();
    let (lo, hi) = latency_range(values.copied());
    let scale = Scale::Log(lo, hi);
    let mut s = open(report, &frame, "Ready latency over time (p50 to p99)", "ready latency", &scale);
    let mut entries = Vec::new();
    let groups = grouped(&rows, |t| {
        t.ready_p50_ms.iter().chain(&t.ready_p99_ms).map(|v| v.map(|v| scale.y(v))).collect()
    });
    for (i, (label, r, t)) in groups.iter().enumerate() {
        let c = colour(&r.name);
        let x = |j: usize| frame.x(t.bucket_s * (j as f64 + 0.5));
        let both: Vec<Option<(f64, f64, f64)>> = (0..t.len())
            .map(|j| match (t.ready_p50_ms[j], t.ready_p99_ms[j]) {
                (Some(a), Some(b)) => Some((x(j), scale.y(a), scale.y(b))),
                _ => None,
            })
            .collect();
        // The band: one polygon per unbroken run of buckets.
        let mut k = 0;
        while k < both.len() {
            let run: Vec<(f64, f64, f64)> = both[k..].iter().map_while(|p| *p).collect();
            if run.is_empty() {
                k += 1;
                continue;
            }
            let mut d = path(run.iter().map(|p| Some((p.0, p.2))));
            for p in run.iter().rev() {
                let _ = write!(d, "L{:.1},{:.1}", p.0, p.1);
            }
            let _ = writeln!(
                s,
                r##"<path d="{d}Z" fill="{c}" fill-opacity="0.18" stroke="none"><title>{} p50–p99</title></path>"##,
                esc(label)
            );
            k += run.len();
        }
        let p99 = path(both.iter().map(|p| p.map(|p| (p.0, p.2))));
        let p50 = path(both.iter().map(|p| p.map(|p| (p.0, p.1))));
        let _ = writeln!(
            s,
            r##"<path d="{p99}" fill="none" stroke="{c}" stroke-width="{:.1}" stroke-dasharray="{}"><title>{l} p99 ready latency</title></path>
<path d="{p50}" fill="none" stroke="{c}" stroke-width="1" stroke-opacity="0.8"><title>{l} p50 ready latency</title></path>"##,
            width(i) - 0.6,
            dash(i),
            l = esc(label)
        );
        entries.push((label.clone(), c, dash(i)));
    }
    legend(&mut s, &entries);
    s.push_str("</svg>\n");
    Some(s)
}

/// How far behind each row is over time: events happened and not yet ready at each bucket's end.
pub fn behind(report: &Report) -> Option<String> {
    let rows = rows(report);
    if rows.is_empty() {
        return None;
    }
    let series = |t: &Timeline| t.not_ready.clone();
    counts(report, &rows, "Events not yet ready over time", "events", series, None)
}

/// A finite receiver's backlog over time: deliveries waiting for a worker at each bucket's end,
/// the most in each bucket a thin line. `None` when the receiver is unlimited.
pub fn backlog(report: &Report) -> Option<String> {
    let rows: Vec<_> = rows(report).into_iter().filter(|(_, t)| t.backlog_end.is_some()).collect();
    if rows.is_empty() {
        return None;
    }
    let series = |t: &Timeline| t.backlog_end.clone().unwrap_or_default();
    let peak = |t: &Timeline| t.backlog_peak.clone().unwrap_or_default();
    let title = "Receiver backlog over time (deliveries waiting for a worker)";
    counts(report, &rows, title, "waiting at the bucket's end", series, Some(&peak))
}

/// A count per bucket, read from a timeline.
type Series<'a> = &'a dyn Fn(&Timeline) -> Vec<u64>;

/// A line per row group of a count at each bucket's end; `thin`, a second count drawn thin
/// at the bucket's middle in the same colour.
fn counts(
    report: &Report,
    rows: &[(&StrategyReport, &Timeline)],
    title: &str,
    y_label: &str,
    series: impl Fn(&Timeline) -> Vec<u64>,
    thin: Option<Series>,
) -> Option<String> {
    let frame = Frame { x_end: x_end(rows) };
    let all = |t: &Timeline| {
        let mut v = series(t);
        v.extend(thin.map(|f| f(t)).unwrap_or_default());
        v
    };
    let hi = rows.iter().flat_map(|(_, t)| all(t)).max().unwrap_or(0).max(1) as f64;
    let scale = Scale::Linear(nice_step(hi / 4.0) * 4.0);
    let mut s = open(report, &frame, title, y_label, &scale);
    let mut entries = Vec::new();
    let groups = grouped(rows, |t| all(t).into_iter().map(|v| Some(scale.y(v as f64))).collect());
    for (i, (label, r, t)) in groups.iter().enumerate() {
        let c = colour(&r.name);
        let values = series(t);
        let d = path(
            values
                .iter()
                .enumerate()
                .map(|(j, &v)| Some((frame.x(t.bucket_s * (j as f64 + 1.0)), scale.y(v as f64)))),
        );
        let _ = writeln!(
            s,
            r##"<path d="{d}" fill="none" stroke="{c}" stroke-width="{:.1}" stroke-dasharray="{}"><title>{}: {}</title></path>"##,
            width(i),
            dash(i),
            esc(label),
            esc(title)
        );
        if let Some(f) = thin {
            let d = path(
                f(t).iter()
                    .enumerate()
                    .map(|(j, &v)| Some((frame.x(t.bucket_s * (j as f64 + 0.5)), scale.y(v as f64)))),
            );
            let _ = writeln!(
                s,
                r##"<path d="{d}" fill="none" stroke="{c}" stroke-width="0.8" stroke-opacity="0.7"><title>{}: the most in each bucket</title></path>"##,
                esc(label)
            );
        }
        entries.push((label.clone(), c, dash(i)));
    }
    if thin.is_some() {
        entries.push(("thin lines: the most in a bucket".into(), "#888", "none"));
    }
    legend(&mut s, &entries);
    s.push_str("</svg>\n");
    Some(s)
}

/// API requests per bucket per row, its 429s marked, with the quota scaled to a bucket. `None`
/// when no row asks the API.
pub fn requests(report: &Report) -> Option<String> {
    let rows: Vec<_> = rows(report).into_iter().filter(|(r, _)| r.requests.total.is_some()).collect();
    if rows.is_empty() {
        return None;
    }
    let frame = Frame { x_end: x_end(&rows) };
    let bucket_s = rows[0].1.bucket_s;
    let quota = report.scenario.api.rate_limit.map(|q| q.limit as f64 * bucket_s / secs_f(q.window));
    let hi = rows.iter().flat_map(|(_, t)| t.requests.iter()).copied().max().unwrap_or(0) as f64;
    let hi = hi.max(quota.unwrap_or(0.0)).max(1.0);
    // Log-scaled: a row polling hundreds of times harder must not flatten the others to the axis.
    let scale = Scale::Counts(10f64.powf(hi.log10().ceil().max(1.0)));
    let title = format!(
        "API requests per {} bucket (log scale; 0 on the axis)",
        format_duration((bucket_s * SECOND as f64) as u64)
    );
    let mut s = open(report, &frame, &title, "requests", &scale);
    let mut entries = Vec::new();
    if let Some(q) = quota {
        let y = scale.y(q);
        let _ = writeln!(
            s,
            r##"<g><title>quota: {} requests per bucket</title><line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#000" stroke-width="1.2" stroke-dasharray="8 4"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11">quota</text></g>"##,
            trim(q),
            W - RIGHT,
            W - RIGHT - 4.0,
            y - 4.0
        );
    }
    let groups =
        grouped(&rows, |t| t.requests.iter().chain(&t.throttled).map(|&v| Some(scale.y(v as f64))).collect());
    for (i, (label, r, t)) in groups.iter().enumerate() {
        let c = colour(&r.name);
        let x = |j: usize| frame.x(t.bucket_s * (j as f64 + 0.5));
        let d = path((0..t.len()).map(|j| Some((x(j), scale.y(t.requests[j] as f64)))));
        let _ = writeln!(
            s,
            r##"<path d="{d}" fill="none" stroke="{c}" stroke-width="{:.1}" stroke-dasharray="{}"><title>{} requests</title></path>"##,
            width(i),
            dash(i),
            esc(label)
        );
        entries.push((label.clone(), c, dash(i)));
        for j in (0..t.len()).filter(|&j| t.throttled[j] > 0) {
            let _ = writeln!(
                s,
                r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#d62728"><title>{}: {} × 429 at {}</title></circle>"##,
                x(j),
                scale.y(t.throttled[j] as f64),
                esc(label),
                t.throttled[j],
                format_duration((t.start_s[j] * SECOND as f64) as u64)
            );
        }
    }
    if rows.iter().any(|(_, t)| t.throttled.iter().any(|&n| n > 0)) {
        entries.push(("● 429 answers".into(), "#d62728", "1 0"));
    }
    legend(&mut s, &entries);
    s.push_str("</svg>\n");
    Some(s)
}
