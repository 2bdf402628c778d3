//! `check`'s comparison as a terminal table, GitHub-flavoured Markdown, JSON or JUnit XML, with a
//! summary line.
//!
//! Owns the layout of a [`Comparison`]: one line per row and measure (the row label shown once
//! per group in the table), the values in the measure's unit, the change and the verdict; for
//! two replicated runs also each test's p-value, and a summary that names the test and its
//! level. It never decides what regressed ([`crate::result::baseline`] does).

use super::junit::{document, Case};
use super::text;
use crate::result::baseline::{Change, Comparison, Diff, CHECK_SCHEMA};

const HEAD: [&str; 7] = ["strategy", "metric", "baseline", "result", "change", "verdict", "p"];

/// Columns shown: the p-value only when significance was tested.
fn columns(c: &Comparison) -> usize {
    if c.significance.is_some() {
        7
    } else {
        6
    }
}

fn p(d: &Diff) -> String {
    match d.p_value {
        None => "—".into(),
        Some(p) if p < 0.001 => "<0.001".into(),
        Some(p) => format!("{p:.3}"),
    }
}

fn change(d: &Diff) -> String {
    match d.change {
        Change::Same => "=".into(),
        Change::Percent(p) => format!("{p:+.1}%"),
        Change::FromZero(r) => format!("+{}", text::measure(d.measure, Some(r))),
        Change::Changed => "changed".into(),
    }
}

fn cells(d: &Diff) -> [String; 7] {
    [
        text::escape(&d.row),
        d.measure.name().to_string(),
        text::measure(d.measure, d.base),
        text::measure(d.measure, d.result),
        change(d),
        if d.regression { "REGRESSION".into() } else { "ok".into() },
        p(d),
    ]
}

fn summary(c: &Comparison) -> String {
    let n = c.regressions();
    let tolerance = c.tolerance * 100.0;
    let beyond = match &c.significance {
        None => format!("beyond {tolerance:.1}%"),
        Some(s) => format!(
            "beyond {tolerance:.1}% and significant at the {} level (Welch's t-test, {} vs {} replications, Holm-corrected over {} tests)",
            level(s.level),
            s.result_n,
            s.base_n,
            s.tests
        ),
    };
    if n == 0 {
        format!("no regressions {beyond} in {} comparisons", c.diffs.len())
    } else {
        let s = if n == 1 { "" } else { "s" };
        format!("{n} regression{s} {beyond} in {} comparisons", c.diffs.len())
    }
}

/// A level as a percentage: `5%`, `0.1%`.
fn level(x: f64) -> String {
    let p = x * 100.0;
    if p.fract() == 0.0 {
        format!("{p:.0}%")
    } else {
        format!("{p}%")
    }
}

/// The comparison as a Markdown table and a bold summary.
pub fn markdown(c: &Comparison) -> String {
    let n = columns(c);
    let align = [":---", ":---", "---:", "---:", "---:", ":---", "---:"];
    let mut s = format!("| {} |\n|{}|\n", HEAD[..n].join(" | "), align[..n].join("|"));
    for d in &c.diffs {
        s.push_str(&format!("| {} |\n", cells(d)[..n].join(" | ")));
    }
    s.push_str(&format!("\n**{}**\n", summary(c)));
    s
}

/// The comparison as JSON (`schema-check.json`): the tolerance, the significance test, the
/// counts and every compared cell.
pub fn json(c: &Comparison) -> String {
    let v = serde_json::json!({
        "schema": CHECK_SCHEMA,
        "pass": c.regressions() == 0,
        "regressions": c.regressions(),
        "comparisons": c.diffs.len(),
        "tolerance": c.tolerance,
        "significance": c.significance,
        "diffs": c.diffs,
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

/// The comparison as JUnit XML: one testcase per row and measure, a failure per regression.
pub fn junit(c: &Comparison) -> String {
    let cases: Vec<Case> = c
        .diffs
        .iter()
        .map(|d| Case {
            name: format!("{} {}", d.row, d.measure.name()),
            failure: d.regression.then(|| {
                format!(
                    "{} {} regressed: baseline {}, result {} ({}); {}",
                    d.row,
                    d.measure.name(),
                    text::measure(d.measure, d.base),
                    text::measure(d.measure, d.result),
                    change(d),
                    summary(c)
                )
            }),
        })
        .collect();
    document("hookbench check", "hookbench.check", 0.0, &cases)
}

/// The comparison as an aligned table (numbers right-aligned) and a summary.
pub fn table(c: &Comparison) -> String {
    let n = columns(c);
    let rows: Vec<[String; 7]> = c.diffs.iter().map(cells).collect();
    let widths: Vec<usize> = (0..7)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).chain([HEAD[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: [&str; 7]| {
        let mut l = String::new();
        for (i, c) in cells.iter().take(n).enumerate() {
            let pad = " ".repeat(widths[i].saturating_sub(c.chars().count()));
            if (2..5).contains(&i) || i == 6 {
                l.push_str(&pad);
                l.push_str(c);
            } else {
                l.push_str(c);
                l.push_str(&pad);
            }
            l.push_str("  ");
        }
        l.truncate(l.trim_end().len());
        l.push('\n');
        l
    };
    let mut s = line(HEAD);
    s.push_str(&format!("{}\n", "─".repeat(widths[..n].iter().sum::<usize>() + 2 * (n - 1))));
    let mut last = "";
    for (r, d) in rows.iter().zip(&c.diffs) {
        let label = if d.row == last { "" } else { r[0].as_str() };
        last = &d.row;
        s.push_str(&line([label, &r[1], &r[2], &r[3], &r[4], &r[5], &r[6]]));
    }
    s.push_str(&format!("\n{}\n", summary(c)));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::measure::Measure;

    fn diff(row: &str, measure: Measure, base: f64, result: f64, change: Change, regression: bool) -> Diff {
        Diff {
            row: row.into(),
            measure,
            base: Some(base),
            result: Some(result),
            change,
            regression,
            p_value: None,
        }
    }

    #[test]
    fn table_groups_rows_and_counts_regressions() {
        let c = Comparison {
            tolerance: 0.05,
            diffs: vec![
                diff("poll@30s", Measure::P99, 1_000.0, 1_200.0, Change::Percent(20.0), true),
                diff("poll@30s", Measure::Missed, 0.0, 0.0, Change::Same, false),
            ],
            significance: None,
        };
        assert_eq!(
            table(&c),
            "strategy  metric  baseline  result  change  verdict\n\
             ──────────────────────────────────────────────────────\n\
             poll@30s  p99           1s    1.2s  +20.0%  REGRESSION\n\
             \x20         missed         0       0       =  ok\n\
             \n1 regression beyond 5.0% in 2 comparisons\n"
        );
        assert!(markdown(&c).ends_with(
            "| poll@30s | missed | 0 | 0 | = | ok |\n\n**1 regression beyond 5.0% in 2 comparisons**\n"
        ));
    }
}
