//! JUnit XML, the test report format CI systems display natively (GitHub Actions, GitLab,
//! Jenkins): a run's judged thresholds, or `check`'s comparison, as test cases.
//!
//! Owns the XML layout only: one `<testsuite>` per run inside `<testsuites>`, one `<testcase>`
//! per (threshold, row) with a `<failure message=…>` on a breach; a run without thresholds gets
//! one testcase per row for what it is gated on anyway (its events conserved, the run complete).
//! Everything a user wrote or a file carried (scenario names, expressions, row labels) is
//! XML-escaped ([`xml`]), control characters written out first. It judges nothing:
//! [`crate::result::threshold`] and [`crate::result::baseline`] did.

use super::text;
use crate::result::measure::Measure;
use crate::result::report::Report;
use crate::result::threshold;

/// Text safe inside an XML attribute or element: control and bidi characters written out
/// (`\u{1b}`: XML 1.0 cannot carry most of them), then `& < > " '` as entities.
pub fn xml(s: &str) -> String {
    let mut out = String::new();
    for c in text::escape(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// One test case: its name and, when it failed, the failure message.
pub struct Case {
    /// The testcase's `name`.
    pub name: String,
    /// The `<failure message=…>`, if it failed.
    pub failure: Option<String>,
}

/// A whole JUnit document of one suite: `suite` names it, `class` is every case's classname,
/// `time` the suite's seconds.
pub fn document(suite: &str, class: &str, time: f64, cases: &[Case]) -> String {
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&format!(
        "<testsuites name=\"hookbench\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{time:.3}\">\n",
        cases.len()
    ));
    s.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{time:.3}\">\n",
        xml(suite),
        cases.len()
    ));
    for c in cases {
        let open = format!("    <testcase classname=\"{}\" name=\"{}\" time=\"0\"", xml(class), xml(&c.name));
        match &c.failure {
            None => s.push_str(&format!("{open}/>\n")),
            Some(m) => s.push_str(&format!(
                "{open}>\n      <failure message=\"{}\" type=\"failure\">{}</failure>\n    </testcase>\n",
                xml(m),
                xml(m)
            )),
        }
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}

/// The run as JUnit: its thresholds, or without them each row's events conserved and the run
/// complete.
pub fn render(report: &Report) -> String {
    let sc = &report.scenario;
    let suite = format!("hookbench {} · scenario {} · seed {}", report.engine, sc.name, report.seed);
    let class = format!("hookbench.{}", sc.name);
    let cases: Vec<Case> = match &report.thresholds {
        Some(judged) => judged
            .iter()
            .map(|j| Case {
                name: format!("{} [{}]", j.expr, j.row),
                failure: (!j.pass).then(|| {
                    let value = match Measure::parse(&j.metric) {
                        Ok(m) => text::measure(m, j.value),
                        Err(_) => j.value.map_or("—".into(), |v| v.to_string()),
                    };
                    format!("{}: {} is {value}, which does not meet {}", j.row, j.metric, j.expr)
                }),
            })
            .collect(),
        None => report
            .strategies
            .iter()
            .map(|row| {
                let e = &row.events;
                let failure = if !threshold::conserved(row) {
                    Some(format!(
                        "{}: {} events, but {} detected + {} missed + {} in flight",
                        row.label, e.total, e.detected, e.missed, e.in_flight
                    ))
                } else if report.run.partial {
                    Some(format!(
                        "{}: the run was stopped before its end; its numbers cover {} s only",
                        row.label,
                        report.run.covered_s.unwrap_or(0.0)
                    ))
                } else {
                    None
                };
                Case { name: format!("{}: events conserved, run complete", row.label), failure }
            })
            .collect(),
    };
    document(&suite, &class, report.wall_time_s, &cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped() {
        assert_eq!(xml("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
        assert!(!xml("x\u{1b}[2J").contains('\u{1b}'));
    }

    #[test]
    fn one_case_per_line_and_a_failure_on_a_breach() {
        let doc = document(
            "s",
            "c",
            0.5,
            &[
                Case { name: "ok".into(), failure: None },
                Case { name: "bad".into(), failure: Some("a<b".into()) },
            ],
        );
        assert!(doc.contains("tests=\"2\" failures=\"1\""), "{doc}");
        assert!(doc.contains("<testcase classname=\"c\" name=\"ok\" time=\"0\"/>"), "{doc}");
        assert!(doc.contains("<failure message=\"a&lt;b\" type=\"failure\">a&lt;b</failure>"), "{doc}");
    }
}
