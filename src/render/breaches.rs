//! Threshold breaches as a small table, for stderr under a run's result.
//!
//! Owns the layout of [`Breach`]es only: which thresholds failed, on which row, with the row's
//! value in the measure's unit. It never evaluates a threshold ([`crate::threshold`] does).

use super::text;
use crate::threshold::Breach;

/// `N threshold breach(es):` and one aligned line per breach.
pub fn render(breaches: &[Breach]) -> String {
    let w1 = breaches.iter().map(|b| b.threshold.chars().count()).max().unwrap_or(0).max(9);
    let w2 = breaches.iter().map(|b| b.row.chars().count()).max().unwrap_or(0).max(3);
    let mut s = format!(
        "{} threshold breach{}:\n{:<w1$}  {:<w2$}  actual\n",
        breaches.len(),
        if breaches.len() == 1 { "" } else { "es" },
        "threshold",
        "row"
    );
    for b in breaches {
        s.push_str(&format!(
            "{:<w1$}  {:<w2$}  {}\n",
            b.threshold,
            b.row,
            text::measure(b.measure, b.actual)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Measure;

    #[test]
    fn one_aligned_line_per_breach() {
        let b = |threshold: &str, row: &str, actual| Breach {
            threshold: threshold.into(),
            row: row.into(),
            measure: Measure::P99,
            actual,
        };
        assert_eq!(
            render(&[b("webhook.p99<1s", "webhook", Some(2_300.0)), b("poll.p99<1s", "poll@30s", None)]),
            "2 threshold breaches:\nthreshold       row       actual\nwebhook.p99<1s  webhook   2.3s\npoll.p99<1s     poll@30s  —\n"
        );
    }
}
