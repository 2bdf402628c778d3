//! Threshold breaches as a small table, and the pass/fail summary line, for stderr under a run's
//! result.
//!
//! Owns the layout of [`Breach`]es only: which thresholds failed, on which row, with the row's
//! value in the measure's unit. It never evaluates a threshold ([`crate::result::threshold`] does).

use super::text;
use crate::result::threshold::{Breach, Tally};

/// `N threshold breach(es):` and one aligned line per breach.
pub fn render(breaches: &[Breach]) -> String {
    let shown: Vec<(String, String)> =
        breaches.iter().map(|b| (text::escape(&b.threshold), text::escape(&b.row))).collect();
    let w1 = shown.iter().map(|(t, _)| t.chars().count()).max().unwrap_or(0).max(9);
    let w2 = shown.iter().map(|(_, r)| r.chars().count()).max().unwrap_or(0).max(3);
    let mut s = format!(
        "{} threshold breach{}:\n{:<w1$}  {:<w2$}  actual\n",
        breaches.len(),
        if breaches.len() == 1 { "" } else { "es" },
        "threshold",
        "row"
    );
    for (b, (threshold, row)) in breaches.iter().zip(&shown) {
        s.push_str(&format!("{threshold:<w1$}  {row:<w2$}  {}\n", text::measure(b.measure, b.actual)));
    }
    if breaches.iter().any(|b| b.bound) {
        s.push_str("(a replicated run: each value is the pessimistic bound of its 95% interval, which is what was judged)\n");
    }
    for (b, (_, row)) in breaches.iter().zip(&shown) {
        if b.actual.is_none() && b.measure.endpoint_only() {
            s.push_str(&format!(
                "{row} has no ack latency: no webhook delivery to it was answered with a 2xx\n"
            ));
        }
    }
    s
}

/// The one-line verdict of a run's thresholds: `3 thresholds, 3 passed` or `3 thresholds, 1 failed`.
pub fn summary(t: Tally) -> String {
    let noun = if t.thresholds == 1 { "threshold" } else { "thresholds" };
    if t.failed == 0 {
        format!("{} {noun}, {} passed\n", t.thresholds, t.thresholds)
    } else {
        format!("{} {noun}, {} failed\n", t.thresholds, t.failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::measure::Measure;

    #[test]
    fn one_aligned_line_per_breach() {
        let b = |threshold: &str, row: &str, actual| Breach {
            threshold: threshold.into(),
            row: row.into(),
            measure: Measure::P99,
            bound: false,
            actual,
        };
        assert_eq!(
            render(&[b("webhook.p99<1s", "webhook", Some(2_300.0)), b("poll.p99<1s", "poll@30s", None)]),
            "2 threshold breaches:\nthreshold       row       actual\nwebhook.p99<1s  webhook   2.3s\npoll.p99<1s     poll@30s  —\n"
        );
    }

    #[test]
    fn one_summary_line() {
        assert_eq!(summary(Tally { thresholds: 3, failed: 0 }), "3 thresholds, 3 passed\n");
        assert_eq!(summary(Tally { thresholds: 3, failed: 1 }), "3 thresholds, 1 failed\n");
        assert_eq!(summary(Tally { thresholds: 1, failed: 0 }), "1 threshold, 1 passed\n");
    }

    #[test]
    fn an_endpoint_without_acks_says_so() {
        let b = Breach {
            threshold: "endpoint.ack_p99<2s".into(),
            row: "endpoint".into(),
            measure: Measure::AckP99,
            actual: None,
            bound: false,
        };
        assert_eq!(
            render(&[b]),
            "1 threshold breach:\nthreshold            row       actual\nendpoint.ack_p99<2s  endpoint  —\n\
             endpoint has no ack latency: no webhook delivery to it was answered with a 2xx\n"
        );
    }

    #[test]
    fn control_characters_are_written_out() {
        let b = Breach {
            threshold: "x\u{1b}[2J<1s".into(),
            row: "r\u{202e}".into(),
            measure: Measure::P99,
            bound: false,
            actual: None,
        };
        let out = render(&[b]);
        assert!(out.contains("x\\u{1b}[2J<1s") && out.contains("r\\u{202e}"), "{out}");
        assert!(!out.contains('\u{1b}') && !out.contains('\u{202e}'), "{out}");
    }
}
