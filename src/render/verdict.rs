//! The verdict in words: the one or two sentences under every table.
//!
//! Owns the wording of a [`Verdict`] — the chosen row and why the cheaper ones fail, or the
//! frontier and why each other row is off it. It only words what
//! [`crate::result::verdict`] decided.

use super::text::{compact, escape, plural};
use crate::result::verdict::{Basis, Reason, RowReason, Verdict};
use crate::support::units::format_ms;

/// The most rows named one by one in the "off the frontier" or "cheaper" list.
const LISTED: usize = 8;

fn lat(v: Option<f64>) -> String {
    v.map_or("—".into(), format_ms)
}

/// Why `r` is not the pick, in a few words.
fn why(v: &Verdict, r: &RowReason) -> String {
    let other = r.other.as_deref().map(escape).unwrap_or_default();
    let label = escape(&r.row);
    match r.code {
        Reason::Chosen | Reason::Frontier => label,
        Reason::CostlierThan => format!("{label} meets it too, at {}/day", compact(r.cost_per_day)),
        Reason::SameAs => {
            let hint = match r.not_modified {
                Some(0) if r.row.starts_with("poll-etag") => ": no 304s",
                _ => "",
            };
            format!("{label} = {other} here{hint}")
        }
        Reason::DominatedBy => format!("{label}: {other} is at least as fast and as cheap"),
        Reason::TooSlow => {
            format!("{label}: {} {} > {}", v.measure, lat(r.latency_ms), lat(v.max_latency_ms))
        }
        Reason::ProcessedTooSlow => format!("{label}: processed too late"),
        Reason::Missed => format!("{label} missed {}", plural(r.count.unwrap_or(0), "event")),
        Reason::InFlight => format!(
            "{label} left {} in flight (its latency covers only what it detected)",
            plural(r.count.unwrap_or(0), "event")
        ),
        Reason::OverQuota => format!("{label} was refused {} with 429", plural(r.count.unwrap_or(0), "time")),
        Reason::OverQuotaShare => {
            format!("{label} uses more than {:.0}% of the quota", v.max_quota.unwrap_or(0.0) * 100.0)
        }
        Reason::DetectedNothing => format!("{label} detected nothing"),
    }
}

/// A ratio as people say it: `13×`, `1.1×`.
fn times(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}×")
    } else {
        format!("{x:.1}×")
    }
}

/// A list of reasons, at most [`LISTED`] named.
fn listed(v: &Verdict, rows: &[&RowReason]) -> String {
    let mut parts: Vec<String> = rows.iter().take(LISTED).map(|r| why(v, r)).collect();
    if rows.len() > LISTED {
        parts.push(format!("and {} more", rows.len() - LISTED));
    }
    parts.join("; ")
}

/// What the target asks, in words: `p99 ready ≤ 1m, nothing missed, quota ≤ 80%`.
pub fn target(v: &Verdict) -> String {
    let mut parts = Vec::new();
    if let Some(max) = v.max_latency_ms {
        parts.push(format!("{} ready latency ≤ {}", v.measure, format_ms(max)));
    }
    match v.max_missed {
        Some(0) | None => parts.push("nothing missed".into()),
        Some(n) => parts.push(format!("at most {} missed", plural(n, "event"))),
    }
    if let Some(q) = v.max_quota {
        parts.push(format!("at most {:.0}% of the quota", q * 100.0));
    }
    parts.join(", ")
}

/// The verdict as one to three lines, each starting at the margin (`verdict: …`, then `  …`).
pub fn render(v: &Verdict) -> String {
    let row = |label: &str| v.rows.iter().find(|r| r.row == label);
    let mut out = String::new();
    match v.basis {
        Basis::Target => match v.chosen.as_deref().and_then(row) {
            Some(c) => {
                out.push_str(&format!(
                    "verdict: {} is the cheapest row that meets the target ({}): {}/day, {} ready {}.\n",
                    escape(&c.row),
                    target(v),
                    compact(c.cost_per_day),
                    v.measure,
                    lat(c.latency_ms),
                ));
                let cheaper: Vec<&RowReason> = v
                    .rows
                    .iter()
                    .filter(|r| r.code != Reason::Chosen && r.cost_per_day < c.cost_per_day)
                    .collect();
                if !cheaper.is_empty() {
                    out.push_str(&format!("  cheaper rows fail: {}.\n", listed(v, &cheaper)));
                }
            }
            None => {
                out.push_str(&format!("verdict: no row meets the target ({}).\n", target(v)));
                match v.fastest.as_deref().and_then(row) {
                        Some(f) => out.push_str(&format!(
                            "  the fastest that misses nothing and is never refused is {} ({} ready {}, {}/day): relax the target to that, or change the design.\n",
                            escape(&f.row),
                            v.measure,
                            lat(f.latency_ms),
                            compact(f.cost_per_day)
                        )),
                        None => out.push_str(
                            "  every row misses events, leaves some in flight or is refused with 429: change the design.\n",
                        ),
                    }
            }
        },
        Basis::Frontier => {
            let on: Vec<String> = v
                .frontier
                .iter()
                .filter_map(|l| row(l))
                .map(|r| {
                    format!("{} ({}, {}/day)", escape(&r.row), lat(r.latency_ms), compact(r.cost_per_day))
                })
                .collect();
            if on.is_empty() {
                out.push_str(
                    "verdict: no row qualifies: each misses events, leaves some in flight, is refused with 429 or detects nothing.\n",
                );
            } else {
                out.push_str(&format!(
                    "verdict: no target set; the cost–latency frontier ({} ready latency against HTTP requests/day), cheapest first: {}.\n",
                    v.measure,
                    on.join(", ")
                ));
            }
            let off: Vec<&RowReason> = v.rows.iter().filter(|r| r.code != Reason::Frontier).collect();
            if !off.is_empty() {
                out.push_str(&format!("  off it: {}.\n", listed(v, &off)));
            }
            let ends = v.frontier.first().and_then(|l| row(l)).zip(v.frontier.last().and_then(|l| row(l)));
            if let Some((cheap, fast)) = ends.filter(|(c, f)| c.row != f.row) {
                if let (Some(lc), Some(lf)) = (cheap.latency_ms, fast.latency_ms) {
                    out.push_str(&format!(
                        "  {} is {} faster at {} than {}, for {} the requests; set a [target] (or --max-latency) to have the cheapest row that meets it named.\n",
                        escape(&fast.row),
                        times(lc / lf.max(1e-9)),
                        v.measure,
                        escape(&cheap.row),
                        times(fast.cost_per_day / cheap.cost_per_day.max(1e-9)),
                    ));
                }
            } else if !on.is_empty() {
                out.push_str(
                    "  set a [target] (or --max-latency) to have the cheapest row that meets it named.\n",
                );
            }
        }
    }
    out
}

/// [`render`] for a terminal: each line wrapped at `width` columns, continuation lines indented
/// under the first word after the margin.
pub fn wrapped(v: &Verdict, width: usize) -> String {
    let mut out = String::new();
    for line in render(v).lines() {
        let (margin, indent) = if line.starts_with("  ") { ("  ", "    ") } else { ("", "  ") };
        let mut current = margin.to_string();
        for word in line.trim_start().split(' ') {
            let len = |s: &str| s.chars().count();
            if !current.trim().is_empty() && len(&current) + 1 + len(word) > width {
                out.push_str(current.trim_end());
                out.push('\n');
                current = indent.to_string();
            } else if !current.trim().is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push_str(current.trim_end());
        out.push('\n');
    }
    out
}
