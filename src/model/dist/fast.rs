//! Fast natural logarithm and exponential for drawing delays, and the guarded rounding that makes
//! a draw through them land on exactly the integer the exact draw lands on.
//!
//! A log-normal delay is `round(median · e^(σ·√(−2 ln u₁)·cos 2πu₂))` and an exponential one
//! `round(−mean · ln(1 − u))`. The exact draw computes them with the pure-Rust `libm` (so a seed
//! gives the same numbers on every machine), whose `log` and `exp` divide and were a fifth of a
//! simulated step's time. The functions here compute the same values to within a few units in the
//! last place, with a 128-entry table, a short polynomial and no division, from IEEE-754 additions
//! and multiplications alone (no fused multiply-add): every machine computes the same bits.
//!
//! A few ulps apart is not the same bits, so the draw is guarded ([`settle`]): a delay is an
//! integer count of microseconds, and two values within a relative distance `tol` of each other
//! round to the same integer unless a half-integer (or the [`MAX_DRAW`](super::MAX_DRAW) cap) lies
//! within `tol` of them. The draw works out a bound `tol` on how far its fast value can be from
//! the exact one — a hundred times the worst case of the error analysis on each function below,
//! which the tests hold the functions to — and, in the rare case that a boundary lies that close
//! (about one draw in ten million), computes the exact value with `libm` from the same random
//! numbers. So a delay drawn here is the delay the exact draw gives, every time, and every result
//! is byte-identical to the exact draw's.

use std::sync::LazyLock;

/// Table bits of both functions: 2⁷ entries.
pub(super) const BITS: u32 = 7;
pub(super) const N: usize = 1 << BITS;

/// ln 2 in two parts (fdlibm's): the high part has its low 21 bits zero, so `k · LN2_HI` is
/// exact for any `|k| < 2²¹`; the low part is the rest of ln 2 to double precision.
pub(super) const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
pub(super) const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;

/// `ln` works on `z = x / 2^k` in `[0.6875, 1.375)`: its bits less these bits put the exponent
/// `k` in the top and the table index in the next 7 bits (as Arm's optimized-routines `log`).
pub(super) const LN_OFF: u64 = 0x3fe6_0000_0000_0000;

/// Within this distance of 1, `ln` hands over to `libm::log` (exact, by definition here): there
/// the logarithm is small and the table method's absolute error would be a large relative one.
pub(super) const LN_NEAR_ONE: f64 = 1.0 / 32.0;

/// Per table entry of `ln`: `1/c` for the centre `c` of the entry's interval of `z`, cut to 26
/// significant bits, and `−ln(1/c)` (from `libm`, so it is the logarithm of the very `1/c` used).
/// A pair is an array, so the table is `1/c, −ln(1/c), 1/c, …` in memory (the wide draw gathers
/// from it by that layout).
pub(super) static LN_TABLE: LazyLock<[[f64; 2]; N]> = LazyLock::new(|| {
    std::array::from_fn(|i| {
        let lo = f64::from_bits(LN_OFF + ((i as u64) << (52 - BITS)));
        let hi = f64::from_bits(LN_OFF + ((i as u64 + 1) << (52 - BITS)));
        let invc = f64::from_bits((1.0 / ((lo + hi) / 2.0)).to_bits() & !((1 << 27) - 1));
        [invc, -libm::log(invc)]
    })
});

/// `2^(j/128)` for each `j`, from `libm::exp2`.
pub(super) static EXP_TABLE: LazyLock<[f64; N]> =
    LazyLock::new(|| std::array::from_fn(|j| libm::exp2(j as f64 / N as f64)));

/// The natural logarithm of a finite `x > 0`, within 2 ulps of `libm::log` (tests hold it to
/// that over millions of inputs: `r` is rounded once, relative to itself, the table's logarithm
/// is `libm`'s, and the final sums round). Zero, negative, subnormal and non-finite
/// `x`, and `x` within 1/32 of 1, get `libm::log(x)` itself.
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    let bits = x.to_bits();
    // Normal and positive: the exponent field is in 1..=2046 and the sign clear.
    let normal = bits.wrapping_sub(0x0010_0000_0000_0000) < 0x7fe0_0000_0000_0000;
    if !normal || (x - 1.0).abs() < LN_NEAR_ONE {
        return libm::log(x);
    }
    let tmp = bits.wrapping_sub(LN_OFF);
    let i = ((tmp >> (52 - BITS)) as usize) % N;
    let k = (tmp as i64) >> 52;
    let z = f64::from_bits(bits.wrapping_sub(tmp & (0xfff << 52)));
    let [invc, logc] = LN_TABLE[i];
    // r = z·(1/c) − 1, |r| < 2⁻⁸ (the interval's half-width over its centre), rounded once: `1/c`
    // has 26 significant bits, so with z split into its top 27 bits and the rest both products
    // are exact, and so is the difference from 1 (Sterbenz).
    let z_hi = f64::from_bits(z.to_bits() & !((1 << 26) - 1));
    let r = (z_hi * invc - 1.0) + (z - z_hi) * invc;
    let kd = k as f64;
    let hi = kd * LN2_HI + logc;
    let r2 = r * r;
    // ln(1 + r) − r to degree 6: the first term left out, r⁷/7, is below 2⁻⁵⁸.
    let tail = r2 * (-0.5 + r * (1.0 / 3.0) + r2 * (-0.25 + r * 0.2 + r2 * (-1.0 / 6.0)));
    hi + (r + (kd * LN2_LO + tail))
}

/// 1.5 · 2⁵²: adding it to a double below 2⁵¹ in magnitude rounds that to an integer, kept in the
/// low bits.
pub(super) const SHIFT: f64 = 6_755_399_441_055_744.0;
/// `exp` hands `|x|` this large (and NaN) over to `libm::exp`.
pub(super) const EXP_LIMIT: f64 = 700.0;
/// 128 / ln 2: `x` in steps of the exponential's table.
pub(super) const INV_LN2_N: f64 = N as f64 / std::f64::consts::LN_2;
/// ln2/128 in two parts: `kd · STEP_HI` is exact (`|kd| < 2¹⁷` below [`EXP_LIMIT`]).
pub(super) const STEP_HI: f64 = LN2_HI / N as f64;
/// See [`STEP_HI`].
pub(super) const STEP_LO: f64 = LN2_LO / N as f64;

/// `e^x`, within 2 ulps of `libm::exp` (tests hold it to that over millions of inputs: the
/// table entry is `libm`'s, the reduction is Cody and Waite's, the polynomial's rounding small). `|x| ≥ 700` and NaN get
/// `libm::exp(x)` itself.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    if x.is_nan() || x.abs() >= EXP_LIMIT {
        return libm::exp(x);
    }
    let kd = (x * INV_LN2_N + SHIFT) - SHIFT;
    let n = kd as i64;
    let j = (n & (N as i64 - 1)) as usize;
    let e = n >> BITS;
    // |r| ≤ ln2/256 (plus a rounding).
    let r = (x - kd * STEP_HI) - kd * STEP_LO;
    let scale = f64::from_bits(EXP_TABLE[j].to_bits().wrapping_add((e as u64) << 52));
    let r2 = r * r;
    // e^r − 1 to degree 5: the first term left out, r⁶/720, is below 2⁻⁶⁰.
    let p = r + r2 * (0.5 + r * (1.0 / 6.0) + r2 * (1.0 / 24.0 + r * (1.0 / 120.0)));
    scale + scale * p
}

/// The cosine's Taylor coefficients in `g` for `cos(π/2·g)`: `(π/2)²ⁿ/(2n)!`, with the series' signs.
pub(super) const COS: [f64; 10] = {
    let mut c = [0.0; 10];
    let h = std::f64::consts::FRAC_PI_2;
    let (mut term, mut n) = (1.0, 0);
    while n < 10 {
        // cos: n-th even term; alternate signs.
        c[n] = term;
        n += 1;
        term = -term * h * h / ((2 * n - 1) * (2 * n)) as f64;
    }
    c
};

/// The sine's, for `sin(π/2·g) / g`: `(π/2)²ⁿ⁺¹/(2n+1)!`, with the series' signs.
pub(super) const SIN: [f64; 10] = {
    let mut s = [0.0; 10];
    let h = std::f64::consts::FRAC_PI_2;
    let (mut term, mut n) = (h, 0);
    while n < 10 {
        s[n] = term;
        n += 1;
        term = -term * h * h / ((2 * n) * (2 * n + 1)) as f64;
    }
    s
};

/// `cos(2π·u)` for `u` in [0, 1) (a uniform draw), within 3·10⁻¹⁶ of `libm::cos(TAU * u)`
/// (tests hold it to that): `4u` is split exactly into a quadrant `q` and `g` in [−½, ½], and
/// `cos(π/2·(q + g))` is `±cos` or `±sin` of `π/2·g`, each a Taylor polynomial in `g` whose
/// first term left out is below 10⁻¹⁸. Outside [0, 1) it is `libm::cos(TAU * u)` itself.
#[inline(always)]
pub fn cos_turns(u: f64) -> f64 {
    if !(0.0..1.0).contains(&u) {
        return libm::cos(std::f64::consts::TAU * u);
    }
    let v = 4.0 * u;
    let q = round_u64(v);
    let g = v - q as f64;
    let g2 = g * g;
    let g4 = g2 * g2;
    let g8 = g4 * g4;
    // Estrin's scheme: the pairs, then pairs of pairs, so the chain of dependent steps is short.
    let even = |k: &[f64; 10]| {
        let p01 = k[0] + g2 * k[1];
        let p23 = k[2] + g2 * k[3];
        let p45 = k[4] + g2 * k[5];
        let p67 = k[6] + g2 * k[7];
        let p89 = k[8] + g2 * k[9];
        (p01 + g4 * p23) + g8 * ((p45 + g4 * p67) + g8 * p89)
    };
    let (c, s) = (even(&COS), g * even(&SIN));
    // Quadrant 0: cos; 1: −sin; 2: −cos; 3: sin — chosen with bits, not branches (the quadrant
    // of a uniform draw is random, and a mispredicted branch costs more than both polynomials).
    let odd = 0u64.wrapping_sub(q & 1);
    let negative = ((q + 1) >> 1 & 1) << 63;
    f64::from_bits(((s.to_bits() & odd) | (c.to_bits() & !odd)) ^ negative)
}

/// The relative distance between a fast draw and the exact one is at most `TOL · (1 + |y|) +
/// TOL_SPREAD · σ`, where `y = σ·z` is the exponent of a log-normal draw (`y` and `σ` are 0 for an
/// exponential draw). The analysis: 2 ulps (2⁻⁵¹ relative) apart in `ln` are half that after the
/// square root, and with the roundings of `√`, `·cos` and `·σ` (each of which may go another way
/// on a different input) put `y` at most `|y| · 7·10⁻¹⁶` apart; `cos` 10⁻¹⁵ apart at most
/// (3·10⁻¹⁶ from the true cosine, `libm`'s argument `TAU · u` rounded by up to 4.4·10⁻¹⁶, and
/// its own ulp) moves `z` by at most √(−2 ln 2⁻⁵³) < 8.6 times that, so `y` by `σ · 8.6·10⁻¹⁵`;
/// `e^y` turns these into relative distances, and 2 ulps apart in `exp` and the product with the
/// median add 7·10⁻¹⁶. Each bound is over a hundred times its part.
pub const TOL: f64 = 1.2e-13;
/// See [`TOL`].
pub const TOL_SPREAD: f64 = 1e-12;

/// Rounds `x` half away from zero to a whole number of microseconds, capped at `cap`, exactly as
/// `x_exact.min(cap).round() as u64` would for any `x_exact` within a relative distance `tol` of
/// `x` — or `None` when that is not certain: a half-integer or the cap is that close, or `x` is
/// not a finite number (then the caller computes `x_exact`).
#[inline(always)]
pub fn settle(x: f64, tol: f64, cap: f64) -> Option<u64> {
    let slack = x.abs() * tol;
    if !(x >= 0.0 && x + slack < cap) {
        // Beyond the cap on either side of the error, both are the cap; else let the exact say.
        return (x.is_finite() && x - slack > cap).then_some(cap as u64);
    }
    // 0 ≤ x < cap < 2⁵²: through `i64`, one instruction each way (`u64` takes a branchy
    // sequence on x86-64), and exact.
    let whole = x as i64;
    let frac = x - whole as f64;
    if (frac - 0.5).abs() <= slack {
        return None;
    }
    Some(whole as u64 + u64::from(frac > 0.5))
}

/// `x.round() as u64` without the C library's `round` (a call on x86-64 without SSE4.1): the
/// same result for every `x`, including negative, huge and NaN.
#[inline]
pub fn round_u64(x: f64) -> u64 {
    // At and above 2⁵² a double is a whole number; below 0 (and NaN) the cast gives 0, as the
    // rounding would.
    if !(0.0..4_503_599_627_370_496.0).contains(&x) {
        return x as u64;
    }
    // Through `i64` (exact here): one instruction each way, where `u64` takes a branchy sequence.
    let whole = x as i64;
    whole as u64 + u64::from(x - whole as f64 >= 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dist::Rng;

    /// How many units in the last place `a` is from `b` (both finite, same sign).
    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn ln_is_within_two_ulps_of_libm_across_its_range() {
        let mut rng = Rng::new(1, "fast-ln");
        let mut worst = 0;
        // The draws' own inputs: 1 − u for u in [0, 1) (every 53-bit step, so near 0 too) …
        for _ in 0..2_000_000 {
            let x = 1.0 - rng.unit();
            worst = worst.max(ulps(ln(x), libm::log(x)));
        }
        // … and any positive normal double, through every table entry and exponent.
        for _ in 0..2_000_000 {
            let bits = 0x0010_0000_0000_0000 + (rng.unit() * (0x7fe0_0000_0000_0000u64 as f64)) as u64;
            let x = f64::from_bits(bits);
            worst = worst.max(ulps(ln(x), libm::log(x)));
        }
        for x in [f64::MIN_POSITIVE, f64::MAX, 0.5, 2.0, 1.0 - LN_NEAR_ONE, 1.0 + LN_NEAR_ONE, 0.6875, 1.375]
        {
            worst = worst.max(ulps(ln(x), libm::log(x)));
        }
        assert!(worst <= 2, "ln is {worst} ulps from libm::log");
        // Where it hands over, it is libm's own.
        for x in [0.0, -1.0, 5e-324, f64::INFINITY, 1.0, 0.99, 1.01] {
            assert_eq!(ln(x).to_bits(), libm::log(x).to_bits(), "{x}");
        }
        assert!(ln(f64::NAN).is_nan());
    }

    #[test]
    fn exp_is_within_two_ulps_of_libm_across_its_range() {
        let mut rng = Rng::new(2, "fast-exp");
        let mut worst = 0;
        for i in 0..4_000_000 {
            // Most draws' arguments are a few units; the rest of the range too.
            let span = if i % 2 == 0 { 40.0 } else { 1_400.0 };
            let x = (rng.unit() - 0.5) * span;
            worst = worst.max(ulps(exp(x), libm::exp(x)));
        }
        // Halfway between two table steps, the reduction's worst case.
        let half_step = std::f64::consts::LN_2 / N as f64 / 2.0;
        for x in [0.0, -0.0, 1e-300, -1e-300, 699.99, -699.99, std::f64::consts::LN_2, half_step, -half_step]
        {
            worst = worst.max(ulps(exp(x), libm::exp(x)));
        }
        assert!(worst <= 2, "exp is {worst} ulps from libm::exp");
        for x in [700.0, -700.0, 710.0, -745.5, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(exp(x).to_bits(), libm::exp(x).to_bits(), "{x}");
        }
        assert!(exp(f64::NAN).is_nan());
    }

    #[test]
    fn cos_turns_is_within_1e_15_of_libm() {
        let mut rng = Rng::new(5, "cos");
        let mut worst: f64 = 0.0;
        let quarters = (0..=8).map(|i| i as f64 / 8.0).filter(|&u| u < 1.0);
        let edges = [f64::EPSILON / 2.0, 1.0 - f64::EPSILON / 2.0, 0.25 - 1e-17, 0.125 + 1e-16];
        for u in (0..4_000_000).map(|_| rng.unit()).chain(quarters).chain(edges) {
            worst = worst.max((cos_turns(u) - libm::cos(std::f64::consts::TAU * u)).abs());
        }
        assert!(worst <= 1e-15, "cos_turns is {worst:e} from libm::cos");
        for u in [-0.5, 1.0, 3.7, f64::INFINITY] {
            assert_eq!(cos_turns(u).to_bits(), libm::cos(std::f64::consts::TAU * u).to_bits(), "{u}");
        }
        assert!(cos_turns(f64::NAN).is_nan());
    }

    #[test]
    fn settle_refuses_what_an_error_could_tip_and_rounds_the_rest_as_round_does() {
        let cap = 1e15;
        assert_eq!(settle(2.4, 1e-12, cap), Some(2));
        assert_eq!(settle(2.6, 1e-12, cap), Some(3));
        assert_eq!(settle(0.0, 1e-12, cap), Some(0));
        // A half-integer, or one within the tolerance, could go either way.
        assert_eq!(settle(2.5, 1e-12, cap), None);
        assert_eq!(settle(1e6 + 0.5 + 1e-7, 1e-12, cap), None);
        assert_eq!(settle(1e6 + 0.5 + 1e-5, 1e-12, cap), Some(1_000_001));
        // The cap: well beyond it, the cap; at it, the exact decides; NaN and ∞ too.
        assert_eq!(settle(2e15, 1e-12, cap), Some(1_000_000_000_000_000));
        assert_eq!(settle(1e15, 1e-12, cap), None);
        assert_eq!(settle(f64::NAN, 1e-12, cap), None);
        assert_eq!(settle(f64::INFINITY, 1e-12, cap), None);
        // Wherever it answers, it answers what round() does.
        let mut rng = Rng::new(3, "settle");
        for _ in 0..1_000_000 {
            let x = rng.unit() * 1e7;
            if let Some(v) = settle(x, 1e-13, cap) {
                assert_eq!(v, x.min(cap).round() as u64, "{x}");
            }
        }
    }

    #[test]
    fn round_u64_is_round_as_u64_everywhere() {
        let mut rng = Rng::new(4, "round");
        let special = [
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            -0.5,
            -0.49,
            0.49999999999999994,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9_007_199_254_740_993.0,
            1.8e19,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
            -1e10,
        ];
        for x in special {
            assert_eq!(round_u64(x), x.round() as u64, "{x}");
        }
        for _ in 0..1_000_000 {
            let x = (rng.unit() - 0.1) * 1e9;
            assert_eq!(round_u64(x), x.round() as u64, "{x}");
            let h = (x * 2.0).floor() / 2.0;
            assert_eq!(round_u64(h), h.round() as u64, "{h}");
        }
    }
}
