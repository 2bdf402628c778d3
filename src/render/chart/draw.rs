//! The sweep chart's drawing primitives, shared by the plot, its marks and its legend: the canvas
//! size and margins, the font, one colour per strategy, SVG escaping, text width, the cross of a
//! row that missed events and the push strategies' marker shapes. It knows nothing of a report.

/// Canvas width.
pub const W: f64 = 1000.0;
/// Canvas height.
pub const H: f64 = 620.0;
/// Margin left of the plot (the latency axis).
pub const LEFT: f64 = 84.0;
/// Margin right of the plot (the legend).
pub const RIGHT: f64 = 290.0;
/// Margin above the plot (title and the interval axis).
pub const TOP: f64 = 104.0;
/// Margin below the plot (the cost axis).
pub const BOTTOM: f64 = 76.0;
/// The font stack.
pub const FONT: &str = "DejaVu Sans, Helvetica, Arial, sans-serif";

/// Okabe–Ito colours, safe for colour-blind readers, one per strategy.
pub fn colour(kind: &str) -> &'static str {
    match kind {
        "poll" => "#0072B2",
        "poll-etag" => "#E69F00",
        "poll-state" => "#009E73",
        "webhook" => "#CC79A7",
        "hybrid" => "#D55E00",
        _ => "#56B4E9",
    }
}

/// Escapes text for SVG.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Approximate text width in pixels for the chart's sans-serif font.
pub fn text_w(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.58
}

/// A cross over a point: the row missed events.
pub fn cross(x: f64, y: f64) -> String {
    format!(
        r##"<path d="M{:.1},{:.1}L{:.1},{:.1}M{:.1},{:.1}L{:.1},{:.1}" stroke="#000" stroke-width="1.6"/>"##,
        x - 5.0,
        y - 5.0,
        x + 5.0,
        y + 5.0,
        x - 5.0,
        y + 5.0,
        x + 5.0,
        y - 5.0
    ) + "\n"
}

/// A push strategy's marker: webhook ◆, hybrid ▲, hybrid-reconcile ■.
pub fn marker(kind: &str, x: f64, y: f64, stroke: &str, fill: &str, title: &str) -> String {
    let r = 6.5;
    let shape = match kind {
        "webhook" => format!(
            r##"<path d="M{x:.1},{:.1}L{:.1},{y:.1}L{x:.1},{:.1}L{:.1},{y:.1}Z""##,
            y - r,
            x + r,
            y + r,
            x - r
        ),
        "hybrid" => format!(
            r##"<path d="M{x:.1},{:.1}L{:.1},{:.1}L{:.1},{:.1}Z""##,
            y - r,
            x + r,
            y + r * 0.8,
            x - r,
            y + r * 0.8
        ),
        _ => format!(
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}""##,
            x - r * 0.8,
            y - r * 0.8,
            r * 1.6,
            r * 1.6
        ),
    };
    format!(
        r##"{shape} fill="{fill}" stroke="{stroke}" stroke-width="2"><title>{}</title></{}>"##,
        esc(title),
        if shape.starts_with("<rect") { "rect" } else { "path" }
    ) + "\n"
}
