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

/// A year at 100 events/s (3.2 G events) through `poll@30s` and `webhook`: the bundled example.
const YEAR: &str = include_str!("../../examples/scenarios/year-100s.toml");
const YEAR_FILE: &str = "examples/scenarios/year-100s.toml";

#[test]
fn a_year_at_100_per_second_is_a_sim_run_that_needs_only_allow_long_run() {
    use hookbench::cli::Engine;
    use hookbench::commands::options::{check_whole_log, guard_run_size};
    let s = Scenario::from_toml(YEAR, "year.toml").expect("a year of 100/s is a valid scenario");
    assert!(s.expected_events() > 3.1e9, "{}", s.expected_events());
    let specs = Spec::expand(&s.strategies.list, &s.strategies.intervals, s.strategies.reconcile_interval);
    // Memory no longer refuses it; the run-time estimate asks for the flag.
    assert!(check_whole_log(&s, Engine::Sim).is_ok());
    let refused = guard_run_size(&s, &specs, 1, 2, false).expect_err("estimated over 10 min");
    assert!(refused.to_string().contains("--allow-long-run"), "{refused}");
    assert!(guard_run_size(&s, &specs, 1, 2, true).is_ok());
    // The live engine holds the whole stream: still refused, with a clear sentence.
    let live = check_whole_log(&s, Engine::Live).expect_err("a live run holds every event");
    assert!(live.to_string().contains("a live run can hold"), "{live}");
}

#[test]
fn the_binary_refuses_a_live_year_and_asks_for_the_flag_in_the_sim() {
    let path = YEAR_FILE;
    let out = crate::util::hookbench(&["compare", "--scenario", path]);
    let (_, stderr) = crate::util::text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--allow-long-run") && !stderr.contains("can hold"), "{stderr}");
    let out = crate::util::hookbench(&["compare", "--scenario", path, "--engine", "live"]);
    let (_, stderr) = crate::util::text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("a live run can hold"), "{stderr}");
}

/// Scenarios that stress what retirement must never lose: visibility delays, API faults and a
/// quota, webhook retries and dead letters, thin payloads, stream drops, a finite receiver, a
/// capped pipeline, bursts and churn on few resources, and event types nobody subscribes to.
const HARD: [&str; 4] = [
    r#"
name = "faults"
duration = "2h"
seed = 3
[events]
rate = "10/s"
resources = 100
visibility_delay = { median = "1s", p99 = "20s" }
[api]
failure_rate = 0.02
outages = [{ at = "30m", duration = "5m" }]
sse_drop_every = "10m"
[webhook]
payload = "thin"
retry = ["1s", "30s", "2m"]
[receiver]
failure_rate = 0.05
outages = [{ at = "1h", duration = "3m" }]
[strategies]
intervals = ["10s"]
reconcile_interval = "5m"
circuit_breaker = { failures = 5, open = "30s" }
"#,
    r#"
name = "capacity"
duration = "1h"
seed = 4
[events]
rate = "20/s"
resources = 500
bursts = [{ at = "20m", duration = "2m", rate = "60/s" }]
[api]
rate_limit = { algorithm = "token-bucket", capacity = 50, refill = "30/s" }
[webhook]
max_in_flight = 5
retry = ["2s", "20s"]
[receiver]
workers = 2
process = { median = "40ms", p99 = "200ms" }
ack = "on-receipt"
queue_limit = 500
[strategies]
intervals = ["20s"]
reconcile_interval = "2m"
"#,
    r#"
name = "churn"
duration = "1h"
seed = 5
[events]
rate = "30/s"
resources = 20
visibility_delay = "2s"
[api]
rtt = { median = "100ms", p99 = "2s" }
[receiver]
slow_rate = 0.01
slow = "30s"
[strategies]
intervals = ["5s"]
reconcile_interval = "1m"
"#,
    r#"
name = "types"
duration = "1h"
seed = 6
[events]
rate = "20/s"
resources = 50
visibility_delay = { median = "1s", p99 = "10s" }
types = { "charge.succeeded" = 1, "customer.updated" = 3 }
[webhook]
subscribe = ["charge.succeeded"]
payload = "thin"
retry = ["1s", "30s"]
[receiver]
failure_rate = 0.05
workers = 2
process = { median = "20ms", p99 = "100ms" }
[strategies]
intervals = ["10s"]
reconcile_interval = "2m"
"#,
];

#[test]
fn retiring_events_never_changes_a_figure() {
    for text in HARD {
        let s = Scenario::from_toml(text, "test").expect("a valid scenario");
        let specs =
            Spec::expand(&StrategyKind::ALL, &s.strategies.intervals, s.strategies.reconcile_interval);
        for spec in &specs {
            let label = format!("{} {}", s.name, spec.label());
            let lean = sim::run_one(&s, spec).expect("the row runs");
            let whole = sim::run_one_holding_all(&s, spec).expect("the row runs");
            let json = |r: &sim::RowResult| serde_json::to_string(&r.report).expect("serializes");
            assert_eq!(json(&lean), json(&whole), "{label}");
            assert_eq!((lean.steps, lean.events), (whole.steps, whole.events), "{label}");
            assert_eq!(whole.peak_events as u64, whole.events, "{label}: holding all holds every event");
            assert!(
                lean.peak_events < whole.peak_events / 4,
                "{label}: held {} of {}",
                lean.peak_events,
                whole.events
            );
        }
    }
}

/// A webhook whose receiver is down for 2 minutes and fails one delivery in 200, with svix's
/// retries (5 s, 5 min, 30 min, 2 h, …): an event that fails again after the outage waits 30 min
/// or more for its next attempt, which pinned every event behind it in the window.
const PARKING: &str = r#"
name = "parking"
duration = "3h"
seed = 11
[events]
rate = "20/s"
resources = 1000
[webhook]
delay = "200ms"
retry = "svix"
[receiver]
failure_rate = 0.005
outages = [{ at = "30m", duration = "2m" }]
[strategies]
list = ["webhook"]
"#;

#[test]
fn a_webhook_holds_its_pending_attempts_not_every_event_behind_a_long_retry() {
    let s = Scenario::from_toml(PARKING, "test").expect("a valid scenario");
    let spec = &Spec::expand(&s.strategies.list, &s.strategies.intervals, s.strategies.reconcile_interval)[0];
    let lean = sim::run_one(&s, spec).expect("the row runs");
    let whole = sim::run_one_holding_all(&s, spec).expect("the row runs");
    let json = |r: &sim::RowResult| serde_json::to_string(&r.report).expect("serializes");
    assert_eq!(json(&lean), json(&whole), "parking changed a figure");
    assert_eq!((lean.steps, lean.events), (whole.steps, whole.events));
    let rate = 20.0;
    // Pending at once: every event of the outage (until its attempt after 5 min), plus the steady
    // failures waiting 5 s or 5 min; then a window of the webhook's timeout (15 s, before an
    // event may be parked) and a few seconds more (delay, retirement step).
    let (outage, timeout) = (120.0, 15.0);
    let bound = (1.5 * rate * (outage + 5.0 + timeout + 10.0) + 0.005 * rate * 300.0 * 3.0) as usize
        + 2 * sim::RETIRE_EVERY as usize;
    // A contiguous window holds rate × the 30 min wait of one event failing after the outage.
    let horizon = rate * 30.0 * 60.0;
    eprintln!("webhook: held at most {} (bound {bound}; rate × 30 min = {horizon})", lean.peak_events);
    assert!((bound as f64) < horizon / 5.0, "the bound {bound} must be far below {horizon}");
    assert!(lean.peak_events < bound, "held {} (bound {bound})", lean.peak_events);
    assert!(lean.report.webhooks.retried > Some(2400), "the outage's events were retried");
}

/// The same webhook at a receiver with two workers that answers once the work is done: a
/// delivery waits for its processing as well as for its retries, and neither pins the window.
#[test]
fn a_finite_receiver_parks_its_pending_and_processing_events_too() {
    let text = PARKING
        .replace("outages = [", "workers = 2\nprocess = { median = \"40ms\", p99 = \"300ms\" }\noutages = [");
    let s = Scenario::from_toml(&text, "test").expect("a valid scenario");
    let spec = &Spec::expand(&s.strategies.list, &s.strategies.intervals, s.strategies.reconcile_interval)[0];
    let lean = sim::run_one(&s, spec).expect("the row runs");
    let whole = sim::run_one_holding_all(&s, spec).expect("the row runs");
    let json = |r: &sim::RowResult| serde_json::to_string(&r.report).expect("serializes");
    assert_eq!(json(&lean), json(&whole), "parking changed a figure");
    assert_eq!((lean.steps, lean.events), (whole.steps, whole.events));
    // As above, with the pending events counted once for the emitter and once for the pool.
    let (rate, outage, timeout) = (20.0, 120.0, 15.0);
    let bound = 2 * ((1.5 * rate * (outage + 5.0 + timeout + 10.0) + 0.005 * rate * 300.0 * 3.0) as usize)
        + 2 * sim::RETIRE_EVERY as usize;
    eprintln!("webhook, 2 workers: held at most {} (bound {bound})", lean.peak_events);
    assert!(lean.peak_events < bound, "held {} (bound {bound})", lean.peak_events);
    assert!(lean.report.processed_ms.is_some(), "the pool's figures are reported");
}
