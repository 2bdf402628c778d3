//! The log-normal draw's arithmetic four draws at a time, with AVX2 where the processor has it.
//!
//! [`Sampler::fill`](super::Sampler::fill) draws a batch of round trips; its logarithms, cosines
//! and exponentials were a fifth of a simulated step's time, one draw after another. Here they
//! are the functions of [`fast`](super::fast) on four lanes: the same IEEE-754 operations on the
//! same operands in the same order (AVX2 adds no fused multiply-add, and none is used), so every
//! lane holds the very bits the scalar function gives — the tests hold them to that, bit for bit,
//! over millions of inputs. Where a scalar function hands over to `libm` (a logarithm near 1, an
//! exponent out of the table's range, an input that is not a normal number), the lane is
//! computed by that scalar function afterwards. So the batch's delays, their guard and every
//! result stay byte-identical; only the time changes.
//!
//! The conversions between integers and doubles the scalar code makes (a table exponent, a
//! cosine's quadrant, a delay's whole microseconds), for which AVX2 has no 64-bit instruction, are
//! done with the exact shift-constant trick or a rounding instruction, which give the same values.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use super::fast::{
    exp, ln, COS, EXP_LIMIT, EXP_TABLE, INV_LN2_N, LN2_HI, LN2_LO, LN_NEAR_ONE, LN_OFF, LN_TABLE, SHIFT, SIN,
    STEP_HI, STEP_LO, TOL, TOL_SPREAD,
};

/// Lanes of one step.
pub const LANES: usize = 4;

/// Whether this processor runs the four-lane draw (checked once, then cached by the standard
/// library).
#[inline]
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Four log-normal draws: for each lane, the exponent `y`, the value `median · e^y`, and the delay
/// [`settle`](super::fast::settle) rounds it to where that is certain (bit `i` of `settled`).
#[derive(Debug, Clone, Copy)]
pub struct Draws {
    /// `σ·√(−2 ln u₁)·cos 2πu₂`.
    pub y: [f64; LANES],
    /// `median · e^y`.
    pub x: [f64; LANES],
    /// The whole microseconds of `x` in the lanes `settled` names.
    pub delay: [u64; LANES],
    /// Bit `i`: lane `i`'s rounding is certain and `delay[i]` is it; else the caller settles the
    /// lane itself (a half-integer or the cap within the tolerance, or not a number).
    pub settled: u8,
}

/// For each lane of `u1` (in (0, 1]) and `u2` (in [0, 1)) — a Box–Muller pair — the log-normal
/// draw's [`Draws`], exactly as `sigma * (libm::sqrt(-2.0 * ln(u1)) * cos_turns(u2))`, `median *
/// exp(y)` and `settle(x, TOL · (1 + |y|) + TOL_SPREAD · σ, cap)` give them one at a time. `None`
/// when the processor lacks AVX2 (the caller draws one at a time).
#[inline]
pub fn lognormal(median: f64, sigma: f64, cap: f64, u1: &[f64; LANES], u2: &[f64; LANES]) -> Option<Draws> {
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: the processor has AVX2, checked just above.
        return Some(unsafe { lognormal_avx2(median, sigma, cap, u1, u2) });
    }
    let _ = (median, sigma, cap, u1, u2);
    None
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn lognormal_avx2(median: f64, sigma: f64, cap: f64, u1: &[f64; LANES], u2: &[f64; LANES]) -> Draws {
    // SAFETY: the arrays are LANES = 4 doubles; unaligned loads and stores.
    let (x1, x2) = unsafe { (_mm256_loadu_pd(u1.as_ptr()), _mm256_loadu_pd(u2.as_ptr())) };
    let l = with_handovers(ln4(x1), x1, ln_handed_over(x1), ln);
    let minus_two_ln = _mm256_mul_pd(_mm256_set1_pd(-2.0), l);
    let y = _mm256_mul_pd(_mm256_set1_pd(sigma), _mm256_mul_pd(_mm256_sqrt_pd(minus_two_ln), cos4(x2)));
    let e = with_handovers(exp4(y), y, exp_handed_over(y), exp);
    let x = _mm256_mul_pd(_mm256_set1_pd(median), e);
    let tol = _mm256_add_pd(
        _mm256_mul_pd(_mm256_set1_pd(TOL), _mm256_add_pd(_mm256_set1_pd(1.0), abs(y))),
        _mm256_set1_pd(TOL_SPREAD * sigma),
    );
    let (delay, settled) = settle4(x, tol, cap);
    let mut d = Draws { y: [0.0; LANES], x: [0.0; LANES], delay: [0; LANES], settled };
    // SAFETY: as above.
    unsafe {
        _mm256_storeu_pd(d.y.as_mut_ptr(), y);
        _mm256_storeu_pd(d.x.as_mut_ptr(), x);
        _mm256_storeu_si256(d.delay.as_mut_ptr().cast(), delay);
    }
    d
}

/// [`settle`](super::fast::settle)`(x, tol, cap)` on four lanes, for `cap` below 2⁵²: the whole
/// microseconds, and the mask of the lanes where they are certain — `0 ≤ x`, `x + slack < cap`
/// and no half-integer within `slack = |x| · tol` — which are exactly the lanes where `settle`
/// returns them without a hand-over.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn settle4(x: __m256d, tol: __m256d, cap: f64) -> (__m256i, u8) {
    let c = _mm256_set1_pd;
    let slack = _mm256_mul_pd(abs(x), tol);
    let in_range = _mm256_and_pd(
        _mm256_cmp_pd::<_CMP_GE_OQ>(x, c(0.0)),
        _mm256_cmp_pd::<_CMP_LT_OQ>(_mm256_add_pd(x, slack), c(cap)),
    );
    let whole = _mm256_round_pd::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(x);
    let frac = _mm256_sub_pd(x, whole);
    let tie = _mm256_cmp_pd::<_CMP_LE_OQ>(abs(_mm256_sub_pd(frac, c(0.5))), slack);
    let up = _mm256_cmp_pd::<_CMP_GT_OQ>(frac, c(0.5));
    let certain = _mm256_andnot_pd(tie, in_range);
    // `whole as u64` for 0 ≤ whole < 2⁵²: added to 2⁵², its bits less 2⁵²'s; plus one where the
    // rest is over ½ (the mask is −1 there).
    let two52 = c(4_503_599_627_370_496.0);
    let int = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(whole, two52)), _mm256_castpd_si256(two52));
    (_mm256_sub_epi64(int, _mm256_castpd_si256(up)), _mm256_movemask_pd(certain) as u8)
}

/// `fast`'s value in the lanes where the scalar function would hand over (the `handed` mask):
/// the scalar function itself computes them from `input`. (Rare for a draw: a logarithm near 1 is
/// one draw in sixteen.)
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn with_handovers(lanes: __m256d, input: __m256d, handed: __m256d, scalar: fn(f64) -> f64) -> __m256d {
    let mask = _mm256_movemask_pd(handed);
    if mask == 0 {
        return lanes;
    }
    let (mut out, mut inp) = ([0.0; LANES], [0.0; LANES]);
    // SAFETY: four doubles each way, unaligned.
    unsafe {
        _mm256_storeu_pd(out.as_mut_ptr(), lanes);
        _mm256_storeu_pd(inp.as_mut_ptr(), input);
    }
    for (i, (o, x)) in out.iter_mut().zip(inp).enumerate() {
        if mask >> i & 1 == 1 {
            *o = scalar(x);
        }
    }
    // SAFETY: as above.
    unsafe { _mm256_loadu_pd(out.as_ptr()) }
}

/// The lanes where [`ln`] hands over to `libm`: not a positive normal number, or within
/// [`LN_NEAR_ONE`] of 1.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn ln_handed_over(x: __m256d) -> __m256d {
    // Normal and positive: (bits − 2⁵²) below 0x7fe0…0 as unsigned numbers, compared signed
    // after flipping the top bit of both.
    let flip = _mm256_set1_epi64x(i64::MIN);
    let shifted =
        _mm256_xor_si256(_mm256_sub_epi64(_mm256_castpd_si256(x), _mm256_set1_epi64x(1 << 52)), flip);
    let limit = _mm256_xor_si256(_mm256_set1_epi64x(0x7fe0_0000_0000_0000), flip);
    let normal = _mm256_castsi256_pd(_mm256_cmpgt_epi64(limit, shifted));
    let near =
        _mm256_cmp_pd::<_CMP_LT_OQ>(abs(_mm256_sub_pd(x, _mm256_set1_pd(1.0))), _mm256_set1_pd(LN_NEAR_ONE));
    _mm256_or_pd(_mm256_andnot_pd(normal, _mm256_castsi256_pd(_mm256_set1_epi64x(-1))), near)
}

/// The lanes where [`exp`] hands over: NaN, or `|x| ≥` [`EXP_LIMIT`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn exp_handed_over(x: __m256d) -> __m256d {
    // "Not less than", true when unordered: NaN or at or beyond the limit.
    _mm256_cmp_pd::<_CMP_NLT_UQ>(abs(x), _mm256_set1_pd(EXP_LIMIT))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn abs(x: __m256d) -> __m256d {
    _mm256_andnot_pd(_mm256_set1_pd(-0.0), x)
}

/// The exact double of each lane's small signed integer `k` (`|k| < 2⁵¹`): `k` added to the bits
/// of [`SHIFT`] is `SHIFT + k`, less `SHIFT` is `k` — what `k as f64` gives.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn small_int_to_f64(k: __m256i) -> __m256d {
    let shift = _mm256_set1_pd(SHIFT);
    _mm256_sub_pd(_mm256_castsi256_pd(_mm256_add_epi64(k, _mm256_castpd_si256(shift))), shift)
}

/// [`ln`]'s table method on four lanes (the lanes it hands over hold no meaningful value).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn ln4(x: __m256d) -> __m256d {
    let bits = _mm256_castpd_si256(x);
    let tmp = _mm256_sub_epi64(bits, _mm256_set1_epi64x(LN_OFF as i64));
    let i = _mm256_and_si256(_mm256_srli_epi64::<45>(tmp), _mm256_set1_epi64x(127));
    // k = tmp >> 52, signed: the top 12 bits, sign-extended from bit 11.
    let sign = _mm256_set1_epi64x(0x800);
    let k = _mm256_sub_epi64(_mm256_xor_si256(_mm256_srli_epi64::<52>(tmp), sign), sign);
    let z = _mm256_castsi256_pd(_mm256_sub_epi64(
        bits,
        _mm256_and_si256(tmp, _mm256_set1_epi64x(0xfff0_0000_0000_0000_u64 as i64)),
    ));
    let table = LN_TABLE.as_ptr().cast::<f64>();
    let pair = _mm256_slli_epi64::<1>(i);
    // SAFETY: `i` < 128, so `2i` and `2i + 1` index the table's 256 doubles.
    let (invc, logc) =
        unsafe { (_mm256_i64gather_pd::<8>(table, pair), _mm256_i64gather_pd::<8>(table.add(1), pair)) };
    let z_hi = _mm256_and_pd(z, _mm256_castsi256_pd(_mm256_set1_epi64x(!((1i64 << 26) - 1))));
    let one = _mm256_set1_pd(1.0);
    let r = _mm256_add_pd(
        _mm256_sub_pd(_mm256_mul_pd(z_hi, invc), one),
        _mm256_mul_pd(_mm256_sub_pd(z, z_hi), invc),
    );
    let kd = small_int_to_f64(k);
    let hi = _mm256_add_pd(_mm256_mul_pd(kd, _mm256_set1_pd(LN2_HI)), logc);
    let r2 = _mm256_mul_pd(r, r);
    let c = _mm256_set1_pd;
    // r2 · ((−½ + r/3) + r2 · ((−¼ + r/5) + r2 · −⅙)), as `ln` groups it.
    let inner =
        _mm256_add_pd(_mm256_add_pd(c(-0.25), _mm256_mul_pd(r, c(0.2))), _mm256_mul_pd(r2, c(-1.0 / 6.0)));
    let outer =
        _mm256_add_pd(_mm256_add_pd(c(-0.5), _mm256_mul_pd(r, c(1.0 / 3.0))), _mm256_mul_pd(r2, inner));
    let tail = _mm256_mul_pd(r2, outer);
    _mm256_add_pd(hi, _mm256_add_pd(r, _mm256_add_pd(_mm256_mul_pd(kd, c(LN2_LO)), tail)))
}

/// [`exp`]'s table method on four lanes (the lanes it hands over hold no meaningful value).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn exp4(x: __m256d) -> __m256d {
    let c = _mm256_set1_pd;
    let t = _mm256_add_pd(_mm256_mul_pd(x, c(INV_LN2_N)), c(SHIFT));
    let kd = _mm256_sub_pd(t, c(SHIFT));
    // `kd as i64`: `t` is SHIFT + kd, one unit per step of its bits.
    let n = _mm256_sub_epi64(_mm256_castpd_si256(t), _mm256_castpd_si256(c(SHIFT)));
    let j = _mm256_and_si256(n, _mm256_set1_epi64x(127));
    // (n >> 7) << 52, without an arithmetic shift: the same bits as (n & !127) << 45.
    let scale_bits = _mm256_slli_epi64::<45>(_mm256_andnot_si256(_mm256_set1_epi64x(127), n));
    let r = _mm256_sub_pd(_mm256_sub_pd(x, _mm256_mul_pd(kd, c(STEP_HI))), _mm256_mul_pd(kd, c(STEP_LO)));
    // SAFETY: `j` < 128 indexes the table.
    let entry = unsafe { _mm256_i64gather_pd::<8>(EXP_TABLE.as_ptr(), j) };
    let scale = _mm256_castsi256_pd(_mm256_add_epi64(_mm256_castpd_si256(entry), scale_bits));
    let r2 = _mm256_mul_pd(r, r);
    // r + r2 · ((½ + r/6) + r2 · (1/24 + r/120)), as `exp` groups it.
    let p = _mm256_add_pd(
        r,
        _mm256_mul_pd(
            r2,
            _mm256_add_pd(
                _mm256_add_pd(c(0.5), _mm256_mul_pd(r, c(1.0 / 6.0))),
                _mm256_mul_pd(r2, _mm256_add_pd(c(1.0 / 24.0), _mm256_mul_pd(r, c(1.0 / 120.0)))),
            ),
        ),
    );
    _mm256_add_pd(scale, _mm256_mul_pd(scale, p))
}

/// [`cos_turns`](super::fast::cos_turns) on four lanes of `u` in [0, 1) (a uniform draw's range: the scalar function's
/// hand-over outside it is not needed here).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn cos4(u: __m256d) -> __m256d {
    let c = _mm256_set1_pd;
    let v = _mm256_mul_pd(c(4.0), u);
    // round_u64(v) for v in [0, 4): the truncation plus one when the rest is at least ½.
    let whole = _mm256_round_pd::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(v);
    let up = _mm256_and_pd(_mm256_cmp_pd::<_CMP_GE_OQ>(_mm256_sub_pd(v, whole), c(0.5)), c(1.0));
    let q = _mm256_add_pd(whole, up);
    let g = _mm256_sub_pd(v, q);
    let g2 = _mm256_mul_pd(g, g);
    let g4 = _mm256_mul_pd(g2, g2);
    let g8 = _mm256_mul_pd(g4, g4);
    let even = |k: &[f64; 10]| {
        let pair = |a: usize| _mm256_add_pd(c(k[a]), _mm256_mul_pd(g2, c(k[a + 1])));
        let (p01, p23, p45, p67, p89) = (pair(0), pair(2), pair(4), pair(6), pair(8));
        _mm256_add_pd(
            _mm256_add_pd(p01, _mm256_mul_pd(g4, p23)),
            _mm256_mul_pd(
                g8,
                _mm256_add_pd(_mm256_add_pd(p45, _mm256_mul_pd(g4, p67)), _mm256_mul_pd(g8, p89)),
            ),
        )
    };
    let (cos, sin) = (even(&COS), _mm256_mul_pd(g, even(&SIN)));
    // Quadrant 1 and 3 take the sine; 1 and 2 are negative (4 is quadrant 0 again).
    let is = |n: f64| _mm256_cmp_pd::<_CMP_EQ_OQ>(q, c(n));
    let odd = _mm256_or_pd(is(1.0), is(3.0));
    let negative = _mm256_and_pd(_mm256_or_pd(is(1.0), is(2.0)), c(-0.0));
    _mm256_xor_pd(_mm256_blendv_pd(cos, sin, odd), negative)
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::model::dist::fast::{cos_turns, settle};
    use crate::model::dist::Rng;

    fn lanes(f: unsafe fn(__m256d) -> __m256d, x: [f64; LANES]) -> [f64; LANES] {
        let mut out = [0.0; LANES];
        // SAFETY: only called once AVX2 is known to be there; four doubles each way.
        unsafe { _mm256_storeu_pd(out.as_mut_ptr(), f(_mm256_loadu_pd(x.as_ptr()))) };
        out
    }

    /// Each four-lane function gives, in every lane, the scalar function's bits (where the scalar
    /// one does not hand over), over millions of inputs of the draws' own ranges and beyond.
    #[test]
    fn every_lane_holds_the_scalar_functions_bits() {
        if !available() {
            // Without AVX2 the draw is never four-lane: the callers draw one at a time.
            assert!(lognormal(1.0, 1.0, 1e15, &[0.5; LANES], &[0.5; LANES]).is_none());
            return;
        }
        let mut rng = Rng::new(11, "wide");
        let mut handed = [0u32; 2];
        for round in 0..1_000_000 {
            let u: [f64; LANES] = std::array::from_fn(|_| rng.unit());
            let u1 = u.map(|x| 1.0 - x);
            // Any positive normal double too, every tenth round.
            let wild: [f64; LANES] = std::array::from_fn(|_| {
                f64::from_bits(
                    0x0010_0000_0000_0000 + (rng.unit() * (0x7fe0_0000_0000_0000u64 as f64)) as u64,
                )
            });
            let x = if round % 10 == 0 { wild } else { u1 };
            let (got, over) = (lanes(ln4, x), lanes(ln_handed_over, x));
            for i in 0..LANES {
                let scalar_hands_over = (x[i] - 1.0).abs() < LN_NEAR_ONE;
                assert_eq!(over[i].to_bits() != 0, scalar_hands_over, "ln's hand-over at {}", x[i]);
                if scalar_hands_over {
                    handed[0] += 1;
                } else {
                    assert_eq!(got[i].to_bits(), ln(x[i]).to_bits(), "ln({})", x[i]);
                }
            }
            let c = lanes(cos4, u);
            for i in 0..LANES {
                assert_eq!(c[i].to_bits(), cos_turns(u[i]).to_bits(), "cos_turns({})", u[i]);
            }
            let y = u.map(|x| (x - 0.5) * if round % 2 == 0 { 40.0 } else { 1_500.0 });
            let (got, over) = (lanes(exp4, y), lanes(exp_handed_over, y));
            for i in 0..LANES {
                let scalar_hands_over = y[i].abs() >= EXP_LIMIT;
                assert_eq!(over[i].to_bits() != 0, scalar_hands_over, "exp's hand-over at {}", y[i]);
                if scalar_hands_over {
                    handed[1] += 1;
                } else {
                    assert_eq!(got[i].to_bits(), exp(y[i]).to_bits(), "exp({})", y[i]);
                }
            }
        }
        assert!(handed.iter().all(|&n| n > 1_000), "both hand-overs were exercised: {handed:?}");
        // The edges: quadrant boundaries, halves, the table's ends; NaN and the non-normal inputs
        // hand over.
        let edges = [0.0, 0.125, 0.25 - 1e-17, 0.375, 0.5, 0.625, 0.875, 1.0 - f64::EPSILON / 2.0];
        for u in edges.chunks(LANES) {
            let u: [f64; LANES] = u.try_into().expect("four");
            let c = lanes(cos4, u);
            for i in 0..LANES {
                assert_eq!(c[i].to_bits(), cos_turns(u[i]).to_bits(), "cos_turns({})", u[i]);
            }
        }
        let odd = [0.0, -1.0, f64::NAN, f64::INFINITY];
        assert!(lanes(ln_handed_over, odd).iter().all(|m| m.to_bits() != 0));
        let odd = [f64::NAN, 700.0, -700.0, f64::NEG_INFINITY];
        assert!(lanes(exp_handed_over, odd).iter().all(|m| m.to_bits() != 0));
        let fine = [f64::MIN_POSITIVE, 0.5, 2.0, f64::MAX];
        assert!(lanes(ln_handed_over, fine).iter().all(|m| m.to_bits() == 0));
    }

    /// The whole four-lane draw, hand-overs included, is the scalar draw's exponent, value and
    /// rounding.
    #[test]
    fn the_four_lane_draw_is_the_scalar_draw() {
        let cap = crate::model::dist::MAX_DRAW as f64;
        if lognormal(1.0, 1.0, cap, &[0.5; LANES], &[0.5; LANES]).is_none() {
            // Without AVX2 the callers draw one at a time (`Sampler`'s own tests cover that).
            assert!(!available());
            return;
        }
        let mut rng = Rng::new(12, "wide-draw");
        let mut unsettled = 0;
        for (median, sigma) in [(80_000.0, 0.69), (1.0, 0.47), (1e15, 3.0), (7.0, 2.97), (5.0, 90.0)] {
            for _ in 0..200_000 {
                let u1: [f64; LANES] = std::array::from_fn(|_| 1.0 - rng.unit());
                let u2: [f64; LANES] = std::array::from_fn(|_| rng.unit());
                let d = lognormal(median, sigma, cap, &u1, &u2).expect("AVX2");
                for i in 0..LANES {
                    let want_y = sigma * (libm::sqrt(-2.0 * ln(u1[i])) * cos_turns(u2[i]));
                    assert_eq!(d.y[i].to_bits(), want_y.to_bits(), "y of {} {}", u1[i], u2[i]);
                    let want_x = median * exp(want_y);
                    assert_eq!(d.x[i].to_bits(), want_x.to_bits(), "e^{want_y}");
                    let tol = TOL * (1.0 + want_y.abs()) + TOL_SPREAD * sigma;
                    if d.settled >> i & 1 == 1 {
                        assert_eq!(Some(d.delay[i]), settle(want_x, tol, cap), "{want_x}");
                    } else {
                        unsettled += 1;
                        assert!(!certain(want_x, tol, cap), "{want_x} is certain, yet handed over");
                    }
                }
            }
        }
        assert!(unsettled > 1_000, "the cap's hand-overs were exercised: {unsettled}");
    }

    /// Whether [`settle`] answers `x` without a hand-over (its own conditions, written out).
    fn certain(x: f64, tol: f64, cap: f64) -> bool {
        let slack = x.abs() * tol;
        x >= 0.0 && x + slack < cap && ((x - x.trunc()) - 0.5).abs() > slack
    }

    /// The four-lane rounding is `settle`'s wherever it claims certainty, and claims it exactly
    /// where `settle` rounds without a hand-over: at and near half-integers, at the cap, at 0,
    /// for NaN and infinities, and across the range.
    #[test]
    fn the_four_lane_rounding_is_settles() {
        if !available() {
            // Without AVX2 the draw is never four-lane: the callers draw one at a time.
            assert!(lognormal(1.0, 1.0, 1e15, &[0.5; LANES], &[0.5; LANES]).is_none());
            return;
        }
        let cap = 1e15;
        let mut rng = Rng::new(13, "wide-settle");
        let mut xs = vec![
            0.0,
            -0.0,
            0.5,
            1.5,
            2.4,
            2.6,
            1e6 + 0.5 + 1e-7,
            1e6 + 0.5 + 1e-5,
            1e15,
            2e15,
            1e15 - 0.5,
            f64::NAN,
            f64::INFINITY,
            -1.0,
            4_503_599_627_370_495.5,
            0.49999999999999994,
        ];
        for _ in 0..400_000 {
            let x = rng.unit() * 10f64.powi(rng.below(16) as i32);
            xs.push(x);
            xs.push((x * 2.0).round() / 2.0);
        }
        while xs.len() % LANES != 0 {
            xs.push(1.0);
        }
        for lanes in xs.chunks(LANES) {
            let x: [f64; LANES] = lanes.try_into().expect("four");
            let tol = if x[0] > 100.0 { 1e-13 } else { 1e-12 };
            // SAFETY: AVX2 is there (checked above); four doubles in, four words out.
            let (delay, settled) = unsafe {
                let (d, m) = settle4(_mm256_loadu_pd(x.as_ptr()), _mm256_set1_pd(tol), cap);
                let mut out = [0u64; LANES];
                _mm256_storeu_si256(out.as_mut_ptr().cast(), d);
                (out, m)
            };
            for i in 0..LANES {
                let claimed = settled >> i & 1 == 1;
                assert_eq!(claimed, certain(x[i], tol, cap), "certainty at {}", x[i]);
                if claimed {
                    assert_eq!(Some(delay[i]), settle(x[i], tol, cap), "{}", x[i]);
                }
            }
        }
    }
}
