//! `hookbench check RESULT.json --baseline BASE.json`: the CI gate.
//!
//! Owns reading two JSON results, refusing to compare what is not comparable (another schema,
//! another hookbench version, another engine, another scenario, other rows: exit 2 with the
//! difference named), and the diff per row and measure. A measure regresses when it moved in its
//! worse direction ([`Measure::higher_is_worse`]) by more than the tolerance relative to the
//! baseline; identical files always pass. It never runs the engine.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::print;
use crate::cli::{CheckArgs, Format};
use crate::error::{Error, Result};
use crate::measure::Measure;
use crate::report::{StrategyReport, SCHEMA};

/// The measures compared when `--metric` is not given.
pub const DEFAULT_METRICS: [Measure; 7] = [
    Measure::Mean,
    Measure::P50,
    Measure::P99,
    Measure::Max,
    Measure::Missed,
    Measure::RequestsPerDay,
    Measure::BytesPerDay,
];

/// The parts of a JSON result `check` reads.
#[derive(Debug, Deserialize)]
struct ResultFile {
    schema: u64,
    hookbench_version: String,
    engine: String,
    scenario: Value,
    strategies: Vec<StrategyReport>,
}

fn load(path: &Path, role: &str) -> Result<ResultFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Input(format!("cannot read the {role} `{}`: {e}", path.display())))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        Error::Input(format!(
            "the {role} `{}` is not valid JSON ({e}); give a file written by `--format json`",
            path.display()
        ))
    })?;
    if let Some(schema) = value.get("schema").and_then(Value::as_u64) {
        if schema != u64::from(SCHEMA) {
            return Err(Error::Input(format!(
                "the {role} `{}` has schema {schema}, but this hookbench reads schema {SCHEMA}; rerun it with this hookbench",
                path.display()
            )));
        }
    }
    serde_json::from_value(value).map_err(|e| {
        Error::Input(format!(
            "the {role} `{}` is not a hookbench JSON result ({e}); give a file written by `--format json`",
            path.display()
        ))
    })
}

/// The first path where two JSON values differ, with both sides.
fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let path = format!("{at}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => first_difference(p, q, &path),
                    (p, q) => Some(format!("{path}: {} vs {}", show(p), show(q))),
                }
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (p, q))| first_difference(p, q, &format!("{at}[{i}]")))
        }
        _ if a == b => None,
        _ => Some(format!("{at}: {} vs {}", show(Some(a)), show(Some(b)))),
    }
}

fn show(v: Option<&Value>) -> String {
    v.map_or("(absent)".into(), |v| {
        let s = v.to_string();
        if s.chars().count() > 60 {
            format!("{}…", s.chars().take(60).collect::<String>())
        } else {
            s
        }
    })
}

/// Refuses pairs that must not be compared.
fn comparable(result: &ResultFile, base: &ResultFile) -> Result<()> {
    let refuse = |what: String| {
        Err(Error::Input(format!(
            "refusing to compare: {what}; rerun both with the same hookbench, engine and scenario"
        )))
    };
    if result.schema != base.schema {
        return refuse(format!("the result has schema {} and the baseline {}", result.schema, base.schema));
    }
    if result.hookbench_version != base.hookbench_version {
        return refuse(format!(
            "the result was made by hookbench {} and the baseline by {}",
            result.hookbench_version, base.hookbench_version
        ));
    }
    if result.engine != base.engine {
        return refuse(format!(
            "the result comes from the {} engine and the baseline from the {} engine",
            result.engine, base.engine
        ));
    }
    if let Some(d) = first_difference(&result.scenario, &base.scenario, "scenario") {
        return refuse(format!("the scenarios differ (result vs baseline at {d})"));
    }
    let labels = |f: &ResultFile| f.strategies.iter().map(|s| s.label.clone()).collect::<Vec<_>>();
    let (a, b) = (labels(result), labels(base));
    if a != b {
        return refuse(format!(
            "the rows differ: result has {} and the baseline {}",
            a.join(", "),
            b.join(", ")
        ));
    }
    Ok(())
}

/// Parses `5%` or `0.05`.
pub fn parse_tolerance(text: &str) -> Result<f64> {
    Measure::PeakUse
        .parse_value(text)
        .map_err(|_| Error::Input(format!("--tolerance `{text}` is not a share; write `5%` or `0.05`")))
}

/// One compared cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    /// Row label.
    pub row: String,
    /// The measure.
    pub measure: Measure,
    /// Baseline value.
    pub base: Option<f64>,
    /// Result value.
    pub result: Option<f64>,
    /// Whether this is a regression beyond the tolerance.
    pub regression: bool,
}

impl Diff {
    fn change(&self) -> String {
        match (self.base, self.result) {
            (Some(b), Some(r)) if b == r => "=".into(),
            (Some(b), Some(r)) if b != 0.0 => format!("{:+.1}%", (r - b) / b.abs() * 100.0),
            (Some(_), Some(r)) => format!("+{}", self.measure.format(Some(r))),
            (None, None) => "=".into(),
            _ => "changed".into(),
        }
    }
}

/// Compares every row and measure.
fn diff(
    result: &[StrategyReport],
    base: &[StrategyReport],
    metrics: &[Measure],
    tolerance: f64,
) -> Vec<Diff> {
    let mut out = Vec::new();
    for (r, b) in result.iter().zip(base) {
        for &m in metrics {
            let (bv, rv) = (m.of(b), m.of(r));
            let regression = match (bv, rv) {
                (Some(bv), Some(rv)) => {
                    let allowed = tolerance * bv.abs();
                    if m.higher_is_worse() {
                        rv > bv + allowed
                    } else {
                        rv < bv - allowed
                    }
                }
                // A latency that vanished means nothing was detected any more.
                (Some(_), None) => true,
                _ => false,
            };
            out.push(Diff { row: r.label.clone(), measure: m, base: bv, result: rv, regression });
        }
    }
    out
}

fn render(diffs: &[Diff], tolerance: f64, format: Format) -> String {
    let head = ["strategy", "metric", "baseline", "result", "change", "verdict"];
    let rows: Vec<[String; 6]> = diffs
        .iter()
        .map(|d| {
            [
                d.row.clone(),
                d.measure.name().to_string(),
                d.measure.format(d.base),
                d.measure.format(d.result),
                d.change(),
                if d.regression { "REGRESSION".into() } else { "ok".into() },
            ]
        })
        .collect();
    let n = diffs.iter().filter(|d| d.regression).count();
    let summary = if n == 0 {
        format!("no regressions beyond {:.1}% in {} comparisons", tolerance * 100.0, diffs.len())
    } else {
        format!(
            "{n} regression{} beyond {:.1}% in {} comparisons",
            if n == 1 { "" } else { "s" },
            tolerance * 100.0,
            diffs.len()
        )
    };
    let mut s = String::new();
    if format == Format::Markdown {
        s.push_str(&format!("| {} |\n|:---|:---|---:|---:|---:|:---|\n", head.join(" | ")));
        for r in &rows {
            s.push_str(&format!("| {} |\n", r.join(" | ")));
        }
        s.push_str(&format!("\n**{summary}**\n"));
        return s;
    }
    let widths: Vec<usize> = (0..6)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).chain([head[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: [&str; 6]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(c.chars().count());
            if (2..5).contains(&i) {
                l.push_str(&" ".repeat(pad));
                l.push_str(c);
            } else {
                l.push_str(c);
                l.push_str(&" ".repeat(pad));
            }
            l.push_str("  ");
        }
        l.truncate(l.trim_end().len());
        l.push('\n');
        l
    };
    s.push_str(&line(head));
    s.push_str(&format!("{}\n", "─".repeat(widths.iter().sum::<usize>() + 10)));
    let mut last = "";
    for (r, d) in rows.iter().zip(diffs) {
        let label = if d.row == last { "" } else { r[0].as_str() };
        last = &d.row;
        s.push_str(&line([label, &r[1], &r[2], &r[3], &r[4], &r[5]]));
    }
    s.push_str(&format!("\n{summary}\n"));
    s
}

/// `hookbench check`.
pub fn run(args: CheckArgs) -> Result<u8> {
    if !matches!(args.format, Format::Table | Format::Markdown) {
        return Err(Error::Input(
            "check prints a table or markdown; use `--format table` or `--format markdown`".into(),
        ));
    }
    let tolerance = parse_tolerance(args.tolerance.as_deref().unwrap_or("0%"))?;
    let mut metrics = Vec::new();
    for part in args.metric.iter().flat_map(|m| m.split(',')) {
        let m = Measure::parse(part).map_err(|e| Error::Input(format!("--metric: {e}")))?;
        if !metrics.contains(&m) {
            metrics.push(m);
        }
    }
    if metrics.is_empty() {
        metrics = DEFAULT_METRICS.to_vec();
    }
    let result = load(&args.result, "result")?;
    let base = load(&args.baseline, "baseline")?;
    comparable(&result, &base)?;
    let diffs = diff(&result.strategies, &base.strategies, &metrics, tolerance);
    print(&render(&diffs, tolerance, args.format))?;
    Ok(u8::from(diffs.iter().any(|d| d.regression)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn first_difference_names_the_path() {
        let a = json!({"name": "p", "api": {"page_size": 100, "rtt": {"fixed_s": 0.1}}});
        let b = json!({"name": "p", "api": {"page_size": 50, "rtt": {"fixed_s": 0.1}}});
        assert_eq!(first_difference(&a, &a, "scenario"), None);
        assert_eq!(
            first_difference(&a, &b, "scenario").as_deref(),
            Some("scenario.api.page_size: 100 vs 50")
        );
    }

    #[test]
    fn tolerance_reads_shares() {
        assert_eq!(parse_tolerance("5%").unwrap(), 0.05);
        assert_eq!(parse_tolerance("0.1").unwrap(), 0.1);
        assert!(parse_tolerance("five").is_err());
    }
}
