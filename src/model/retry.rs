//! Webhook retry schedules: the presets real providers run, or an explicit list.
//!
//! Owns the answer to "after attempt n failed, when is attempt n + 1?" — with jitter — and when
//! the emitter gives up. It knows nothing of sockets or clocks: callers pass the random stream.

use serde::{Deserialize, Serialize};

use crate::model::dist::Rng;
use crate::support::units::{Micros, HOUR, SECOND};

/// The named retry presets, in the order `--help` lists them.
pub const PRESETS: [&str; 5] = ["standard", "svix", "convoy", "outpost", "none"];

/// A retry schedule: the delay after each failed attempt, in order. Its length is the number of
/// retries, so the number of attempts in all is `len + 1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// The preset's name, or `custom` for an explicit list.
    pub name: String,
    /// Delay before retry 1, 2, … in seconds (serialized), microseconds (in memory).
    #[serde(
        rename = "schedule_s",
        serialize_with = "crate::support::units::secs_vec",
        deserialize_with = "crate::support::units::de_secs_vec"
    )]
    pub schedule: Vec<Micros>,
    /// Each delay is multiplied by a uniform factor in [1 − jitter, 1 + jitter].
    pub jitter: f64,
}

impl RetryPolicy {
    /// A named preset, or `None` if the name is unknown.
    pub fn preset(name: &str, jitter: f64) -> Option<Self> {
        let m = 60 * SECOND;
        let schedule = match name {
            "standard" => vec![
                5 * SECOND,
                5 * m,
                30 * m,
                2 * HOUR,
                5 * HOUR,
                10 * HOUR,
                14 * HOUR,
                20 * HOUR,
                24 * HOUR,
            ],
            "svix" => vec![5 * SECOND, 5 * m, 30 * m, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR],
            // Linear, 100 s apart, 10 tries in all.
            "convoy" => vec![100 * SECOND; 9],
            // Exponential from 30 s, doubling, 10 retries.
            "outpost" => (0..10).map(|i| (30 * SECOND) << i).collect(),
            "none" => Vec::new(),
            _ => return None,
        };
        Some(RetryPolicy { name: name.to_string(), schedule, jitter })
    }

    /// Attempts in all, first included.
    pub fn max_attempts(&self) -> u32 {
        self.schedule.len() as u32 + 1
    }

    /// After attempt `attempt` (1-based) failed: the delay before the next one, or `None` when
    /// the schedule is exhausted and the message goes to the dead-letter queue.
    pub fn next_delay(&self, attempt: u32, rng: &mut Rng) -> Option<Micros> {
        let base = *self.schedule.get(attempt.checked_sub(1)? as usize)?;
        if self.jitter == 0.0 {
            return Some(base);
        }
        Some((base as f64 * rng.jitter(self.jitter)).round() as Micros)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_have_the_documented_shapes() {
        let total = |n: &str| RetryPolicy::preset(n, 0.0).unwrap();
        assert_eq!(total("standard").max_attempts(), 10);
        assert_eq!(total("svix").max_attempts(), 8);
        assert_eq!(total("convoy").max_attempts(), 10);
        assert_eq!(total("outpost").max_attempts(), 11);
        assert_eq!(total("outpost").schedule[9], 30 * SECOND * 512);
        assert_eq!(total("none").max_attempts(), 1);
        assert!(RetryPolicy::preset("nope", 0.0).is_none());
    }

    #[test]
    fn jitter_stays_in_its_band_and_exhaustion_ends() {
        let p = RetryPolicy::preset("svix", 0.1).unwrap();
        let mut rng = Rng::new(1, "r");
        for _ in 0..1000 {
            let d = p.next_delay(1, &mut rng).unwrap();
            assert!((4_500_000..=5_500_000).contains(&d));
        }
        assert!(p.next_delay(8, &mut rng).is_none());
        assert!(p.next_delay(0, &mut rng).is_none());
    }
}
