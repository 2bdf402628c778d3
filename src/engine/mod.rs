//! Engines: drivers that run the sans-IO model, and the row core they share.
//!
//! Owns nothing of the model's logic. [`row`] keeps every row's books (billing, bytes, webhook
//! counters, the fate of each event) once for both engines, a finite receiver's processing in
//! its [`processing`] pool (modelled, or held for real by the live engine); [`sim`] moves
//! virtual time forward from a queue of timed steps; the live engine (`crate::live`) carries the
//! same inputs in from real sockets. [`assemble`] builds the one [`Report`] both engines return.

pub mod estimate;
pub mod jobs;
pub mod observer;
pub mod outbox;
pub mod processing;
pub mod progress;
pub mod row;
pub mod sim;

use std::time::Instant;

use crate::result::report::{secs_f, LiveInfo, Report, RunInfo, StrategyReport, SCHEMA};
use crate::scenario::Scenario;

/// The part of `scenario` a run stopped at scenario time `ended` covered: its window cut to
/// `[0, ended)` (at least 1 µs), so per-day figures scale from the span that ran, not the whole
/// window. Both live drivers (`compare --engine live` and `serve --report`) report a stopped run
/// on it; a run that was not stopped keeps the scenario as it is.
pub fn covered_span(scenario: &Scenario, ended: crate::support::units::Micros) -> Scenario {
    let mut span = scenario.clone();
    span.duration = scenario.duration.min(ended).max(1);
    span
}

/// The report of a run of `engine` that started at `started` over `events` events.
pub fn assemble(
    engine: &str,
    scenario: &Scenario,
    events: u64,
    steps: u64,
    started: Instant,
    live: Option<LiveInfo>,
    strategies: Vec<StrategyReport>,
) -> Report {
    Report {
        schema: SCHEMA,
        hookbench_version: env!("CARGO_PKG_VERSION").to_string(),
        engine: engine.into(),
        seed: scenario.seed,
        scenario: scenario.clone(),
        wall_time_s: started.elapsed().as_secs_f64(),
        run: RunInfo {
            window_s: secs_f(scenario.duration),
            drain_s: secs_f(scenario.drain),
            events,
            steps,
            partial: false,
            covered_s: None,
        },
        live,
        strategies,
        replications: None,
        verdict: None,
        thresholds: None,
    }
}
