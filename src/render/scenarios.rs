//! `scenarios list` and `scenarios validate`: one line per scenario.
//!
//! Owns the layout of a [`ScenarioSummary`] — the few facts about a scenario those listings show — as
//! a borderless table or as an `ok:` line. The command fills the summaries; this module never
//! loads or validates a scenario.

use super::text::escape;
use crate::scenario::Quota;
use crate::support::units::{format_duration, Micros, Rate};

/// What the listings show about one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioSummary {
    /// The scenario's own `name`.
    pub name: String,
    /// Its window.
    pub duration: Micros,
    /// Events it is expected to produce in the window.
    pub expected_events: f64,
    /// Its rate limit, if any.
    pub quota: Option<Quota>,
    /// Its description.
    pub description: String,
    /// How many strategies it runs.
    pub strategies: usize,
}

/// The bundled scenarios as a table: `(bundled name, is the default, summary)` per row.
pub fn list(rows: &[(&str, bool, ScenarioSummary)]) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::NOTHING);
    t.set_header(vec!["name", "span", "events", "quota", "description"]);
    for (name, default, s) in rows {
        let mark = if *default { " (default)" } else { "" };
        t.add_row(vec![
            format!("{}{mark}", escape(name)),
            format_duration(s.duration),
            format!("~{:.0}", s.expected_events),
            s.quota.map_or("none".into(), |q| match q.algorithm {
                crate::model::ratelimit::Algorithm::FixedWindow => {
                    Rate { count: q.limit as f64, per: q.window }.to_string()
                }
                _ => super::text::quota(&q),
            }),
            escape(&s.description),
        ]);
    }
    // The table pads every cell to its column; a line ends at its last character.
    t.to_string().lines().map(|l| format!("{}\n", l.trim_end())).collect()
}

/// One `ok:` line per scenario that validated: `(name as given, summary)`.
pub fn validated(rows: &[(&str, ScenarioSummary)]) -> String {
    rows.iter()
        .map(|(given, s)| {
            format!(
                "ok: {}: `{}`, {} window, ~{:.0} events, {} strategies\n",
                escape(given),
                escape(&s.name),
                format_duration(s.duration),
                s.expected_events,
                s.strategies
            )
        })
        .collect()
}
