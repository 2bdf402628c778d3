//! The JSON renderer: the versioned report (DESIGN.md §8), pretty-printed, one trailing newline.

use crate::result::report::Report;

/// Renders a JSON value (a saved result as it was read) the way [`render`] writes a report.
pub fn value(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

/// Renders the report as JSON.
pub fn render(report: &Report) -> String {
    match serde_json::to_string_pretty(report) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        // Plain structs of numbers and strings cannot fail to serialize; say so if they do.
        Err(e) => format!("{{\"schema\":1,\"error\":\"{e}\"}}\n"),
    }
}
