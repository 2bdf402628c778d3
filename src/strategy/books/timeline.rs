//! The run in time: per-bucket counts and latencies of one row, kept by the row core.
//!
//! Owns [`TimelineBooks`]: the run cut into equal buckets of scenario time, and per bucket what
//! happened in it — events that happened, were detected, became ready (processed), the ready
//! latencies of the events that *happened* in it, the receiver's peak backlog and its backlog at
//! the bucket's end, API requests,
//! 429s and failed calls, webhook attempts, retries and failed attempts. The books (`Books`),
//! the provider's outbox and the processing pool each keep one for what they count, and the row
//! merges them when it settles ([`TimelineBooks::merge`]). Memory is bounded by the bucket count:
//! buckets grow lazily up to [`MAX_BUCKETS`], and each keeps a small log-linear histogram
//! ([`LogHist`]) allocated only once a latency falls in it — never an HdrHistogram per bucket.
//! It never touches a clock: every call carries its scenario time.

use crate::support::units::Micros;

/// The most buckets a timeline holds; later times fall in the last one.
pub const MAX_BUCKETS: usize = 10_000;

/// The bucket count the run is cut into when `--bucket` is not given.
pub const DEFAULT_BUCKETS: u64 = 200;

/// Sub-buckets per power of two of [`LogHist`]: quantiles within 1/16 of their value.
const SUB: usize = 8;
/// The largest power of two [`LogHist`] tells apart (2^46 µs ≈ 2.2 years); longer is clamped.
const TOP_EXP: usize = 46;
/// Slots of a [`LogHist`].
const SLOTS: usize = SUB + (TOP_EXP - 2) * SUB;

/// A small log-linear histogram of microseconds: exact below [`SUB`], then [`SUB`] sub-buckets
/// per power of two, with the exact minimum and maximum to clamp quantiles.
///
/// Only the run of slots from the lowest to the highest one used is stored: a bucket's latencies
/// span a few powers of two, so it holds tens of counts, not all [`SLOTS`] (a day's timeline
/// keeps one per bucket, in every row).
#[derive(Debug, Clone)]
pub struct LogHist {
    /// The first slot `counts` holds.
    lo: usize,
    /// Counts of slots `lo..lo + counts.len()`.
    counts: Vec<u32>,
    count: u64,
    min: u64,
    max: u64,
}

impl Default for LogHist {
    fn default() -> Self {
        LogHist { lo: 0, counts: Vec::new(), count: 0, min: u64::MAX, max: 0 }
    }
}

impl LogHist {
    fn slot(v: u64) -> usize {
        if v < SUB as u64 {
            return v as usize;
        }
        let e = (63 - v.leading_zeros() as usize).min(TOP_EXP);
        let shift = e - 3;
        let sub = ((v >> shift) as usize).saturating_sub(SUB).min(SUB - 1);
        SUB + (e - 3) * SUB + sub
    }

    /// The middle of slot `i`.
    fn value(i: usize) -> u64 {
        if i < SUB {
            return i as u64;
        }
        let (e, sub) = ((i - SUB) / SUB + 3, (i - SUB) % SUB);
        let shift = e - 3;
        (((SUB + sub) as u64) << shift) | ((1u64 << shift) / 2)
    }

    /// The count of slot `i`, held from now on: the run of held slots grows to take it in.
    #[inline]
    fn count_of(&mut self, i: usize) -> &mut u32 {
        let j = i.wrapping_sub(self.lo);
        if j < self.counts.len() {
            return &mut self.counts[j];
        }
        self.widen(i)
    }

    /// [`LogHist::count_of`] for a slot outside the held run. The run is widened a power of two
    /// beyond the slot (two on first use, either side), so the next latencies near it fall in
    /// without widening again; slots held at zero change no figure.
    #[cold]
    fn widen(&mut self, i: usize) -> &mut u32 {
        debug_assert!(i < SLOTS, "slot {i} past the last");
        if self.counts.is_empty() {
            self.lo = i.saturating_sub(2 * SUB);
            self.counts = vec![0; (i + 2 * SUB + 1).min(SLOTS) - self.lo];
        } else if i < self.lo {
            let lo = i.saturating_sub(SUB);
            self.counts.splice(0..0, std::iter::repeat_n(0, self.lo - lo));
            self.lo = lo;
        } else {
            let end = (i + SUB + 1).min(SLOTS);
            self.counts.resize(end - self.lo, 0);
        }
        &mut self.counts[i - self.lo]
    }

    /// Records one latency.
    pub fn record(&mut self, v: u64) {
        let c = self.count_of(Self::slot(v));
        *c = c.saturating_add(1);
        self.count += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// Adds `other`'s latencies.
    pub fn add(&mut self, other: &LogHist) {
        if let Some(last) = other.counts.len().checked_sub(1) {
            // Both ends first, so the run is widened once.
            self.count_of(other.lo);
            self.count_of(other.lo + last);
            let from = other.lo - self.lo;
            for (a, b) in self.counts[from..].iter_mut().zip(&other.counts) {
                *a = a.saturating_add(*b);
            }
        }
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// How many latencies.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The latency at quantile `q` (0..=1), within the measured range; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        if rank == self.count {
            return Some(self.max); // the largest is known exactly
        }
        let mut seen = 0u64;
        for (i, &c) in (self.lo..).zip(&self.counts) {
            seen += u64::from(c);
            if seen >= rank {
                return Some(Self::value(i).clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }
}

/// The readable width nearest `raw` µs (by ratio): 1, 2 or 5 ms, s-steps of 1, 2, 5, 10, 15
/// and 30 s, 1, 2, 5, 10, 15 and 30 min, 1, 2, 3, 6 and 12 h, then 1, 2, 5, 10, 20, 50… days.
pub fn readable(raw: Micros) -> Micros {
    const MS: Micros = 1_000;
    const S: Micros = 1_000 * MS;
    const MIN: Micros = 60 * S;
    const H: Micros = 60 * MIN;
    const DAY: Micros = 24 * H;
    const STEPS: [Micros; 30] = [
        MS,
        2 * MS,
        5 * MS,
        10 * MS,
        20 * MS,
        50 * MS,
        100 * MS,
        200 * MS,
        500 * MS,
        S,
        2 * S,
        5 * S,
        10 * S,
        15 * S,
        30 * S,
        MIN,
        2 * MIN,
        5 * MIN,
        10 * MIN,
        15 * MIN,
        30 * MIN,
        H,
        2 * H,
        3 * H,
        6 * H,
        12 * H,
        DAY,
        2 * DAY,
        5 * DAY,
        10 * DAY,
    ];
    let raw = raw.max(1);
    // Past 10 days: 20, 50, 100, 200, 500… days, up to ten times `raw`.
    let decades = (1..18u32).map(|e| 10u64.saturating_pow(e).saturating_mul(DAY));
    let days = decades.flat_map(|d| [2 * d, 5 * d, 10 * d]).take_while(|&d| d / 10 <= raw);
    let candidates = STEPS.into_iter().chain(days);
    let off = |w: Micros| (w as f64 / raw as f64).ln().abs();
    candidates.min_by(|a, b| off(*a).total_cmp(&off(*b))).unwrap_or(raw)
}

/// What one bucket of scenario time saw.
#[derive(Debug, Clone, Default)]
pub struct Bucket {
    /// Events that happened.
    pub happened: u64,
    /// First detections.
    pub detected: u64,
    /// Events that became ready (processed; detected where the receiver is unlimited).
    pub ready: u64,
    /// Ready latencies of the events that happened in this bucket (allocated on first use).
    pub latency: Option<LogHist>,
    /// The most deliveries waiting for a worker at once (finite receivers only).
    pub backlog_peak: u64,
    /// Deliveries waiting for a worker at the bucket's end (finite receivers only; `None`
    /// where the pool did not note it).
    pub backlog_end: Option<u64>,
    /// API requests answered (billable ones: inside the window).
    pub requests: u64,
    /// 429 answers among them.
    pub throttled: u64,
    /// Failed calls among them (5xx, connection failures).
    pub failed: u64,
    /// Webhook attempts sent.
    pub attempts: u64,
    /// Attempts that were retries.
    pub retries: u64,
    /// Attempts that failed.
    pub attempts_failed: u64,
}

/// A row's timeline: equal buckets of `width` µs from time 0, grown lazily.
#[derive(Debug, Clone)]
pub struct TimelineBooks {
    width: Micros,
    buckets: Vec<Bucket>,
    /// The span `[start, end)` of the bucket `at` last gave, and its index: most calls fall in
    /// it (time moves forward), and then no division is needed.
    last: (Micros, Micros, usize),
}

impl TimelineBooks {
    /// Buckets `width` µs wide (at least 1).
    pub fn new(width: Micros) -> Self {
        TimelineBooks { width: width.max(1), buckets: Vec::new(), last: (0, 0, 0) }
    }

    /// The bucket width for a run whose window and drain span `span` µs: `bucket` when given,
    /// else the span cut into about [`DEFAULT_BUCKETS`], rounded to the nearest readable width
    /// ([`readable`]).
    pub fn width_for(span: Micros, bucket: Option<Micros>) -> Micros {
        bucket.unwrap_or_else(|| readable(span.div_ceil(DEFAULT_BUCKETS))).max(1)
    }

    /// The bucket width, µs.
    pub fn width(&self) -> Micros {
        self.width
    }

    /// The buckets up to the last one anything fell in.
    pub fn buckets(&self) -> &[Bucket] {
        &self.buckets
    }

    /// The index of the bucket of time `at`.
    pub fn index(&self, at: Micros) -> usize {
        ((at / self.width) as usize).min(MAX_BUCKETS - 1)
    }

    /// The bucket of time `at`, grown up to it.
    #[inline]
    pub fn at(&mut self, at: Micros) -> &mut Bucket {
        let (start, end, last) = self.last;
        let i = if (start..end).contains(&at) {
            last
        } else {
            let i = self.index(at);
            let start = i as Micros * self.width;
            // The last bucket takes every later time.
            let end = if i == MAX_BUCKETS - 1 { Micros::MAX } else { start.saturating_add(self.width) };
            self.last = (start, end, i);
            i
        };
        if i >= self.buckets.len() {
            self.buckets.resize_with(i + 1, Bucket::default);
        }
        &mut self.buckets[i]
    }

    /// An event that happened at `at` became ready at `ready`.
    pub fn ready(&mut self, at: Micros, ready: Micros) {
        self.at(ready).ready += 1;
        self.at(at).latency.get_or_insert_with(LogHist::default).record(ready.saturating_sub(at));
    }

    /// Adds `other`'s buckets (counts add, peaks take the larger); the widths must agree.
    pub fn merge(&mut self, other: &TimelineBooks) {
        debug_assert_eq!(self.width, other.width, "timelines cut alike");
        if other.buckets.len() > self.buckets.len() {
            self.buckets.resize_with(other.buckets.len(), Bucket::default);
        }
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            a.happened += b.happened;
            a.detected += b.detected;
            a.ready += b.ready;
            a.backlog_peak = a.backlog_peak.max(b.backlog_peak);
            a.backlog_end = b.backlog_end.or(a.backlog_end);
            a.requests += b.requests;
            a.throttled += b.throttled;
            a.failed += b.failed;
            a.attempts += b.attempts;
            a.retries += b.retries;
            a.attempts_failed += b.attempts_failed;
            if let Some(h) = &b.latency {
                a.latency.get_or_insert_with(LogHist::default).add(h);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bucket `at` remembers is the one the division gives, whichever way time jumps: back,
    /// forward, onto an edge, past the last bucket.
    #[test]
    fn the_remembered_bucket_is_the_divided_one() {
        let mut t = TimelineBooks::new(1_000);
        let mut rng = crate::model::dist::Rng::new(7, "timeline-at");
        let edges = [0, 999, 1_000, 1_001, 9_999_999, 10_000_000, u64::MAX, 5_000, 4_999];
        let times = edges.into_iter().chain((0..10_000).map(|_| (rng.unit() * 12e6) as u64));
        let mut expected = vec![0u64; MAX_BUCKETS];
        for at in times {
            t.at(at).requests += 1;
            expected[t.index(at)] += 1;
        }
        let counted: Vec<u64> = t.buckets.iter().map(|b| b.requests).collect();
        assert_eq!(counted[..], expected[..counted.len()]);
        assert!(expected[counted.len()..].iter().all(|&n| n == 0));
        assert_eq!(counted.iter().sum::<u64>(), 10_000 + 9);
    }

    /// Quantiles of the log-linear histogram stay within an eighth of the true value and inside
    /// the measured range.
    #[test]
    fn quantiles_are_close_and_inside_the_range() {
        let mut h = LogHist::default();
        for v in 1..=10_000u64 {
            h.record(v * 1000);
        }
        let p50 = h.quantile(0.5).expect("not empty") as f64;
        let p99 = h.quantile(0.99).expect("not empty") as f64;
        assert!((p50 / 5_000_000.0 - 1.0).abs() < 0.125, "{p50}");
        assert!((p99 / 9_900_000.0 - 1.0).abs() < 0.125, "{p99}");
        assert_eq!(h.quantile(1.0), Some(10_000_000));
        let mut one = LogHist::default();
        one.record(7);
        assert_eq!((one.quantile(0.5), one.quantile(0.99)), (Some(7), Some(7)));
        let mut huge = LogHist::default();
        huge.record(u64::MAX);
        assert_eq!(huge.quantile(0.5), Some(u64::MAX));
    }

    /// Holding only the run of slots in use changes no figure: records in any order (each new one
    /// below, above or inside the run) and merges give the counts and quantiles of a histogram
    /// holding every slot.
    #[test]
    fn the_held_run_of_slots_counts_as_every_slot_would() {
        let mut rng = crate::model::dist::Rng::new(11, "loghist-run");
        let quantiles = [0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0];
        for round in 0..50 {
            let (mut a, mut b) = (LogHist::default(), LogHist::default());
            let mut dense = vec![0u64; SLOTS];
            let mut all = Vec::new();
            for k in 0..(round * 7 % 97) {
                // Latencies over the whole range (0 and past the top slot included).
                let v = (rng.unit() * 2f64.powi(rng.below(50) as i32)) as u64;
                let h = if k % 2 == 0 { &mut a } else { &mut b };
                h.record(v);
                dense[LogHist::slot(v)] += 1;
                all.push(v);
            }
            a.add(&b);
            let held: Vec<u64> = (0..SLOTS)
                .map(|i| i.checked_sub(a.lo).and_then(|j| a.counts.get(j)).map_or(0, |&c| u64::from(c)))
                .collect();
            assert_eq!(held, dense, "round {round}");
            assert_eq!(a.count(), all.len() as u64);
            let mut reference = LogHist { lo: 0, counts: vec![0; SLOTS], count: 0, min: u64::MAX, max: 0 };
            for &v in &all {
                reference.record(v);
            }
            assert_eq!(reference.counts.len(), SLOTS, "a full run never grows");
            for q in quantiles {
                assert_eq!(a.quantile(q), reference.quantile(q), "round {round}, q {q}");
            }
        }
    }

    /// A defaulted width is a readable one near the span over 200.
    #[test]
    fn default_widths_are_readable() {
        let (s, min, h, day) = (1_000_000u64, 60_000_000u64, 3_600_000_000u64, 86_400_000_000u64);
        assert_eq!(TimelineBooks::width_for(7 * h, None), 2 * min, "7h / 200 = 2m06s");
        assert_eq!(TimelineBooks::width_for(25 * h, None), 10 * min, "25h / 200 = 7m30s");
        assert_eq!(TimelineBooks::width_for(10 * s, None), 50_000, "10s / 200 = 50 ms");
        assert_eq!(TimelineBooks::width_for(367 * day, None), 2 * day, "a year / 200 ≈ 1.8 d");
        assert_eq!(TimelineBooks::width_for(7 * h, Some(77)), 77, "a given width is kept");
        assert_eq!(readable(1000 * day), 1000 * day);
        assert_eq!(readable(40_000 * day), 50_000 * day);
        assert_eq!(readable(1), 1_000, "never under a millisecond");
    }

    /// Times past the last bucket fall in it: memory is bounded by the bucket count.
    #[test]
    fn buckets_are_bounded() {
        let mut t = TimelineBooks::new(1);
        t.at(u64::MAX).happened += 1;
        assert_eq!(t.buckets().len(), MAX_BUCKETS);
    }
}
