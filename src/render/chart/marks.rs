//! The sweep chart's point marks: where each row's p50 and p99 land, and how points that would
//! hide one another are shown.
//!
//! Owns three rules, all in pixels of the finished chart, never in the data: points of different
//! rows closer than [`MERGE`] are drawn once, as one marker split into a slice per row, with a
//! combined label (`<title>` and `data-rows`); a poll point with another point within [`CROWD`] gets
//! a visible label with its interval (so does one the top axis cannot read: a throttled poller
//! piled up on the quota, a state poller making many requests per poll), placed so that labels do not overlap; push markers closer
//! than [`DODGE`] sideways are spread apart by that much around their mean position. Every mark is
//! a `<g class="mark">` carrying `data-rows` and `data-at`, so a test can check that no two marks
//! share a place. It formats positions handed in and computes no statistic.

use std::fmt::Write as _;

use super::draw::{colour, cross, esc, marker, text_w};
use crate::result::report::StrategyReport;
use crate::support::units::{format_duration, SECOND};

/// Points of different rows closer than this are one marker.
pub const MERGE: f64 = 4.0;
/// A poll point with another mark closer than this is labelled with its interval.
pub const CROWD: f64 = 24.0;
/// Push markers closer than this sideways are spread this far apart.
pub const DODGE: f64 = 16.0;

/// One row's p50 or p99, at its place on the chart.
pub struct Dot<'a> {
    /// The row.
    pub row: &'a StrategyReport,
    /// `p50` (drawn filled) or `p99` (hollow).
    pub pct: &'static str,
    /// Pixels.
    pub x: f64,
    /// Pixels.
    pub y: f64,
    /// The top axis (one request per poll) reads this dot's interval at its place.
    pub on_axis: bool,
}

/// Dots drawn as one marker.
struct Group<'a> {
    dots: Vec<Dot<'a>>,
    x: f64,
    y: f64,
}

fn interval(row: &StrategyReport) -> String {
    row.interval_s.map(|i| format_duration((i * SECOND as f64).round() as u64)).unwrap_or_default()
}

impl Group<'_> {
    fn rows(&self) -> Vec<&str> {
        let mut v: Vec<&str> = Vec::new();
        for d in &self.dots {
            if !v.contains(&d.row.label.as_str()) {
                v.push(&d.row.label);
            }
        }
        v
    }

    /// The visible label: the intervals when the dots are of one strategy and percentile, else
    /// what tells them apart.
    fn label(&self) -> String {
        let first = &self.dots[0];
        let one_kind = self.dots.iter().all(|d| d.row.name == first.row.name);
        let one_pct = self.dots.iter().all(|d| d.pct == first.pct);
        let mut intervals: Vec<(f64, String)> = Vec::new();
        for d in &self.dots {
            let i = (d.row.interval_s.unwrap_or(0.0), interval(d.row));
            if !intervals.contains(&i) {
                intervals.push(i);
            }
        }
        intervals.sort_by(|a, b| a.0.total_cmp(&b.0));
        match (one_kind, one_pct) {
            (true, true) if intervals.len() > 2 => {
                format!("{}–{} {}", intervals[0].1, intervals[intervals.len() - 1].1, first.pct)
            }
            (true, true) => {
                let list = intervals.iter().map(|i| i.1.as_str()).collect::<Vec<_>>().join(", ");
                format!("{list} {}", first.pct)
            }
            (true, false) => self
                .dots
                .iter()
                .map(|d| format!("{} {}", interval(d.row), d.pct))
                .collect::<Vec<_>>()
                .join(", "),
            (false, _) if intervals.len() == 1 && one_pct => intervals[0].1.clone(),
            (false, _) => {
                self.dots.iter().map(|d| format!("{} {}", d.row.label, d.pct)).collect::<Vec<_>>().join(", ")
            }
        }
    }
}

/// Merges dots of different rows that would cover one another (single linkage, in order).
fn merge(dots: Vec<Dot<'_>>) -> Vec<Group<'_>> {
    let mut groups: Vec<Group> = Vec::new();
    for d in dots {
        let near = groups.iter().position(|g| g.dots.iter().any(|o| (o.x - d.x).hypot(o.y - d.y) < MERGE));
        match near {
            Some(i) => groups[i].dots.push(d),
            None => groups.push(Group { x: d.x, y: d.y, dots: vec![d] }),
        }
    }
    for g in &mut groups {
        let n = g.dots.len() as f64;
        g.x = g.dots.iter().map(|d| d.x).sum::<f64>() / n;
        g.y = g.dots.iter().map(|d| d.y).sum::<f64>() / n;
    }
    groups
}

/// A visible label beside a mark.
pub struct Label {
    x: f64,
    y: f64,
    text: String,
    colour: &'static str,
}

/// Draws the poll strategies' dots: merged, crossed when the row missed events, and labelled
/// when crowded (the labels are returned, to be placed with the others).
pub fn poll_marks(s: &mut String, dots: Vec<Dot<'_>>, labels: &mut Vec<Label>) -> Vec<(f64, f64)> {
    let groups = merge(dots);
    for (i, g) in groups.iter().enumerate() {
        // Crowded, or off the top axis's scale (its interval cannot be read there).
        let crowded = !g.dots.iter().all(|d| d.on_axis)
            || groups.iter().enumerate().any(|(j, o)| j != i && (o.x - g.x).hypot(o.y - g.y) < CROWD);
        let rows = g.rows();
        let title = g.dots.iter().map(|d| format!("{} {}", d.row.label, d.pct)).collect::<Vec<_>>();
        let _ = writeln!(
            s,
            r##"<g class="mark" data-rows="{}" data-at="{:.1},{:.1}"><title>{}</title>"##,
            esc(&rows.join(" ")),
            g.x,
            g.y,
            esc(&title.join(" = "))
        );
        pie(s, g);
        if g.dots.iter().any(|d| d.row.events.missed > 0) {
            s.push_str(&cross(g.x, g.y));
        }
        s.push_str("</g>\n");
        let intervals: Vec<String> = g.dots.iter().map(|d| interval(d.row)).collect();
        if crowded || intervals.iter().any(|i| *i != intervals[0]) {
            labels.push(Label { x: g.x, y: g.y, text: g.label(), colour: colour(&g.dots[0].row.name) });
        }
    }
    groups.iter().map(|g| (g.x, g.y)).collect()
}

/// One circle, split into a slice per dot: p50 slices filled, p99 slices hollow.
fn pie(s: &mut String, g: &Group<'_>) {
    let (x, y, r) = (g.x, g.y, 3.5);
    let n = g.dots.len();
    if n == 1 {
        let d = &g.dots[0];
        let c = colour(&d.row.name);
        let fill = if d.pct == "p50" { c } else { "#ffffff" };
        let _ = writeln!(
            s,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="{r}" fill="{fill}" stroke="{c}" stroke-width="1.5"/>"##
        );
        return;
    }
    let _ = writeln!(s, r##"<circle cx="{x:.1}" cy="{y:.1}" r="{r}" fill="#ffffff"/>"##);
    for (k, d) in g.dots.iter().enumerate() {
        let c = colour(&d.row.name);
        let a0 = std::f64::consts::TAU * k as f64 / n as f64 - std::f64::consts::FRAC_PI_2;
        let a1 = std::f64::consts::TAU * (k + 1) as f64 / n as f64 - std::f64::consts::FRAC_PI_2;
        let (x0, y0) = (x + r * a0.cos(), y + r * a0.sin());
        let (x1, y1) = (x + r * a1.cos(), y + r * a1.sin());
        let large = i32::from(a1 - a0 > std::f64::consts::PI);
        if d.pct == "p50" {
            let _ = writeln!(
                s,
                r##"<path d="M{x:.1},{y:.1}L{x0:.2},{y0:.2}A{r},{r} 0 {large} 1 {x1:.2},{y1:.2}Z" fill="{c}"/>"##
            );
        }
        let _ = writeln!(
            s,
            r##"<path d="M{x0:.2},{y0:.2}A{r},{r} 0 {large} 1 {x1:.2},{y1:.2}" fill="none" stroke="{c}" stroke-width="1.5"/>"##
        );
    }
}

/// A push row: its cost and its two latencies, in pixels.
pub struct Push<'a> {
    /// The row.
    pub row: &'a StrategyReport,
    /// Pixels.
    pub x: f64,
    /// Pixels, when the row detected anything.
    pub p50: Option<f64>,
    /// Pixels.
    pub p99: Option<f64>,
}

/// Spreads push markers that would overlap sideways, [`DODGE`] apart around their mean place;
/// returns whether any moved.
pub fn dodge(pushes: &mut [Push<'_>]) -> bool {
    pushes.sort_by(|a, b| a.x.total_cmp(&b.x));
    let span = |p: &Push| {
        let ys = [p.p50, p.p99];
        let ys = ys.iter().flatten();
        let lo = ys.clone().fold(f64::INFINITY, |a, b| a.min(*b));
        (lo - 8.0, ys.fold(f64::NEG_INFINITY, |a, b| a.max(*b)) + 8.0)
    };
    let mut moved = false;
    let mut start = 0;
    for end in 1..=pushes.len() {
        let joins = end < pushes.len() && {
            let (a, b) = (span(&pushes[end - 1]), span(&pushes[end]));
            pushes[end].x - pushes[end - 1].x < DODGE && a.0 < b.1 && b.0 < a.1
        };
        if joins {
            continue;
        }
        let chain = &mut pushes[start..end];
        if chain.len() > 1 {
            let mean = chain.iter().map(|p| p.x).sum::<f64>() / chain.len() as f64;
            let mid = (chain.len() - 1) as f64 / 2.0;
            for (i, p) in chain.iter_mut().enumerate() {
                p.x = mean + (i as f64 - mid) * DODGE;
            }
            moved = true;
        }
        start = end;
    }
    moved
}

/// Draws a push row: its p50 (filled) and p99 (hollow) markers joined by a bar.
pub fn push_mark(s: &mut String, p: &Push<'_>) {
    let name = p.row.name.as_str();
    let c = colour(name);
    let x = p.x;
    let _ = writeln!(s, r##"<g class="series" data-series="{}">"##, esc(name));
    if let (Some(a), Some(b)) = (p.p50, p.p99) {
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{a:.1}" x2="{x:.1}" y2="{b:.1}" stroke="{c}" stroke-width="2"/>"##
        );
    }
    for (pct, y, fill) in [("p50", p.p50, c), ("p99", p.p99, "#ffffff")] {
        if let Some(y) = y {
            let _ = writeln!(
                s,
                r##"<g class="mark" data-rows="{}" data-at="{x:.1},{y:.1}">"##,
                esc(&p.row.label)
            );
            s.push_str(&marker(name, x, y, c, fill, &format!("{} {pct}", p.row.label)));
            if p.row.events.missed > 0 {
                s.push_str(&cross(x, y));
            }
            s.push_str("</g>\n");
        }
    }
    s.push_str("</g>\n");
}

/// Places labels right of their marks (left when they would leave the plot or run into other
/// marks), moving each down past the ones already placed; a label moved away from its mark gets
/// a leader line.
pub fn place_labels(s: &mut String, mut labels: Vec<Label>, marks: &[(f64, f64)], right: f64) {
    labels.sort_by(|a, b| a.y.total_cmp(&b.y));
    let size = 10.0;
    let mut placed: Vec<(f64, f64, f64)> = Vec::new(); // x0, x1, baseline
    for l in labels {
        let w = text_w(&l.text, size);
        let (a, b) = (l.x + 9.0, l.x + 9.0 + w);
        let blocked = marks.iter().any(|(x, y)| *x > a - 5.0 && *x < b + 5.0 && (y - l.y).abs() < 30.0);
        let (x0, anchor) = if b < right && !blocked { (l.x + 9.0, "start") } else { (l.x - 9.0 - w, "end") };
        let mut base = l.y + 3.5;
        loop {
            let clash = placed
                .iter()
                .filter(|(a, b, y)| x0 < *b && *a < x0 + w && (base - y).abs() < size + 1.0)
                .map(|(_, _, y)| y + size + 1.0)
                .fold(f64::NEG_INFINITY, f64::max);
            if clash.is_finite() {
                base = clash;
            } else {
                break;
            }
        }
        placed.push((x0, x0 + w, base));
        let tx = if anchor == "start" { x0 } else { x0 + w };
        if base - (l.y + 3.5) > 3.0 {
            let lx = if anchor == "start" { x0 - 1.0 } else { x0 + w + 1.0 };
            let _ = writeln!(
                s,
                r##"<line x1="{:.1}" y1="{:.1}" x2="{lx:.1}" y2="{:.1}" stroke="{}" stroke-width="0.7"/>"##,
                l.x,
                l.y,
                base - 3.5,
                l.colour
            );
        }
        let _ = writeln!(
            s,
            r##"<text class="label" x="{tx:.1}" y="{base:.1}" text-anchor="{anchor}" font-size="{size}" fill="{}">{}</text>"##,
            l.colour,
            esc(&l.text)
        );
    }
}
