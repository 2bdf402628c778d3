//! Small-sample statistics for replicated runs: Student's t distribution, the 95% confidence
//! interval of a mean, Welch's unequal-variance t-test, and Holm's correction for a family of tests.
//!
//! Owns the maths only: plain functions of numbers, no report types, no I/O. The t distribution's
//! CDF is computed from the regularized incomplete beta function (a Lentz continued fraction) and
//! its quantile by bisection on the CDF, exact to ~1e-10 for any degrees of freedom ≥ 1, so that
//! the intervals of 2 or 3 replications are as wide as the tables say, not the normal's 1.96.

/// Two-sided confidence level of every interval hookbench reports.
pub const CONFIDENCE: f64 = 0.95;

/// `ln Γ(x)`.
fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// Continued fraction of the incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// The regularized incomplete beta function `I_x(a, b)`.
fn inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// `P(T ≤ t)` for Student's t with `df` degrees of freedom.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    let x = df / (df + t * t);
    let tail = 0.5 * inc_beta(df / 2.0, 0.5, x);
    if t > 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The `p` quantile (0 < p < 1) of Student's t with `df` degrees of freedom.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) || df <= 0.0 {
        return f64::NAN;
    }
    if p < 0.5 {
        return -t_quantile(1.0 - p, df);
    }
    // The CDF is increasing: bracket, then bisect to machine precision.
    let mut hi = 1.0;
    while t_cdf(hi, df) < p && hi < 1e300 {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// The critical value of a two-sided 95% interval with `n` samples (`df = n - 1`).
pub fn t95(n: usize) -> f64 {
    t_quantile(0.5 + CONFIDENCE / 2.0, n.saturating_sub(1) as f64)
}

/// Mean and 95% confidence half-width of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Sample mean.
    pub mean: f64,
    /// Half-width of the 95% Student-t interval of the mean; `None` for fewer than two values.
    pub ci95: Option<f64>,
    /// Sample size.
    pub n: usize,
}

/// Summarizes `values`; `None` when there are none.
pub fn summarize(values: &[f64]) -> Option<Summary> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let ci95 = (n >= 2).then(|| {
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
        t95(n) * (var / n as f64).sqrt()
    });
    Some(Summary { mean, ci95, n })
}

/// The standard error of a mean recovered from its 95% half-width over `n` samples.
pub fn std_error(ci95: f64, n: usize) -> f64 {
    if n < 2 {
        return f64::NAN;
    }
    ci95 / t95(n)
}

/// Welch's two-sided t-test of two means given their standard errors and sample sizes: the
/// p-value of "the means are equal". Two exact samples (both errors 0) give 0 when the means
/// differ and 1 when they do not.
pub fn welch_p(m1: f64, se1: f64, n1: usize, m2: f64, se2: f64, n2: usize) -> f64 {
    let (v1, v2) = (se1 * se1, se2 * se2);
    let v = v1 + v2;
    if v.is_nan() || v <= 0.0 {
        return if m1 == m2 { 1.0 } else { 0.0 };
    }
    let t = (m1 - m2) / v.sqrt();
    let df = v * v / (v1 * v1 / (n1.max(2) - 1) as f64 + v2 * v2 / (n2.max(2) - 1) as f64);
    2.0 * t_cdf(-t.abs(), df)
}

/// Holm's step-down correction of a family of p-values, in place (`None`s are not tested);
/// returns the family's size. An adjusted p-value under a level keeps the family-wise error
/// rate under it.
pub fn holm(ps: &mut [Option<f64>]) -> usize {
    let mut order: Vec<usize> = (0..ps.len()).filter(|&i| ps[i].is_some()).collect();
    order.sort_by(|&a, &b| ps[a].unwrap_or(1.0).total_cmp(&ps[b].unwrap_or(1.0)));
    let m = order.len();
    let mut running: f64 = 0.0;
    for (k, &i) in order.iter().enumerate() {
        let adjusted = (ps[i].unwrap_or(1.0) * (m - k) as f64).min(1.0);
        running = running.max(adjusted);
        ps[i] = Some(running);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_tables() {
        // Two-sided 95% critical values, df 1..: any statistics textbook's table.
        let table = [
            (1.0, 12.706),
            (2.0, 4.303),
            (3.0, 3.182),
            (4.0, 2.776),
            (5.0, 2.571),
            (9.0, 2.262),
            (10.0, 2.228),
            (20.0, 2.086),
            (30.0, 2.042),
            (120.0, 1.980),
        ];
        for (df, want) in table {
            let got = t_quantile(0.975, df);
            assert!((got - want).abs() < 6e-4, "df {df}: {got} vs {want}");
        }
        // One-sided 99% and 90%.
        assert!((t_quantile(0.99, 1.0) - 31.821).abs() < 1e-3);
        assert!((t_quantile(0.90, 5.0) - 1.476).abs() < 1e-3);
        assert!((t_quantile(0.025, 4.0) + 2.776).abs() < 1e-3);
        // Large df tends to the normal.
        assert!((t_quantile(0.975, 1e7) - 1.95996).abs() < 1e-4);
        // df 1 is Cauchy: closed form tan(pi (p - 1/2)).
        let p = 0.8;
        assert!((t_quantile(p, 1.0) - (std::f64::consts::PI * (p - 0.5)).tan()).abs() < 1e-9);
    }

    #[test]
    fn cdf_is_symmetric_and_inverts_the_quantile() {
        for df in [1.0, 2.5, 7.0, 40.0] {
            assert!((t_cdf(0.0, df) - 0.5).abs() < 1e-12);
            for t in [0.3, 1.0, 2.0, 5.0] {
                assert!((t_cdf(t, df) + t_cdf(-t, df) - 1.0).abs() < 1e-12);
                assert!((t_quantile(t_cdf(t, df), df) - t).abs() < 1e-8);
            }
        }
    }

    #[test]
    fn summary_of_a_sample() {
        let s = summarize(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(s.mean, 2.5);
        // sd = 1.29099, se = 0.645497, t(0.975, 3) = 3.18245.
        assert!((s.ci95.unwrap() - 3.182446 * 0.645497).abs() < 1e-4);
        assert_eq!(summarize(&[5.0]).unwrap().ci95, None);
        assert!(summarize(&[]).is_none());
        assert!((std_error(s.ci95.unwrap(), 4) - 0.645497).abs() < 1e-5);
    }

    #[test]
    fn welch_matches_a_worked_example() {
        // Means 20 and 22, se 0.5 and 0.6, n 10 and 12: t = -2/sqrt(0.61) = -2.561 and the
        // Welch–Satterthwaite df = 0.61² / (0.5⁴/9 + 0.6⁴/11) = 19.87; the table at df 20 puts
        // |t| = 2.528 at p 0.02 and 2.845 at p 0.01.
        let p = welch_p(20.0, 0.5, 10, 22.0, 0.6, 12);
        assert!(p > 0.01 && p < 0.02, "{p}");
        let t = -2.0 / 0.61f64.sqrt();
        let df = 0.61 * 0.61 / (0.5f64.powi(4) / 9.0 + 0.6f64.powi(4) / 11.0);
        assert!((p - 2.0 * t_cdf(t, df)).abs() < 1e-12);
        assert_eq!(welch_p(1.0, 0.0, 5, 1.0, 0.0, 5), 1.0);
        assert_eq!(welch_p(1.0, 0.0, 5, 2.0, 0.0, 5), 0.0);
        assert!(welch_p(1.0, 1.0, 5, 1.1, 1.0, 5) > 0.9);
    }

    #[test]
    fn holm_multiplies_by_the_remaining_family() {
        let mut ps = [Some(0.01), None, Some(0.04), Some(0.03)];
        assert_eq!(holm(&mut ps), 3);
        // Sorted 0.01, 0.03, 0.04 → 0.03, 0.06, max(0.06, 0.04) = 0.06.
        let got: Vec<f64> = ps.iter().flatten().copied().collect();
        assert!(
            (got[0] - 0.03).abs() < 1e-12 && (got[1] - 0.06).abs() < 1e-12 && (got[2] - 0.06).abs() < 1e-12
        );
        assert_eq!(ps[1], None);
    }
}
