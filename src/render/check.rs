//! `check`'s comparison as a terminal table or as GitHub-flavoured Markdown, with a summary line.
//!
//! Owns the layout of a [`Comparison`]: one line per row and measure (the row label shown once
//! per group in the table), the values in the measure's unit, the change and the verdict. It
//! never decides what regressed ([`crate::baseline`] does).

use super::text;
use crate::baseline::{Change, Comparison, Diff};

const HEAD: [&str; 6] = ["strategy", "metric", "baseline", "result", "change", "verdict"];

fn change(d: &Diff) -> String {
    match d.change {
        Change::Same => "=".into(),
        Change::Percent(p) => format!("{p:+.1}%"),
        Change::FromZero(r) => format!("+{}", text::measure(d.measure, Some(r))),
        Change::Changed => "changed".into(),
    }
}

fn cells(d: &Diff) -> [String; 6] {
    [
        text::escape(&d.row),
        d.measure.name().to_string(),
        text::measure(d.measure, d.base),
        text::measure(d.measure, d.result),
        change(d),
        if d.regression { "REGRESSION".into() } else { "ok".into() },
    ]
}

fn summary(c: &Comparison) -> String {
    let n = c.regressions();
    let tolerance = c.tolerance * 100.0;
    if n == 0 {
        format!("no regressions beyond {tolerance:.1}% in {} comparisons", c.diffs.len())
    } else {
        let s = if n == 1 { "" } else { "s" };
        format!("{n} regression{s} beyond {tolerance:.1}% in {} comparisons", c.diffs.len())
    }
}

/// The comparison as a Markdown table and a bold summary.
pub fn markdown(c: &Comparison) -> String {
    let mut s = format!("| {} |\n|:---|:---|---:|---:|---:|:---|\n", HEAD.join(" | "));
    for d in &c.diffs {
        s.push_str(&format!("| {} |\n", cells(d).join(" | ")));
    }
    s.push_str(&format!("\n**{}**\n", summary(c)));
    s
}

/// The comparison as an aligned table (numbers right-aligned) and a summary.
pub fn table(c: &Comparison) -> String {
    let rows: Vec<[String; 6]> = c.diffs.iter().map(cells).collect();
    let widths: Vec<usize> = (0..6)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).chain([HEAD[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: [&str; 6]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = " ".repeat(widths[i].saturating_sub(c.chars().count()));
            if (2..5).contains(&i) {
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
    s.push_str(&format!("{}\n", "─".repeat(widths.iter().sum::<usize>() + 10)));
    let mut last = "";
    for (r, d) in rows.iter().zip(&c.diffs) {
        let label = if d.row == last { "" } else { r[0].as_str() };
        last = &d.row;
        s.push_str(&line([label, &r[1], &r[2], &r[3], &r[4], &r[5]]));
    }
    s.push_str(&format!("\n{}\n", summary(c)));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Measure;

    fn diff(row: &str, measure: Measure, base: f64, result: f64, change: Change, regression: bool) -> Diff {
        Diff { row: row.into(), measure, base: Some(base), result: Some(result), change, regression }
    }

    #[test]
    fn table_groups_rows_and_counts_regressions() {
        let c = Comparison {
            tolerance: 0.05,
            diffs: vec![
                diff("poll@30s", Measure::P99, 1_000.0, 1_200.0, Change::Percent(20.0), true),
                diff("poll@30s", Measure::Missed, 0.0, 0.0, Change::Same, false),
            ],
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
