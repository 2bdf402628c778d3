//! `hookbench check RESULT.json --baseline BASE.json`: the CI gate.
//!
//! Owns turning the flags (format, tolerance, metrics) into validated options, then hands the
//! two files to [`crate::result::baseline`], which loads, refuses mismatches (exit 2) and diffs, and the
//! [`Comparison`](crate::result::baseline::Comparison) to `render::check`. Exit 1 on a regression. It
//! never runs the engine and never formats anything itself.

use super::output::print;
use crate::cli::{CheckArgs, CheckFormat};
use crate::error::{Error, Result};
use crate::render;
use crate::result::baseline::{self, Role, DEFAULT_METRICS};
use crate::result::measure::Measure;

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

/// Parses `--significance`: a level strictly between 0 and 1, as `0.05` or `5%`.
pub fn parse_significance(text: &str) -> Result<f64> {
    let bad = || {
        Error::Input(format!("--significance `{text}` is not a level between 0 and 1; write `0.05` or `5%`"))
    };
    let level = Measure::PeakUse.parse_value(text).map_err(|_| bad())?;
    if level > 0.0 && level < 1.0 {
        Ok(level)
    } else {
        Err(bad())
    }
}

/// `hookbench check`.
pub fn run(args: CheckArgs) -> Result<u8> {
    let renderer = match args.format {
        CheckFormat::Table => render::check::table,
        CheckFormat::Markdown => render::check::markdown,
        CheckFormat::Json => render::check::json,
        CheckFormat::Junit => render::check::junit,
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
    let level = parse_significance(args.significance.as_deref().unwrap_or("0.05"))?;
    let comparison = baseline::compare(&result, &base, &metrics, tolerance, level)?;
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
    fn significance_is_a_level() {
        assert_eq!(parse_significance("0.01").unwrap(), 0.01);
        assert_eq!(parse_significance("5%").unwrap(), 0.05);
        for bad in ["0", "1", "2", "x"] {
            assert!(parse_significance(bad).unwrap_err().to_string().contains("--significance"));
        }
    }

    #[test]
    fn tolerance_refuses_a_bare_number_of_one_or_more() {
        for bare in ["5", "1", "10.5"] {
            let e = parse_tolerance(bare).unwrap_err().to_string();
            assert!(e.contains(&format!("`{bare}%`")), "{e}");
        }
    }
}
