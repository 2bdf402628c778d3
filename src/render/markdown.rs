//! The Markdown renderer: the comparison table as GitHub-flavoured Markdown, for pull-request
//! comments and CI step summaries (`>> $GITHUB_STEP_SUMMARY`).
//!
//! Shows the same cells as the terminal table (it reuses [`table::row`]), right-aligned numbers,
//! the run's headline and the notes, with `|` escaped and control characters written out
//! ([`escape`]). It only formats report fields.

use super::table;
use super::text::escape;
use crate::report::Report;

/// A cell's text: control and bidi characters written out, `|` escaped.
fn cell(s: &str) -> String {
    escape(s).replace('|', "\\|")
}

/// Renders the report as Markdown.
pub fn render(report: &Report) -> String {
    let mut out = format!("**{}**\n\n", cell(&table::headline(report)));
    if !report.scenario.description.is_empty() {
        out.push_str(&format!("{}\n\n", cell(&report.scenario.description)));
    }
    out.push_str(&format!("| {} |\n", table::COLUMNS.join(" | ")));
    let align: Vec<&str> = (0..table::COLUMNS.len()).map(|i| if i == 0 { ":---" } else { "---:" }).collect();
    out.push_str(&format!("| {} |\n", align.join(" | ")));
    for s in &report.strategies {
        let mut cells: Vec<String> = table::row(s).iter().map(|c| cell(c)).collect();
        if let Some(first) = cells.first_mut() {
            *first = format!("`{first}`");
        }
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    let mut notes = table::notes(report);
    notes.push(table::LEGEND.replace('\n', " "));
    out.push('\n');
    for n in notes {
        out.push_str(&format!("<sub>{}</sub>\n\n", cell(&n)));
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
