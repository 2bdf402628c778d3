//! Renderers: format a finished [`Report`] — and only format it.
//!
//! Owns the presentation of results. Every number shown is already in the report; a renderer
//! may round, group digits and choose units, never compute a statistic.

pub mod bmf;
pub mod chart;
pub mod csv;
pub mod json;
pub mod markdown;
pub mod table;

use crate::cli::Format;
use crate::report::Report;

/// Renders `report` in `format`.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Table => table::render(report),
        Format::Json => json::render(report),
        Format::Csv => csv::render(report),
        Format::Markdown => markdown::render(report),
        Format::Bmf => bmf::render(report),
    }
}
