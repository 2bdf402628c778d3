//! The bounds every run stays within, defined once.
//!
//! Owns the longest span anyone may give (a run, a drain, a poll interval, a sweep) and the most
//! events one run may draw and hold, so the scenario parser, the command-line checks and the trace reader
//! refuse the same things with the same numbers. It holds constants only: it never checks
//! anything itself and imports nothing but [`crate::support::units`].

use crate::support::units::{Micros, DAY};

/// The longest duration accepted anywhere: a year (`366d`).
pub const MAX_DURATION: Micros = 366 * DAY;

/// [`MAX_DURATION`] as users write it, for messages (`"366d"`).
pub const MAX_DURATION_TEXT: &str = "366d";

/// The most events a run that holds its whole stream may have: the live engine and `serve`
/// (whose provider serves every event), traces and recordings read whole (memory stays under a
/// few hundred MB).
pub const MAX_EVENTS: f64 = 20_000_000.0;

/// The most events one sim run may draw: event ids are 32-bit. The sim holds only each row's
/// backlog (`crate::engine::sim`), so memory no longer bounds a run; its run time does, through
/// the estimate ([`MAX_RUN_SECONDS`], `--allow-long-run`). A year at 100 events/s is 3.2 G.
pub const MAX_SIM_EVENTS: f64 = 4_000_000_000.0;

/// Simulation steps one core runs per second, for the run-time estimate: the release build's
/// 6.4 M steps/s on `payments` (README, Performance), rounded down.
pub const STEPS_PER_CORE_SECOND: f64 = 6e6;

/// The longest a sim run may be estimated to take before it needs `--allow-long-run`.
pub const MAX_RUN_SECONDS: f64 = 600.0;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::units::{format_duration, parse_duration};

    #[test]
    fn the_text_says_the_same_as_the_number() {
        assert_eq!(parse_duration(MAX_DURATION_TEXT).unwrap(), MAX_DURATION);
        assert_eq!(format_duration(MAX_DURATION), MAX_DURATION_TEXT);
    }

    #[test]
    fn a_year_at_100_per_second_fits_the_sim_and_its_ids() {
        let year = 365.0 * 86_400.0 * 100.0;
        assert!(year < MAX_SIM_EVENTS && MAX_SIM_EVENTS < f64::from(u32::MAX));
        assert!(year < MAX_EVENTS * 1000.0);
    }
}
