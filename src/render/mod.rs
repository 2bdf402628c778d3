//! Renderers: format finished results — and only format them.
//!
//! Owns everything hookbench prints and the [`Format`] a report is printed in: the [`Report`]
//! in each format, `check`'s comparison, `advise`'s answer, threshold breaches, the sweep's
//! frontier note and the scenario listings. Every number shown is already in the data handed
//! in; a renderer may round, group digits and choose units, never compute a statistic. It never
//! imports `cli` or `commands`, and never writes anywhere: it returns strings.

pub mod advice;
pub mod bmf;
pub mod breaches;
pub mod chart;
pub mod check;
pub mod csv;
pub mod fit;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod png;
pub mod scenarios;
pub mod table;
pub mod text;
pub mod verdict;

use crate::result::report::Report;

/// Output formats of a report (clap reads `--format` straight into this).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// The versioned JSON report (`"schema": 1`).
    Json,
    /// One row per strategy and interval, units in the column names.
    Csv,
    /// A GitHub-flavoured Markdown table, for PR comments and CI step summaries.
    Markdown,
    /// The Bencher Metric Format (JSON keyed by row label).
    Bmf,
    /// JUnit XML: one testcase per threshold and row (without thresholds, per row: its events
    /// conserved and the run complete), for CI test reports.
    Junit,
    /// One self-contained HTML page: the verdict, the tables and the charts, for a
    /// design review (no script, nothing fetched).
    Html,
}

/// Renders `report` in `format`.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Table => table::render(report),
        Format::Json => json::render(report),
        Format::Csv => csv::render(report),
        Format::Markdown => markdown::render(report),
        Format::Bmf => bmf::render(report),
        Format::Junit => junit::render(report),
        Format::Html => html::render(report),
    }
}
