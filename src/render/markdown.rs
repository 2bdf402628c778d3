//! The Markdown renderer: the comparison table as GitHub-flavoured Markdown, for pull-request
//! comments and CI step summaries (`>> $GITHUB_STEP_SUMMARY`).
//!
//! Shows the same cells as the terminal table (it reuses [`table::row`]), right-aligned numbers,
//! the run's headline and the notes, with `|` escaped and control characters written out
//! ([`escape`]); a `serve --report` with a webhook endpoint adds the terminal's endpoint table
//! (ack latency, failures by kind: [`table::delivery_rows`]) as a second table. It only formats
//! report fields.

use super::table;
use super::text::escape;
use crate::result::report::Report;

/// A cell's text: control and bidi characters written out, `|` escaped.
fn cell(s: &str) -> String {
    escape(s).replace('|', "\\|")
}

/// A table: the header, the first column left-aligned and in backticks, the others right-aligned.
fn grid(columns: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n", columns.join(" | "));
    let align: Vec<&str> = (0..columns.len()).map(|i| if i == 0 { ":---" } else { "---:" }).collect();
    out.push_str(&format!("| {} |\n", align.join(" | ")));
    for row in rows {
        let mut cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        if let Some(first) = cells.first_mut() {
            *first = format!("`{first}`");
        }
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// Renders the report as Markdown.
pub fn render(report: &Report) -> String {
    let mut out = format!("**{}**\n\n", cell(&table::headline(report)));
    if !report.scenario.description.is_empty() {
        out.push_str(&format!("{}\n\n", cell(&report.scenario.description)));
    }
    let finite = table::finite(report);
    if finite {
        out.push_str(&format!(
            "Ready latency: from the event until the receiver has processed it ({}).\n\n",
            cell(&table::receiver(report))
        ));
    }
    let rows: Vec<Vec<String>> = report.strategies.iter().map(|s| table::row(s, finite)).collect();
    out.push_str(&grid(&table::COLUMNS, &rows));
    if let Some(v) = &report.verdict {
        out.push('\n');
        for (i, line) in super::verdict::render(v).lines().enumerate() {
            let line = cell(line.trim_start());
            out.push_str(&if i == 0 { format!("**{line}**\n") } else { format!("- {line}\n") });
        }
    }
    let detection = table::processing_rows(report);
    if !detection.is_empty() {
        out.push_str(&format!("\n{}\n\n", cell(table::PROCESSING_HEADING)));
        out.push_str(&grid(&table::PROCESSING_COLUMNS, &detection));
    }
    let delivery = table::delivery_rows(report);
    if !delivery.is_empty() {
        out.push_str(&format!("\n{}\n\n", cell(table::DELIVERY_HEADING)));
        out.push_str(&grid(&table::DELIVERY_COLUMNS, &delivery));
    }
    let mut notes = table::notes(report);
    notes.push(table::legend(finite).replace('\n', " "));
    out.push('\n');
    for n in notes {
        out.push_str(&format!("<sub>{}</sub>\n\n", cell(&n)));
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
