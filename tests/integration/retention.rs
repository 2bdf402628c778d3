//! Bounded memory: a sim row holds only its backlog of events, never the whole run.
//!
//! One scenario of 1,000,000 events (200/s for 5,000 s) runs through every strategy; the most
//! events any row held at once must stay under a bound derived from the scenario alone — the
//! arrival rate times the longest lag anything can have on an event (the poll interval, the
//! reconciliation period, the webhook's whole retry horizon, a long poll's wait), with room for
//! a page and for Poisson bursts — which is a small fraction of the run's event count. Counts,
//! not times: the same on any machine and in any build.

use hookbench::engine::sim;
use hookbench::scenario::Scenario;
use hookbench::strategy::{Spec, StrategyKind};

/// The scenario: 200 events/s over 1,000 resources, a 30 s poll, a 1 min reconciliation, and
/// webhook retries after 1 s, 10 s and 1 min with one delivery in 100 failing.
const SCENARIO: &str = r#"
name = "retention"
duration = "5000s"
seed = 7

[events]
rate = "200/s"
resources = 1000

[api]
rtt = "50ms"
page_size = 100

[webhook]
delay = "200ms"
timeout = "5s"
retry = ["1s", "10s", "1m"]

[receiver]
failure_rate = 0.01

[strategies]
intervals = ["30s"]
reconcile_interval = "1m"
"#;

/// Events in the run (200/s × 5,000 s).
const EVENTS: f64 = 1_000_000.0;

#[test]
fn every_row_holds_its_backlog_not_the_run() {
    let s = Scenario::from_toml(SCENARIO, "test").expect("a valid scenario");
    let rate = 200.0;
    // The longest lag: every retry wait plus, per attempt, its delay and timeout.
    let attempts = 4.0;
    let retry_horizon = 1.0 + 10.0 + 60.0 + attempts * (0.2 + 5.0);
    let lag = [30.0, 60.0, retry_horizon, 20.0].into_iter().fold(0.0, f64::max);
    // Twice the lag for Poisson bursts and the step between retirements, plus a page.
    let bound = (2.0 * rate * lag + 100.0 + f64::from(sim::RETIRE_EVERY as u32)) as usize;
    assert!((bound as f64) < EVENTS / 10.0, "the bound {bound} must be far below the run");
    let specs = Spec::expand(&StrategyKind::ALL, &s.strategies.intervals, s.strategies.reconcile_interval);
    for spec in &specs {
        let row = sim::run_one(&s, spec).expect("the row runs");
        let events = row.report.events.total as f64;
        assert!((events - EVENTS).abs() < 5.0 * EVENTS.sqrt(), "{}: {events} events", spec.label());
        eprintln!("{}: held at most {} of {events} events (bound {bound})", spec.label(), row.peak_events);
        assert!(
            row.peak_events > 0 && row.peak_events < bound,
            "{}: held {} (bound {bound})",
            spec.label(),
            row.peak_events
        );
    }
}
