//! The JSON renderer: the versioned report (DESIGN.md §8), pretty-printed, one trailing newline.

use crate::result::report::Report;

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
