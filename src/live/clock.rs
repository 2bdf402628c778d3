//! Virtual time for the live engine: scenario time running `speedup` times faster than the
//! wall clock, from a start instant.
//!
//! Owns the conversions between scenario microseconds and tokio instants, and the [`Lag`]
//! histogram of how late wake-ups came. It is the only place in the live engine that reads the
//! clock; everything else asks it.

use std::time::{Duration, SystemTime};

use std::time::Instant;

use crate::support::units::Micros;

/// A virtual clock.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
    wall_start: SystemTime,
    speedup: f64,
}

impl Clock {
    /// A clock starting now.
    pub fn start(speedup: f64) -> Self {
        Clock { start: Instant::now(), wall_start: SystemTime::now(), speedup: speedup.max(1e-9) }
    }

    /// The speed-up factor.
    pub fn speedup(&self) -> f64 {
        self.speedup
    }

    /// Virtual now.
    pub fn now(&self) -> Micros {
        (self.start.elapsed().as_secs_f64() * self.speedup * 1e6) as Micros
    }

    /// The instant virtual time `t` is reached.
    pub fn instant_at(&self, t: Micros) -> Instant {
        self.start + self.real(t)
    }

    /// A virtual duration in wall-clock time.
    pub fn real(&self, d: Micros) -> Duration {
        Duration::from_secs_f64(d as f64 / 1e6 / self.speedup)
    }

    /// The wall-clock time of virtual time `t`.
    pub fn wall_at(&self, t: Micros) -> SystemTime {
        self.wall_start + self.real(t)
    }

    /// Sleeps until virtual time `t` (precisely: see [`crate::live::timer`]).
    pub async fn sleep_until(&self, t: Micros) {
        crate::live::timer::sleep_until(self.instant_at(t)).await;
    }
}

/// Unix seconds now (for webhook timestamps, which real receivers check against their clocks).
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// How late the engine's own timers ran, in scenario microseconds: a histogram each task keeps
/// for itself and the engine merges at the end (no lock shared across tasks).
#[derive(Debug, Clone)]
pub struct Lag {
    hist: Option<hdrhistogram::Histogram<u64>>,
}

impl Default for Lag {
    fn default() -> Self {
        // Up to a year of scenario time; later wake-ups count as a year.
        Lag {
            hist: hdrhistogram::Histogram::new_with_bounds(1, crate::support::limits::MAX_DURATION, 3).ok(),
        }
    }
}

impl Lag {
    /// A wake-up due at `due` happened at `now` (both scenario time).
    pub fn record(&mut self, due: Micros, now: Micros) {
        if let Some(h) = self.hist.as_mut() {
            h.saturating_record(now.saturating_sub(due));
        }
    }

    /// Adds `other`'s wake-ups to these.
    pub fn add(&mut self, other: &Lag) {
        if let (Some(a), Some(b)) = (self.hist.as_mut(), other.hist.as_ref()) {
            let _ = a.add(b);
        }
    }

    /// How many wake-ups were recorded.
    pub fn count(&self) -> u64 {
        self.hist.as_ref().map_or(0, |h| h.len())
    }

    /// The median, the 99th percentile and the maximum, in scenario microseconds (zero when
    /// nothing was recorded).
    pub fn summary(&self) -> (Micros, Micros, Micros) {
        match self.hist.as_ref().filter(|h| !h.is_empty()) {
            Some(h) => (h.value_at_quantile(0.5), h.value_at_quantile(0.99), h.max()),
            None => (0, 0, 0),
        }
    }
}
