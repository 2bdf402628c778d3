//! One threshold judged on one row: the entries of the JSON result's `thresholds`, and their
//! tally.
//!
//! Owns the plain data a judged `--threshold` leaves in a [`Report`](crate::result::report::Report);
//! [`crate::result::threshold`] (and `serve --report`) judge, and fill it in. It sits below
//! `report` and imports nothing of the result, so the report can carry it without an import
//! circle: the metric is the measure's name, as the JSON writes it.

use serde::{Deserialize, Serialize};

/// One (threshold, row) pair judged: an entry of the JSON result's `thresholds`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    /// The expression as written.
    pub expr: String,
    /// The row's label (`poll@30s`, `client:KEY`, `endpoint`).
    pub row: String,
    /// The measure's name (`p99`, `missed`, `requests_per_day`).
    pub metric: String,
    /// The row's value in the measure's unit (ms, a count, a share); `None` when it has none.
    pub value: Option<f64>,
    /// The limit, in the same unit.
    pub limit: f64,
    /// Whether the row meets it.
    pub pass: bool,
    /// On a replicated run: `value` is the pessimistic bound of the figure's 95% interval (the
    /// upper for `<`, the lower for `>`), which is what was judged. Absent otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bound: bool,
}

/// How many thresholds (expressions, over all the rows each names) were judged and how many
/// failed on at least one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Distinct expressions judged.
    pub thresholds: usize,
    /// Those that failed on some row.
    pub failed: usize,
}

/// Counts the expressions of `judged` and those with a failing row.
pub fn tally(judged: &[Judgement]) -> Tally {
    let mut seen: Vec<(&str, bool)> = Vec::new();
    for j in judged {
        match seen.iter_mut().find(|(e, _)| *e == j.expr) {
            Some((_, failed)) => *failed |= !j.pass,
            None => seen.push((&j.expr, !j.pass)),
        }
    }
    Tally { thresholds: seen.len(), failed: seen.iter().filter(|(_, f)| *f).count() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_expressions_not_rows() {
        let j = |expr: &str, pass| Judgement {
            expr: expr.into(),
            row: "r".into(),
            metric: "p99".into(),
            value: Some(1.0),
            limit: 2.0,
            pass,
            bound: false,
        };
        let judged = [j("a", true), j("a", false), j("b", true), j("c", true)];
        assert_eq!(tally(&judged), Tally { thresholds: 3, failed: 1 });
    }
}
