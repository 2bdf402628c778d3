//! The Bencher Metric Format renderer (<https://bencher.dev/docs/reference/bencher-metric-format>):
//! a JSON object keyed by benchmark name — the row label, `poll@30s` — whose values map a
//! measure's slug to `{ "value": number }`.
//!
//! Owns the measure slugs and their units: `latency` is the mean in nanoseconds (Bencher's
//! built-in Latency measure is in ns); `latency_p50`, `latency_p90`, `latency_p99`, `latency_max`
//! likewise in ns; `missed`, `duplicates`, `requests_per_day`, `webhook_attempts_per_day`,
//! `bytes_per_day`, `peak_quota_use` (0–1) as they are. A measure without a value is left out
//! (BMF has no null): a latency when the row detected nothing, and one that does not apply —
//! `requests_per_day` of `webhook`, `webhook_attempts_per_day` of a poller, `peak_quota_use`
//! without a quota or API calls. It only formats report fields.

use serde_json::{json, Map, Value};

use crate::result::measure::Measure;
use crate::result::report::Report;

/// The measures, in order: slug, the report measure, and the factor to Bencher's unit.
const MEASURES: [(&str, Measure, f64); 10] = [
    ("latency", Measure::Mean, 1e6),
    ("latency_p50", Measure::P50, 1e6),
    ("latency_p90", Measure::P90, 1e6),
    ("latency_p99", Measure::P99, 1e6),
    ("latency_max", Measure::Max, 1e6),
    ("missed", Measure::Missed, 1.0),
    ("duplicates", Measure::Duplicates, 1.0),
    ("requests_per_day", Measure::RequestsPerDay, 1.0),
    ("webhook_attempts_per_day", Measure::WebhookAttemptsPerDay, 1.0),
    ("bytes_per_day", Measure::BytesPerDay, 1.0),
];

/// Renders the report as BMF JSON.
pub fn render(report: &Report) -> String {
    let mut benchmarks = Map::new();
    for row in &report.strategies {
        let mut measures = Map::new();
        for (slug, m, factor) in MEASURES {
            if let Some(v) = m.of(row) {
                measures.insert(slug.into(), json!({ "value": v * factor }));
            }
        }
        if let Some(v) = Measure::PeakUse.of(row) {
            measures.insert("peak_quota_use".into(), json!({ "value": v }));
        }
        benchmarks.insert(row.label.clone(), Value::Object(measures));
    }
    let mut s = serde_json::to_string_pretty(&Value::Object(benchmarks))
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
