//! `hookbench check RESULT.json --baseline BASE.json`: the CI gate.
//!
//! Owns turning the flags (format, tolerance, metrics) into validated options, then hands the
//! two files to [`crate::baseline`], which loads, refuses mismatches (exit 2) and diffs, and the
//! [`Comparison`](crate::baseline::Comparison) to `render::check`. Exit 1 on a regression. It
//! never runs the engine and never formats anything itself.

use super::print;
use crate::baseline::{self, Role, DEFAULT_METRICS};
use crate::cli::{CheckArgs, CheckFormat};
use crate::error::{Error, Result};
use crate::measure::Measure;
use crate::render;

/// Parses `5%`, or a share below 1 such as `0.05`. A bare number of 1 or more is refused: `5`
/// would mean 500%, which is never what was meant.
pub fn parse_tolerance(text: &str) -> Result<f64> {
    let share = Measure::PeakUse
        .parse_value(text)
        .map_err(|_| Error::Input(format!("--tolerance `{text}` is not a share; write `5%` or `0.05`")))?;
    if !text.trim().ends_with('%') && share >= 1.0 {
        return Err(Error::Input(format!(
            "--tolerance `{text}` is a bare number, which would mean {:.0}%; write a percentage such as `{text}%` (a bare number must be a share below 1, such as `0.05`)",
            share * 100.0
        )));
    }
    Ok(share)
}

/// `hookbench check`.
pub fn run(args: CheckArgs) -> Result<u8> {
    let renderer = match args.format {
        CheckFormat::Table => render::check::table,
        CheckFormat::Markdown => render::check::markdown,
    };
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
    let result = baseline::load(&args.result, Role::Result)?;
    let base = baseline::load(&args.baseline, Role::Baseline)?;
    let comparison = baseline::compare(&result, &base, &metrics, tolerance)?;
    print(&renderer(&comparison))?;
    Ok(u8::from(comparison.regressions() > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_reads_shares() {
        assert_eq!(parse_tolerance("5%").unwrap(), 0.05);
        assert_eq!(parse_tolerance("0.1").unwrap(), 0.1);
        assert!(parse_tolerance("five").is_err());
        assert_eq!(parse_tolerance("0").unwrap(), 0.0);
        assert_eq!(parse_tolerance("500%").unwrap(), 5.0);
    }

    #[test]
    fn tolerance_refuses_a_bare_number_of_one_or_more() {
        for bare in ["5", "1", "10.5"] {
            let e = parse_tolerance(bare).unwrap_err().to_string();
            assert!(e.contains(&format!("`{bare}%`")), "{e}");
        }
    }
}
