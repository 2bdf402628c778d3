//! The run-size guard's arithmetic: how many steps a sim row will take, estimated from the
//! scenario alone before anything runs, so `compare` can refuse (or, with `--allow-long-run`,
//! accept) a run by its expected time. It never runs the sim and never reads a clock.

use crate::scenario::Scenario;
use crate::strategy::Spec;

/// A generous estimate of the steps `spec` will take on `scenario`, so that a run that would
/// not finish in reasonable time is refused up front rather than left to hang.
pub fn estimate_steps(scenario: &Scenario, spec: &Spec) -> f64 {
    use crate::strategy::StrategyKind as K;
    let span = scenario.duration.saturating_add(scenario.drain) as f64;
    let events = scenario.expected_events();
    let interval = spec.interval.unwrap_or(scenario.strategies.reconcile_interval).max(1) as f64;
    let per_cycle = match spec.kind {
        K::PollState => f64::from(scenario.events.resources),
        K::Webhook | K::Hybrid | K::Sse => 0.0,
        _ => 1.0,
    };
    let interval = match spec.kind {
        K::LongPoll => scenario.strategies.long_poll_wait.min(scenario.api.long_poll_max).max(1) as f64,
        K::PollAdaptive => scenario.strategies.adaptive.min.max(1) as f64,
        _ => interval,
    };
    let mut requests = span / interval * per_cycle;
    if let Some(q) = scenario.api.rate_limit {
        // Over quota, each window admits its limit plus the 429s of the requests in flight.
        let windows = span / q.window as f64 + 1.0;
        let cap = windows * (q.limit as f64 + 4.0 * f64::from(crate::strategy::poll_state::CONCURRENCY));
        requests = requests.min(cap.max(span / interval));
    }
    let pages = match spec.kind {
        K::Poll | K::PollEtag | K::HybridReconcile | K::PollAdaptive => {
            events / f64::from(scenario.api.page_size)
        }
        K::LongPoll | K::Sse => events,
        _ => 0.0,
    };
    let pushes = match spec.kind {
        K::Webhook => 2.0 * events,
        K::Hybrid => 4.0 * events,
        K::HybridReconcile => 3.0 * events,
        _ => 0.0,
    };
    2.0 * (requests + pages) + pushes + span / interval
}
