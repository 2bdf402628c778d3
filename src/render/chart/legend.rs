//! The sweep chart's legend, outside the plot on the right: one entry per strategy (a poll
//! series that coincides with another says so: `poll-etag = poll`), the percentile and mark
//! conventions, the reference lines, and notes on how to read the cost axis and any markers that
//! were merged, labelled or nudged apart. It only describes what [`super::render`] drew.

use std::fmt::Write as _;

use super::draw::{colour, cross, esc, marker, RIGHT, TOP, W};

/// A poll series drawn over an earlier one it coincides with.
pub struct Coincidence<'a> {
    /// The strategy drawn on top.
    pub kind: &'a str,
    /// The strategy it covers.
    pub under: &'a str,
    /// `p50` or `p99`.
    pub pct: &'static str,
}

/// What the legend must mention beyond the strategies.
pub struct Notes<'a> {
    /// Poll series drawn over another they coincide with.
    pub same: Vec<Coincidence<'a>>,
    /// Push markers were nudged apart sideways.
    pub dodged: bool,
    /// A quota line is drawn.
    pub quota: bool,
    /// A latency-target line is drawn.
    pub target: bool,
}

/// Draws the legend.
pub fn legend(s: &mut String, poll_kinds: &[&str], pushes: &[&str], notes: &Notes<'_>) {
    let x0 = W - RIGHT + 24.0;
    let mut y = TOP + 4.0;
    let line = |s: &mut String, y: f64, text: &str, size: f64, colour: &str| {
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{y:.1}" font-size="{size}" fill="{colour}">{}</text>"##,
            x0 + 34.0,
            esc(text)
        );
    };
    let _ = writeln!(
        s,
        r##"<text x="{x0}" y="{y:.1}" font-size="13" font-weight="bold" fill="#222">Legend</text>"##
    );
    y += 22.0;
    for kind in poll_kinds {
        let c = colour(kind);
        let on: Vec<&Coincidence> = notes.same.iter().filter(|n| n.kind == *kind).collect();
        let (text, dash) = match on.as_slice() {
            [] => (format!("{kind} (one dot per interval)"), ""),
            [one] => {
                (format!("{kind} = {} ({} lines coincide)", one.under, one.pct), r#" stroke-dasharray="9 9""#)
            }
            [first, ..] => {
                (format!("{kind} = {} (lines coincide)", first.under), r#" stroke-dasharray="9 9""#)
            }
        };
        if let Some(first) = on.first() {
            let _ = writeln!(
                s,
                r##"<line x1="{x0}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{}" stroke-width="3"/>"##,
                y - 4.0,
                x0 + 26.0,
                y - 4.0,
                colour(first.under)
            );
        }
        let _ = writeln!(
            s,
            r##"<line x1="{x0}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{c}" stroke-width="3"{dash}/>"##,
            y - 4.0,
            x0 + 26.0,
            y - 4.0
        );
        line(s, y, &text, 12.0, "#222");
        y += 19.0;
    }
    for kind in pushes {
        let c = colour(kind);
        s.push_str(&marker(kind, x0 + 13.0, y - 4.0, c, c, kind));
        line(s, y, kind, 12.0, "#222");
        y += 19.0;
    }
    y += 6.0;
    for (dash, fill, text) in [
        ("", "#555", "p50 (median): solid, filled"),
        (" stroke-dasharray=\"7 4\"", "#fff", "p99: dashed, hollow"),
    ] {
        let (ly, cx) = (y - 4.0, x0 + 13.0);
        let _ = writeln!(
            s,
            r##"<line x1="{x0}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="#555" stroke-width="2"{dash}/><circle cx="{cx:.1}" cy="{ly:.1}" r="3.5" fill="{fill}" stroke="#555" stroke-width="1.5"/>"##,
            x0 + 26.0
        );
        line(s, y, text, 12.0, "#222");
        y += 19.0;
    }
    s.push_str(&cross(x0 + 13.0, y - 4.0));
    line(s, y, "row missed events", 12.0, "#222");
    y += 19.0;
    if notes.quota {
        let _ = writeln!(
            s,
            r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#C00000" stroke-width="1.5" stroke-dasharray="8 4"/>"##,
            x0 + 13.0,
            y - 13.0,
            x0 + 13.0,
            y + 3.0
        );
        line(s, y, "rate-limit quota (API calls only)", 12.0, "#222");
        y += 19.0;
    }
    if notes.target {
        let _ = writeln!(
            s,
            r##"<line x1="{x0}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#444" stroke-width="1.5" stroke-dasharray="3 3"/>"##,
            y - 4.0,
            x0 + 26.0,
            y - 4.0
        );
        line(s, y, "latency target", 12.0, "#222");
        y += 19.0;
    }
    y += 10.0;
    let mut text = vec![
        "Cost axis: every HTTP request a",
        "design costs per day. Webhooks make",
        "no API calls; they sit at the",
        "deliveries they receive (retries",
        "included), hybrids at deliveries",
        "plus their API calls.",
        "",
        "Points that would hide one another",
        "are one split dot; crowded points",
        "are labelled with their interval.",
    ];
    if notes.dodged {
        text.extend(["Overlapping push markers are", "nudged apart sideways."]);
    }
    for note in text {
        let _ = writeln!(s, r##"<text x="{x0}" y="{y:.1}" font-size="11" fill="#555">{}</text>"##, esc(note));
        y += 15.0;
    }
}
