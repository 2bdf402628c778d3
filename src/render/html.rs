//! The HTML report: one self-contained page a design review can scroll together.
//!
//! Owns the page's layout: the headline, the scenario in words (and in full, folded), the
//! verdict as the table renderer words it ([`super::verdict`]), the tables as real `<table>`
//! markup with the terminal table's cells ([`table::row`]), the notes, and the charts inline as
//! SVG: the run's ([`super::chart::run_charts`]: over time, and the latency CDF), or for a sweep
//! or a replicated run the cost–latency chart ([`super::chart::render`], intervals as bands).
//! No script, no font, no stylesheet or image from
//! anywhere else: it reads the same from a `file://` URL offline, printed (light), and in dark
//! mode (`prefers-color-scheme`), where the charts' colours switch through CSS custom properties
//! (`chart_style`), not a filter. It only formats report fields.

use std::fmt::Write as _;

use super::chart;
use super::chart::draw::{css_var, PALETTE};
use super::table;
use super::text::{self, escape};
use crate::result::report::Report;
use crate::support::units::{format_duration, MILLI};

/// Text for HTML: control characters written out, markup escaped.
fn esc(s: &str) -> String {
    escape(s).replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const STYLE: &str = r#"
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #ffffff; --muted: #5b5b5b; --rule: #d0d0d0; --head: #f3f3f3; --accent: #0b5cad; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8e8e8; --bg: #161719; --muted: #a8a8a8; --rule: #3a3b3e; --head: #222326; --accent: #7fb4ff; }
}
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); max-width: 1060px; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid var(--rule); padding-bottom: 0.2rem; }
.muted { color: var(--muted); }
.verdict { border-left: 4px solid var(--accent); padding: 0.4rem 0.9rem; background: var(--head); }
.verdict p { margin: 0.2rem 0; }
.verdict p:first-child { font-weight: bold; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 13px; margin: 0.5rem 0; }
th, td { border: 1px solid var(--rule); padding: 0.25rem 0.5rem; text-align: right; white-space: nowrap; }
th { background: var(--head); }
td:first-child, th:first-child { text-align: left; font-family: ui-monospace, Menlo, Consolas, monospace; }
.wide { overflow-x: auto; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem; }
dt { color: var(--muted); }
dd { margin: 0; }
figure { margin: 1rem 0; }
svg.chart { max-width: 100%; height: auto; }
pre { font-size: 12px; overflow-x: auto; }
@media print {
  :root { color-scheme: light; --fg: #000000; --bg: #ffffff; --muted: #444444; --rule: #999999; --head: #eeeeee; --accent: #0b5cad; }
  body { max-width: none; margin: 0; font-size: 11pt; }
  svg.chart { page-break-inside: avoid; }
  figure, table { page-break-inside: avoid; }
  details { display: none; }
}
"#;

/// The charts' colours as CSS custom properties: light by default and when printed, the dark
/// palette under `prefers-color-scheme: dark`, and a rule per colour that paints the SVGs'
/// `fill` and `stroke` attributes with them (a standalone SVG keeps its own colours).
fn chart_style() -> String {
    let vars = |dark: bool| {
        let mut v = String::new();
        for (light, night) in PALETTE {
            let _ = write!(v, " {}: {};", css_var(light), if dark { night } else { light });
        }
        v
    };
    let mut s = format!(
        ":root {{{}}}\n@media (prefers-color-scheme: dark) {{ :root {{{}}} }}\n@media print {{ :root {{{}}} }}\n",
        vars(false),
        vars(true),
        vars(false)
    );
    for (light, _) in PALETTE {
        let var = css_var(light);
        let _ = writeln!(
            s,
            "svg.chart [fill=\"{light}\"] {{ fill: var({var}); }} svg.chart [stroke=\"{light}\"] {{ stroke: var({var}); }}"
        );
    }
    let _ = writeln!(s, "svg.chart text:not([fill]) {{ fill: var({}); }}", css_var("#000"));
    s
}

/// A table: a header row and the rows, the first column the row's label.
fn grid(out: &mut String, caption: Option<&str>, columns: &[&str], rows: &[Vec<String>]) {
    out.push_str("<div class=\"wide\"><table>\n");
    if let Some(c) = caption {
        let _ = writeln!(out, "<caption class=\"muted\">{}</caption>", esc(c));
    }
    out.push_str("<thead><tr>");
    for c in columns {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(c));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            if i == 0 {
                let _ = write!(out, "<th scope=\"row\">{}</th>", esc(c));
            } else {
                let _ = write!(out, "<td>{}</td>", esc(c));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

/// The scenario in words: one line per part that is set.
fn scenario(out: &mut String, report: &Report) {
    let s = &report.scenario;
    let mut facts: Vec<(&str, String)> = vec![
        ("window", format_duration(s.duration)),
        ("drain", format!("up to {}", format_duration(s.drain))),
        ("events", format!("{} over {} resources", s.events.rate, s.events.resources)),
        ("seed", s.seed.to_string()),
    ];
    for b in &s.events.bursts {
        facts.push((
            "burst",
            format!("{} from {} for {}", b.rate, format_duration(b.at), format_duration(b.duration)),
        ));
    }
    if !s.events.types.is_empty() {
        let total: f64 = s.events.types.weights.iter().sum();
        let mix: Vec<String> = s
            .events
            .types
            .names
            .iter()
            .zip(&s.events.types.weights)
            .map(|(n, w)| format!("{n} {:.0}%", 100.0 * w / total))
            .collect();
        facts.push(("event types", mix.join(", ")));
    }
    if !s.webhook.subscribe.is_empty() {
        let filter = if s.api.type_filter { "the API filters to them" } else { "pollers fetch every type" };
        facts.push(("subscribed", format!("{} ({filter})", s.webhook.subscribe.join(", "))));
    }
    if !s.events.visibility_daily.is_empty() {
        let (lo, hi) =
            s.events.visibility_daily.iter().fold((u64::MAX, 0), |(l, h), &d| (l.min(d), h.max(d)));
        facts
            .push(("API lag", format!("by time of day, {} to {}", format_duration(lo), format_duration(hi))));
    }
    if let Some(q) = &s.api.rate_limit {
        facts.push(("API quota", text::quota(q)));
    }
    for o in &s.api.faults.outages {
        facts.push((
            "API down",
            format!("from {} for {}", format_duration(o.window.at), format_duration(o.window.duration)),
        ));
    }
    for w in &s.webhook.outages {
        facts.push((
            "deliveries stopped",
            format!("from {} for {}", format_duration(w.at), format_duration(w.duration)),
        ));
    }
    for w in &s.receiver.outages {
        facts.push((
            "receiver down",
            format!("from {} for {}", format_duration(w.at), format_duration(w.duration)),
        ));
    }
    if table::finite(report) {
        facts.push(("receiver", table::receiver(report)));
    }
    out.push_str("<dl>\n");
    for (k, v) in facts {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&v));
    }
    out.push_str("</dl>\n");
    let full = serde_json::to_string_pretty(&report.scenario).unwrap_or_default();
    let _ =
        writeln!(out, "<details><summary>The whole scenario</summary><pre>{}</pre></details>", esc(&full));
}

/// Whether the report is a sweep (a poll strategy at more than one interval) or replicated:
/// then the page shows the sweep's latency-against-cost chart, replicated intervals as bands.
fn sweep_like(report: &Report) -> bool {
    let mut seen: Vec<&str> = Vec::new();
    let polls = report.strategies.iter().filter(|r| r.interval_s.is_some()).map(|r| r.name.as_str());
    let repeated = polls.into_iter().any(|n| {
        let again = seen.contains(&n);
        seen.push(n);
        again
    });
    repeated || report.replications.is_some()
}

/// Renders the report as one self-contained HTML page.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let headline = table::headline(report);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"color-scheme\" content=\"light dark\">\n<title>hookbench: {}</title>\n<style>{STYLE}{}</style>\n</head>\n<body>\n<header>\n<h1>hookbench: {}</h1>\n<p class=\"muted\">{}</p>\n</header>\n",
        esc(&report.scenario.name),
        chart_style(),
        esc(&report.scenario.name),
        esc(&headline)
    );
    if !report.scenario.description.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", esc(&report.scenario.description));
    }
    if let Some(v) = &report.verdict {
        out.push_str("<section aria-label=\"verdict\" class=\"verdict\">\n");
        for line in super::verdict::render(v).lines() {
            let _ = writeln!(out, "<p>{}</p>", esc(line.trim_start()));
        }
        out.push_str("</section>\n");
    }
    out.push_str("<h2>Results</h2>\n");
    let finite = table::finite(report);
    if finite {
        let _ = writeln!(
            out,
            "<p>Ready latency: from the event until the receiver has processed it ({}).</p>",
            esc(&table::receiver(report))
        );
    }
    let rows: Vec<Vec<String>> = report.strategies.iter().map(|s| table::row(s, finite)).collect();
    grid(&mut out, None, &table::COLUMNS, &rows);
    let detection = table::processing_rows(report);
    if !detection.is_empty() {
        grid(&mut out, Some(table::PROCESSING_HEADING), &table::PROCESSING_COLUMNS, &detection);
    }
    let delivery = table::delivery_rows(report);
    if !delivery.is_empty() {
        grid(&mut out, Some(table::DELIVERY_HEADING), &table::DELIVERY_COLUMNS, &delivery);
    }
    let mut notes = table::notes(report);
    notes.push(table::legend(finite).replace('\n', " "));
    for n in notes {
        let lines: Vec<String> = n.lines().map(|l| esc(l.trim())).collect();
        let _ = writeln!(out, "<p class=\"muted\"><small>{}</small></p>", lines.join("<br>\n"));
    }
    // A sweep's dozens of rows are read on its cost–latency chart, not on timelines.
    let sweep = sweep_like(report);
    let charts = if sweep { Vec::new() } else { chart::run_charts(report) };
    let (cdf, over_time): (Vec<_>, Vec<_>) = charts.into_iter().partition(|(name, _)| *name == "cdf");
    if !over_time.is_empty() {
        out.push_str("<h2>Over time</h2>\n");
        for (_, svg) in over_time {
            let _ = writeln!(out, "<figure>\n{svg}</figure>");
        }
    }
    if sweep {
        let target = report.scenario.target.latency.map(|(_, us)| us as f64 / MILLI as f64);
        out.push_str("<h2>Latency against cost</h2>\n");
        let _ = writeln!(out, "<figure>\n{}</figure>", chart::render(report, target));
    }
    for (_, svg) in cdf {
        out.push_str("<h2>Latency distribution</h2>\n");
        let _ = writeln!(out, "<figure>\n{svg}</figure>");
    }
    out.push_str("<h2>Scenario</h2>\n");
    scenario(&mut out, report);
    let _ = writeln!(
        out,
        "<footer><p class=\"muted\"><small>hookbench {} · {} engine · schema {}</small></p></footer>\n</body>\n</html>",
        esc(&report.hookbench_version),
        esc(&report.engine),
        report.schema
    );
    out
}
