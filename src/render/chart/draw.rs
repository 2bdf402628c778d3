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

/// Every colour the charts draw with: (as written in the SVG, the same colour on a dark page).
/// A standalone SVG keeps the first; the HTML report maps each to a CSS custom property
/// ([`css_var`]) that `prefers-color-scheme: dark` switches to the second.
pub const PALETTE: &[(&str, &str)] = &[
    ("#ffffff", "#17181b"),
    ("#fff", "#17181b"),
    ("#fafafa", "#1e1f23"),
    ("#000", "#f2f2f2"),
    ("#222", "#e6e6e6"),
    ("#333", "#d8d8d8"),
    ("#444", "#cfcfcf"),
    ("#555", "#b4b4b4"),
    ("#888", "#8d8d8d"),
    ("#ddd", "#3b3c40"),
    ("#e3e3e3", "#34353a"),
    ("#eee", "#2c2d31"),
    ("#0072B2", "#4aa8ff"),
    ("#E69F00", "#f0b030"),
    ("#009E73", "#2fcf9d"),
    ("#CC79A7", "#e895c4"),
    ("#D55E00", "#ff8a45"),
    ("#56B4E9", "#7cc8f2"),
    ("#C00000", "#ff6b6b"),
    ("#d62728", "#ff6f6f"),
    ("#9467bd", "#bb9ce6"),
    ("#8c564b", "#cf9a8c"),
    ("#ff7f0e", "#ffa050"),
];

/// The CSS custom property of palette colour `hex`: `--c-` and its digits, lower-cased.
pub fn css_var(hex: &str) -> String {
    format!("--c-{}", hex.trim_start_matches('#').to_ascii_lowercase())
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
