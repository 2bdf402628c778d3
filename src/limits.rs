//! The bounds every run stays within, defined once.
//!
//! Owns the longest span anyone may give (a run, a drain, a poll interval, a sweep) and the most
//! events one run may hold, so the scenario parser, the command-line checks and the trace reader
//! refuse the same things with the same numbers. It holds constants only: it never checks
//! anything itself and imports nothing but [`crate::units`].

use crate::units::{Micros, DAY};

/// The longest duration accepted anywhere: a year (`366d`).
pub const MAX_DURATION: Micros = 366 * DAY;

/// [`MAX_DURATION`] as users write it, for messages (`"366d"`).
pub const MAX_DURATION_TEXT: &str = "366d";

/// The most events one run may generate (memory stays under a few hundred MB).
pub const MAX_EVENTS: f64 = 20_000_000.0;

/// Simulation steps one core runs per second, for the run-time estimate: the release build's
/// 6.4 M steps/s on `payments` (README, Performance), rounded down.
pub const STEPS_PER_CORE_SECOND: f64 = 6e6;

/// The longest a sim run may be estimated to take before it needs `--allow-long-run`.
pub const MAX_RUN_SECONDS: f64 = 600.0;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::{format_duration, parse_duration};

    #[test]
    fn the_text_says_the_same_as_the_number() {
        assert_eq!(parse_duration(MAX_DURATION_TEXT).unwrap(), MAX_DURATION);
        assert_eq!(format_duration(MAX_DURATION), MAX_DURATION_TEXT);
    }
}
