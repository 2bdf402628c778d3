//! The arrival process: what the event source is configured to produce, and at what rate.
//!
//! Owns the [`EventsConfig`] a scenario fills in (base rate, bursts, a daily curve or a recorded
//! trace, the resources and their states) and the arithmetic of its arrival rate: the
//! piecewise-constant [`rate_segments`] the source draws from, and the [`expected_events`] the
//! parser and the command line bound a run by. Pure functions of the configuration; it never
//! draws a random number (that is [`crate::model::source`]'s) and never parses text.

use serde::{Deserialize, Serialize};

use crate::model::dist::Delay;
use crate::model::types::EventTypes;
use crate::support::units::{Micros, Rate, HOUR, SECOND};
use crate::trace::Trace;

/// The event source.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventsConfig {
    /// Poisson arrival rate outside bursts, per hour.
    #[serde(
        rename = "rate_per_h",
        serialize_with = "crate::support::units::per_hour",
        deserialize_with = "crate::support::units::de_per_hour"
    )]
    pub rate: Rate,
    /// Number of resources; each event moves one (uniformly chosen) to its next state.
    pub resources: u32,
    /// Resource kind, the prefix of event types (`payment.paid`).
    pub resource_type: String,
    /// The state cycle a resource moves through.
    pub states: Vec<String>,
    /// Size of each event's payload.
    pub payload_bytes: u32,
    /// Delay before an event is visible to the API (the log stays in order).
    #[serde(
        serialize_with = "crate::model::dist::delay_secs",
        deserialize_with = "crate::model::dist::de_delay_secs"
    )]
    pub visibility_delay: Delay,
    /// A visibility delay that follows the time of day: 24 values, the delay at the start of
    /// each hour from midnight (the run starts at midnight), linear in between and round the
    /// clock; empty when the delay does not depend on the hour. Added to `visibility_delay`.
    #[serde(
        rename = "visibility_daily_s",
        default,
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "crate::support::units::secs_vec",
        deserialize_with = "crate::support::units::de_secs_vec"
    )]
    pub visibility_daily: Vec<Micros>,
    /// Windows with another arrival rate.
    pub bursts: Vec<Burst>,
    /// Relative arrival weights for each hour of the day (24 of them; mean rate stays `rate`).
    pub daily: Option<Vec<f64>>,
    /// A recorded trace replayed instead of Poisson arrivals.
    pub trace: Option<Trace>,
    /// The event types and their shares (`[events] types`; none: one implicit type).
    #[serde(default, skip_serializing_if = "EventTypes::is_empty")]
    pub types: EventTypes,
}

/// The delay a 24-value daily curve gives at `at` (0 for an empty curve): the value at each
/// hour's start, linear in between, the last hour running back to the first.
pub fn daily_lag(curve: &[Micros], at: Micros) -> Micros {
    if curve.len() != 24 {
        return 0;
    }
    let in_day = at % (24 * HOUR);
    let h = (in_day / HOUR) as usize;
    let (a, b) = (curve[h] as f64, curve[(h + 1) % 24] as f64);
    let f = (in_day % HOUR) as f64 / HOUR as f64;
    (a + (b - a) * f).round() as Micros
}

/// A window in which events arrive at another rate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Burst {
    /// Start, from the beginning of the run.
    #[serde(
        rename = "at_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub at: Micros,
    /// Length.
    #[serde(
        rename = "duration_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub duration: Micros,
    /// Arrival rate during the window (replaces the base rate).
    #[serde(
        rename = "rate_per_h",
        serialize_with = "crate::support::units::per_hour",
        deserialize_with = "crate::support::units::de_per_hour"
    )]
    pub rate: Rate,
}

impl EventsConfig {
    /// The part of the visibility delay that follows the time of day, for an event at `at`
    /// (0 without a daily curve): linear between the hour marks, round the clock.
    #[inline]
    pub fn visibility_lag(&self, at: Micros) -> Micros {
        daily_lag(&self.visibility_daily, at)
    }

    /// The expected number of events in `[0, duration)`: a trace's rows that fall inside it, or
    /// the integral of the arrival rate.
    pub fn expected_events(&self, duration: Micros) -> f64 {
        match &self.trace {
            Some(t) => t.rows.iter().filter(|r| r.at < duration).count() as f64,
            None => expected_events(duration, &self.rate, &self.bursts, self.daily.as_deref()),
        }
    }

    /// The arrival rate over `[0, duration)`, as [`rate_segments`] gives it.
    pub fn rate_segments(&self, duration: Micros) -> Vec<(Micros, Micros, f64)> {
        rate_segments(duration, &self.rate, &self.bursts, self.daily.as_deref())
    }
}

/// The piecewise-constant arrival rate as segments `(start, end, per-second rate)` covering
/// `[0, duration)`. With a daily curve, the base rate in hour h of each day is
/// `rate × daily[h] / mean(daily)` (so the mean over a day stays `rate`; the run starts at
/// midnight). Inside a burst its rate replaces the base rate; where bursts overlap, the highest
/// rate holds.
pub fn rate_segments(
    duration: Micros,
    base: &Rate,
    bursts: &[Burst],
    daily: Option<&[f64]>,
) -> Vec<(Micros, Micros, f64)> {
    let mut cuts = vec![0, duration];
    if daily.is_some() {
        cuts.extend((1..=duration / HOUR).map(|h| h * HOUR));
    }
    let hourly = |t: Micros| match daily {
        Some(w) if !w.is_empty() => {
            let mean = w.iter().sum::<f64>() / w.len() as f64;
            base.per_second() * w[((t / HOUR) % w.len() as u64) as usize] / mean
        }
        _ => base.per_second(),
    };
    for b in bursts {
        cuts.push(b.at.min(duration));
        cuts.push(b.at.saturating_add(b.duration).min(duration));
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut segs = Vec::new();
    for w in cuts.windows(2) {
        let (s, e) = (w[0], w[1]);
        let rate = bursts
            .iter()
            .filter(|b| b.at <= s && s < b.at.saturating_add(b.duration))
            .map(|b| b.rate.per_second())
            .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))))
            .unwrap_or_else(|| hourly(s));
        segs.push((s, e, rate));
    }
    segs
}

/// The expected number of Poisson arrivals in `[0, duration)`: the integral of the rate.
pub fn expected_events(duration: Micros, base: &Rate, bursts: &[Burst], daily: Option<&[f64]>) -> f64 {
    rate_segments(duration, base, bursts, daily)
        .iter()
        .map(|(s, e, r)| r * (e - s) as f64 / SECOND as f64)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::units::{parse_rate, DAY};

    #[test]
    fn bursts_replace_the_base_rate() {
        let base = parse_rate("3600/h").unwrap();
        let b = Burst { at: 10 * SECOND, duration: 10 * SECOND, rate: parse_rate("36000/h").unwrap() };
        let segs = rate_segments(60 * SECOND, &base, std::slice::from_ref(&b), None);
        assert_eq!(segs.len(), 3);
        assert_eq!(segs[1], (10 * SECOND, 20 * SECOND, 10.0));
        assert!((expected_events(60 * SECOND, &base, std::slice::from_ref(&b), None) - 150.0).abs() < 1e-9);
    }

    #[test]
    fn daily_curves_shape_the_hours_and_keep_the_mean() {
        let base = parse_rate("240/h").unwrap();
        let mut w = vec![0.0; 24];
        w[9] = 1.0;
        w[10] = 3.0;
        let segs = rate_segments(2 * DAY, &base, &[], Some(&w));
        assert_eq!(segs.len(), 48);
        // 240/h × 3 / (4/24) = 4320/h = 1.2/s in hour 10 of each day; none at night.
        assert!((segs[34].2 - 1.2).abs() < 1e-9 && segs[3].2 == 0.0, "{:?}", &segs[30..36]);
        assert!((expected_events(2 * DAY, &base, &[], Some(&w)) - 2.0 * 24.0 * 240.0).abs() < 1e-6);
    }
}
