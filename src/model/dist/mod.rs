//! Random numbers and the delay distributions of the model.
//!
//! Owns the seeded random streams and the two delay shapes a scenario can name: a fixed delay
//! or a log-normal given by its median and 99th percentile. The transcendental functions come
//! from the pure-Rust `libm`, not the platform's C library, so the same seed gives the same
//! numbers on every machine; a delay's own draw goes through the faster functions of `fast`
//! (IEEE-754 arithmetic alone, so also the same everywhere), guarded so that every delay is the
//! one `libm` gives. Nothing here reads a clock or the operating system's entropy.

mod fast;
mod wide;

use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::support::units::{secs_f, Micros, SECOND};

/// The z-score of the 99th percentile of the standard normal distribution.
const Z99: f64 = 2.326_347_874_040_840_8;

/// A seeded, portable random stream.
#[derive(Debug, Clone)]
pub struct Rng(ChaCha8Rng);

impl Rng {
    /// A stream for `seed`, separated from other streams of the same seed by `stream`.
    pub fn new(seed: u64, stream: &str) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in stream.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(h);
        Rng(rng)
    }

    /// Uniform in [0, 1).
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.0.random::<u64>() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n); `n` must be positive.
    #[inline]
    pub fn below(&mut self, n: u32) -> u32 {
        // Lemire's multiply-shift; the bias for n < 2^32 is below 2^-32.
        ((u64::from(self.0.random::<u32>()) * u64::from(n)) >> 32) as u32
    }

    /// True with probability `p`.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }

    /// An exponential waiting time with the given mean, in the mean's units.
    #[inline]
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * libm::log1p(-self.unit())
    }

    /// A standard normal deviate (Box–Muller).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        let (u1, u2) = self.box_muller();
        box_muller_exact(u1, u2)
    }

    /// The two uniforms of a Box–Muller normal: `u1` in (0, 1], then `u2` in [0, 1).
    #[inline]
    fn box_muller(&mut self) -> (f64, f64) {
        let u1 = 1.0 - self.unit();
        (u1, self.unit())
    }

    /// A uniform jitter factor in [1 − j, 1 + j].
    pub fn jitter(&mut self, j: f64) -> f64 {
        1.0 + j * (2.0 * self.unit() - 1.0)
    }
}

/// The standard normal deviate of Box–Muller's two uniforms, with `libm` throughout.
#[inline]
fn box_muller_exact(u1: f64, u2: f64) -> f64 {
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2)
}

/// The largest delay a random draw returns: 100 years, beyond the end of any run (a run lasts at
/// most its duration plus its drain, each bounded by a year or a few), so it changes no figure —
/// an attempt delayed past it is as undelivered at the end as it would have been — and only
/// keeps the arithmetic on times from overflowing. (No other bound: a draw of two days is two
/// days.)
pub const MAX_DRAW: Micros = 100 * 366 * 24 * 3_600 * 1_000_000;

/// [`MAX_DRAW`] as the draws' arithmetic caps it.
const CAP: f64 = MAX_DRAW as f64;

/// A delay: fixed, or log-normal from its median and 99th percentile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Delay {
    /// Always this long.
    Fixed(Micros),
    /// Log-normal with this median and 99th percentile (p99 ≥ median).
    LogNormal {
        /// The median, in microseconds.
        median: Micros,
        /// The 99th percentile, in microseconds.
        p99: Micros,
    },
    /// Exponential with this mean (memoryless service, as queueing theory's M/M/c assumes).
    Exponential {
        /// The mean, in microseconds.
        mean: Micros,
    },
}

impl Delay {
    /// σ of the underlying normal.
    fn sigma(median: Micros, p99: Micros) -> f64 {
        if median == 0 || p99 <= median {
            0.0
        } else {
            libm::log(p99 as f64 / median as f64) / Z99
        }
    }

    /// Draws one delay (working out the shape's parameters each time: a model that draws often
    /// keeps a [`Sampler`] instead).
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> Micros {
        self.sampler().sample(rng)
    }

    /// The delay ready to draw from, its parameters worked out once.
    pub fn sampler(&self) -> Sampler {
        Sampler(match *self {
            Delay::Fixed(d) => Shape::Fixed(d),
            Delay::LogNormal { median, p99 } => {
                let sigma = Self::sigma(median, p99);
                if sigma == 0.0 {
                    Shape::Fixed(median)
                } else {
                    Shape::LogNormal { median: median as f64, sigma }
                }
            }
            Delay::Exponential { mean } => Shape::Exponential { neg_mean: -(mean as f64) },
        })
    }

    /// The exact mean of the distribution, in microseconds.
    pub fn mean(&self) -> f64 {
        match *self {
            Delay::Fixed(d) => d as f64,
            Delay::LogNormal { median, p99 } => {
                let s = Self::sigma(median, p99);
                median as f64 * libm::exp(s * s / 2.0)
            }
            Delay::Exponential { mean } => mean as f64,
        }
    }

    /// The median, in microseconds.
    pub fn median(&self) -> Micros {
        match *self {
            Delay::Fixed(d) => d,
            Delay::LogNormal { median, .. } => median,
            Delay::Exponential { mean } => (mean as f64 * std::f64::consts::LN_2).round() as Micros,
        }
    }
}

/// A [`Delay`] ready to draw from: a log-normal's σ (a logarithm) and the shapes' means as
/// floats are worked out once, when it is made, rather than at every draw. It draws exactly what
/// [`Delay::sample`] draws — the same random numbers, the same arithmetic on them.
///
/// The logarithm, cosine and exponential of a draw are the fast ones of `fast`, whose rounding to
/// whole microseconds is guarded: where it could differ from the exact draw's (`libm`
/// throughout, as the tests' `sample_exact` draws), the exact draw is made from the same random
/// numbers, so every delay is the exact draw's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampler(Shape);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    /// Always this long (a log-normal with no spread too).
    Fixed(Micros),
    /// `median · e^(σ·N)`.
    LogNormal { median: f64, sigma: f64 },
    /// `−mean · ln(1 − U)`.
    Exponential { neg_mean: f64 },
}

impl Sampler {
    /// Draws one delay.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> Micros {
        match self.0 {
            Shape::Fixed(d) => d,
            _ => self.draw(rng),
        }
    }

    /// [`Sampler::sample`] of a shape that draws (kept out of line, so that a fixed delay —
    /// most visibility delays — costs its caller no more than a load).
    #[inline(never)]
    fn draw(&self, rng: &mut Rng) -> Micros {
        match self.0 {
            Shape::Fixed(d) => d,
            Shape::LogNormal { median, sigma } => {
                let (u1, u2) = rng.box_muller();
                lognormal_delay(median, sigma, exponent(sigma, -2.0 * fast::ln(u1), u2), u1, u2)
            }
            Shape::Exponential { neg_mean } => exponential_delay(neg_mean, 1.0 - rng.unit()),
        }
    }

    /// Draws `out.len()` delays (at most [`AHEAD`]) into `out`: exactly what as many calls of
    /// [`Sampler::sample`] draw, in order, from the same random numbers. The draws' arithmetic is
    /// done in passes over the batch — all logarithms, then all cosines, then all exponentials —
    /// so the processor works on several at once instead of waiting out one long chain of
    /// dependent steps per draw.
    pub fn fill(&self, rng: &mut Rng, out: &mut [Micros]) {
        let n = out.len().min(AHEAD);
        let out = &mut out[..n];
        match self.0 {
            Shape::Fixed(d) => out.fill(d),
            Shape::LogNormal { median, sigma } => {
                let (mut u1, mut u2) = ([0.0; AHEAD], [0.0; AHEAD]);
                let (mut y, mut x) = ([0.0; AHEAD], [0.0; AHEAD]);
                for i in 0..n {
                    (u1[i], u2[i]) = rng.box_muller();
                }
                // Four at a time where the processor can (the same bits as one at a time), the
                // rest one at a time.
                let mut done = 0;
                while done + wide::LANES <= n {
                    let lanes = done..done + wide::LANES;
                    let (Ok(a), Ok(b)) = (u1[lanes.clone()].try_into(), u2[lanes.clone()].try_into()) else {
                        break;
                    };
                    let Some(d) = wide::lognormal(median, sigma, CAP, a, b) else { break };
                    for (k, i) in lanes.enumerate() {
                        out[i] = if d.settled >> k & 1 == 1 {
                            d.delay[k]
                        } else {
                            lognormal_settle(median, sigma, d.y[k], d.x[k], u1[i], u2[i])
                        };
                    }
                    done += wide::LANES;
                }
                for i in done..n {
                    y[i] = -2.0 * fast::ln(u1[i]);
                }
                for i in done..n {
                    y[i] = exponent(sigma, y[i], u2[i]);
                    x[i] = median * fast::exp(y[i]);
                }
                for i in done..n {
                    out[i] = lognormal_settle(median, sigma, y[i], x[i], u1[i], u2[i]);
                }
            }
            Shape::Exponential { neg_mean } => {
                for o in out.iter_mut() {
                    *o = exponential_delay(neg_mean, 1.0 - rng.unit());
                }
            }
        }
    }

    /// Draws one delay with `libm` throughout: what [`Sampler::sample`] draws, the slow way (the
    /// reference its tests hold it to).
    #[cfg(test)]
    pub fn sample_exact(&self, rng: &mut Rng) -> Micros {
        match self.0 {
            Shape::Fixed(d) => d,
            Shape::LogNormal { median, sigma } => {
                let x = median * libm::exp(sigma * rng.normal());
                x.min(MAX_DRAW as f64).round() as Micros
            }
            Shape::Exponential { neg_mean } => {
                let x = neg_mean * libm::log(1.0 - rng.unit());
                x.min(MAX_DRAW as f64).round() as Micros
            }
        }
    }
}

/// A log-normal draw's exponent `σ·z`, from Box–Muller's `−2 ln u₁` and `u₂` (the fast cosine).
#[inline]
fn exponent(sigma: f64, minus_two_ln_u1: f64, u2: f64) -> f64 {
    sigma * (libm::sqrt(minus_two_ln_u1) * fast::cos_turns(u2))
}

/// The log-normal delay `median · e^y` of the uniforms `u1`, `u2` whose fast exponent is `y`:
/// rounded by [`fast::settle`] where the rounding is certain, else drawn with `libm` throughout
/// from the same `u1`, `u2`.
#[inline(always)]
fn lognormal_delay(median: f64, sigma: f64, y: f64, u1: f64, u2: f64) -> Micros {
    lognormal_settle(median, sigma, y, median * fast::exp(y), u1, u2)
}

/// [`lognormal_delay`] with its fast value `x = median · e^y` already worked out.
#[inline(always)]
fn lognormal_settle(median: f64, sigma: f64, y: f64, x: f64, u1: f64, u2: f64) -> Micros {
    let tol = fast::TOL * (1.0 + y.abs()) + fast::TOL_SPREAD * sigma;
    match fast::settle(x, tol, CAP) {
        Some(d) => d,
        None => lognormal_exact(median, sigma, u1, u2),
    }
}

/// The exact log-normal delay from the draw's uniforms: the rare case [`lognormal_delay`] hands
/// over, out of line so that the common one stays small enough to inline.
#[cold]
#[inline(never)]
fn lognormal_exact(median: f64, sigma: f64, u1: f64, u2: f64) -> Micros {
    fast::round_u64((median * libm::exp(sigma * box_muller_exact(u1, u2))).min(CAP))
}

/// The exponential delay `neg_mean · ln u` (`neg_mean` is −mean), settled or exact likewise.
#[inline]
fn exponential_delay(neg_mean: f64, u: f64) -> Micros {
    match fast::settle(neg_mean * fast::ln(u), fast::TOL, CAP) {
        Some(d) => d,
        None => exponential_exact(neg_mean, u),
    }
}

/// The exact exponential delay: [`exponential_delay`]'s rare case, out of line.
#[cold]
#[inline(never)]
fn exponential_exact(neg_mean: f64, u: f64) -> Micros {
    fast::round_u64((neg_mean * libm::log(u)).min(CAP))
}

/// The most delays [`Sampler::fill`] draws at once, and what [`DrawAhead`] holds.
pub const AHEAD: usize = 16;

/// A sampler drawing ahead, [`AHEAD`] delays at a time, from a random stream that nothing else
/// draws from: the delays come out in the order, and with the values, that one
/// [`Sampler::sample`] per delay would give, but computed in batches ([`Sampler::fill`]). Only for
/// a stream that is this sampler's alone — a draw of anything else from it in between would
/// take random numbers already used for delays drawn ahead.
#[derive(Debug, Clone)]
pub struct DrawAhead {
    sampler: Sampler,
    drawn: [Micros; AHEAD],
    next: usize,
}

impl DrawAhead {
    /// Draws ahead from `sampler`.
    pub fn new(sampler: Sampler) -> Self {
        DrawAhead { sampler, drawn: [0; AHEAD], next: AHEAD }
    }

    /// The next delay, from `rng` (always the same stream, this sampler's alone).
    #[inline]
    pub fn sample(&mut self, rng: &mut Rng) -> Micros {
        if let Shape::Fixed(d) = self.sampler.0 {
            // Nothing to draw (as `Sampler::sample`).
            return d;
        }
        if self.next == AHEAD {
            self.sampler.fill(rng, &mut self.drawn);
            self.next = 0;
        }
        self.next += 1;
        self.drawn[self.next - 1]
    }
}

impl From<Delay> for Sampler {
    fn from(d: Delay) -> Sampler {
        d.sampler()
    }
}

/// Serializes a delay as `{ "fixed_s": x }` or `{ "median_s": m, "p99_s": p, "mean_s": μ }`
/// (`serialize_with = "crate::model::dist::delay_secs"`).
pub fn delay_secs<S: serde::Serializer>(d: &Delay, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(None)?;
    match *d {
        Delay::Fixed(us) => m.serialize_entry("fixed_s", &secs_f(us))?,
        Delay::LogNormal { median, p99 } => {
            m.serialize_entry("median_s", &secs_f(median))?;
            m.serialize_entry("p99_s", &secs_f(p99))?;
            m.serialize_entry("mean_s", &(d.mean() / SECOND as f64))?;
        }
        Delay::Exponential { mean } => {
            m.serialize_entry("mean_s", &secs_f(mean))?;
            m.serialize_entry("dist", "exponential")?;
        }
    }
    m.end()
}

/// Reads a delay back as [`delay_secs`] writes it: `fixed_s`; `median_s` with `p99_s` (the
/// `mean_s` beside them is derived and ignored); or `mean_s` with `"dist": "exponential"`.
pub fn de_delay_secs<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Delay, D::Error> {
    use serde::de::Error;
    use serde::Deserialize;
    #[derive(Deserialize)]
    struct Written {
        fixed_s: Option<f64>,
        median_s: Option<f64>,
        p99_s: Option<f64>,
        mean_s: Option<f64>,
        dist: Option<String>,
    }
    let w = Written::deserialize(d)?;
    let us = |s: f64| {
        if s.is_finite() && s >= 0.0 {
            Ok((s * SECOND as f64).round() as Micros)
        } else {
            Err(D::Error::custom(format!("{s} is not a duration in seconds")))
        }
    };
    match (w.fixed_s, w.median_s, w.p99_s, w.mean_s, w.dist.as_deref()) {
        (Some(f), None, None, None, None) => Ok(Delay::Fixed(us(f)?)),
        (None, Some(m), Some(p), _, None) => Ok(Delay::LogNormal { median: us(m)?, p99: us(p)? }),
        (None, None, None, Some(m), Some("exponential")) => Ok(Delay::Exponential { mean: us(m)? }),
        _ => Err(D::Error::custom(
            "a delay is { fixed_s }, { median_s, p99_s, mean_s } or { mean_s, dist: \"exponential\" }",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_separate() {
        let a: Vec<u32> = (0..5).map(|_| Rng::new(7, "x").below(1000)).collect();
        let mut r = Rng::new(7, "x");
        let b: Vec<u32> = (0..5).map(|_| r.below(1000)).collect();
        let mut r2 = Rng::new(7, "x");
        assert_eq!(b, (0..5).map(|_| r2.below(1000)).collect::<Vec<_>>());
        assert!(a.iter().all(|&x| x == a[0]));
        let mut other = Rng::new(7, "y");
        let c: Vec<u32> = (0..5).map(|_| other.below(1000)).collect();
        assert_ne!(b, c);
    }

    #[test]
    fn lognormal_matches_its_median_p99_and_mean() {
        let d = Delay::LogNormal { median: 80_000, p99: 400_000 };
        let mut rng = Rng::new(1, "t");
        let mut xs: Vec<u64> = (0..200_000).map(|_| d.sample(&mut rng)).collect();
        let mean = xs.iter().sum::<u64>() as f64 / xs.len() as f64;
        xs.sort_unstable();
        let med = xs[xs.len() / 2] as f64;
        let p99 = xs[xs.len() * 99 / 100] as f64;
        assert!((med / 80_000.0 - 1.0).abs() < 0.02, "median {med}");
        assert!((p99 / 400_000.0 - 1.0).abs() < 0.05, "p99 {p99}");
        assert!((mean / d.mean() - 1.0).abs() < 0.02, "mean {mean} vs {}", d.mean());
    }

    #[test]
    fn the_fast_draw_is_the_exact_draw() {
        // Spreads from none to a thousandfold p99, delays from a microsecond (half-integers
        // everywhere) to the cap, and exponential means from 1 µs to a century.
        let shapes = [
            Delay::LogNormal { median: 80_000, p99: 400_000 },
            Delay::LogNormal { median: 300_000, p99: 2_000_000 },
            Delay::LogNormal { median: 1, p99: 3 },
            Delay::LogNormal { median: 7, p99: 7_000 },
            Delay::LogNormal { median: 1_000_000, p99: 1_000_000_000_000 },
            Delay::LogNormal { median: MAX_DRAW / 3, p99: MAX_DRAW },
            Delay::LogNormal { median: 50_000, p99: 50_001 },
            Delay::Exponential { mean: 1 },
            Delay::Exponential { mean: 500_000 },
            Delay::Exponential { mean: MAX_DRAW / 10 },
            Delay::Fixed(42),
        ];
        for (i, d) in shapes.iter().enumerate() {
            let s = d.sampler();
            let (mut fast, mut exact) = (Rng::new(i as u64, "fast"), Rng::new(i as u64, "fast"));
            for n in 0..400_000 {
                assert_eq!(s.sample(&mut fast), s.sample_exact(&mut exact), "{d:?}, draw {n}");
            }
        }
    }

    #[test]
    fn a_filled_batch_and_drawing_ahead_are_the_draws_one_at_a_time() {
        let shapes = [
            Delay::LogNormal { median: 80_000, p99: 400_000 },
            Delay::LogNormal { median: 1, p99: 3 },
            Delay::LogNormal { median: MAX_DRAW / 3, p99: MAX_DRAW },
            Delay::Exponential { mean: 500_000 },
            Delay::Fixed(42),
        ];
        for (i, d) in shapes.iter().enumerate() {
            let s = d.sampler();
            let (mut one, mut batch, mut ahead_rng) =
                (Rng::new(i as u64, "fill"), Rng::new(i as u64, "fill"), Rng::new(i as u64, "fill"));
            // One 32-bit draw first, so the batches start mid-word-pair (and cross the stream's
            // blocks there), as they do after a `below` in a row.
            assert_eq!(one.below(1000), batch.below(1000));
            let mut ahead = DrawAhead::new(s);
            // Batches of every size up to the most, then drawing ahead.
            for n in (1..=AHEAD).cycle().take(200) {
                let mut out = [0; AHEAD];
                s.fill(&mut batch, &mut out[..n]);
                let singles: Vec<Micros> = (0..n).map(|_| s.sample_exact(&mut one)).collect();
                assert_eq!(out[..n], singles[..], "{d:?}, a batch of {n}");
            }
            let mut exact = Rng::new(i as u64, "fill");
            assert_eq!(ahead_rng.below(7), exact.below(7));
            for k in 0..100_000 {
                assert_eq!(ahead.sample(&mut ahead_rng), s.sample_exact(&mut exact), "{d:?}, draw {k}");
            }
        }
    }

    #[test]
    fn exponential_mean() {
        let mut rng = Rng::new(3, "e");
        let n = 200_000;
        let m = (0..n).map(|_| rng.exponential(2.0)).sum::<f64>() / n as f64;
        assert!((m - 2.0).abs() < 0.03, "{m}");
    }
}
