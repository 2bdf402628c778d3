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
    let (requests, interval) = requests(scenario, spec);
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
    2.0 * (requests + pages) + pushes + span / interval + breaker_wakeups(scenario, spec)
}

/// The wake-ups an open circuit breaker costs `spec`'s row. While the API fails the breaker
/// lets one probe go per `open` period, and every other caller asks again each period: the
/// poller (or `poll-state`'s concurrent calls), and in the hybrids every event's fetch, which
/// never gives up. The API fails for the outages and, at `failure_rate` f with `failures` k,
/// for about fᵏ of the time (the chance the last k calls all failed): 1 when every call fails.
pub fn breaker_wakeups(scenario: &Scenario, spec: &Spec) -> f64 {
    use crate::strategy::StrategyKind as K;
    let Some(b) = scenario.strategies.circuit_breaker else { return 0.0 };
    let open = b.open.max(1) as f64;
    let span = scenario.duration.saturating_add(scenario.drain) as f64;
    let window = scenario.duration.max(1) as f64;
    let faults = &scenario.api.faults;
    let storm = faults.failure_rate.powi(b.failures.min(i32::MAX as u32) as i32);
    let outages: Vec<f64> = faults.outages.iter().map(|o| (o.window.duration as f64).min(span)).collect();
    // The time the API fails, and the event-time its fetches wait: an event arriving in an
    // outage waits up to its end; under a storm, every event waits to the end of the run.
    let failing = (storm * span + outages.iter().sum::<f64>()).min(span);
    let waited = storm * span + outages.iter().map(|d| d * d / window).sum::<f64>();
    let callers = match spec.kind {
        K::Webhook => 0.0,
        K::PollState => f64::from(crate::strategy::poll_state::CONCURRENCY),
        _ => 2.0,
    };
    let fetches = match spec.kind {
        K::Hybrid | K::HybridReconcile => scenario.expected_events() * waited.min(span),
        _ => 0.0,
    };
    (callers * failing + fetches) / open
}

/// Bytes one request time takes in a sliding-window limiter's log.
const LOG_ENTRY_BYTES: f64 = 8.0;

/// The most memory a sliding-window limiter's log may be estimated to take in one row: the log
/// holds one time per request admitted within the window, so it grows with the limit and the
/// window when the strategy asks that often.
pub const MAX_LIMITER_LOG_BYTES: f64 = 512.0 * 1024.0 * 1024.0;

/// The largest log a sliding-window quota is expected to hold in `spec`'s row, in bytes (0
/// for any other algorithm): one entry per request admitted within a window, at most `limit`.
pub fn limiter_log_bytes(scenario: &Scenario, spec: &Spec) -> f64 {
    let Some(q) = scenario.api.rate_limit else { return 0.0 };
    if q.algorithm != crate::model::ratelimit::Algorithm::SlidingWindow {
        return 0.0;
    }
    let span = scenario.duration.saturating_add(scenario.drain).max(1) as f64;
    let (requests, _) = requests(scenario, spec);
    let per_window = requests * (q.window as f64 / span).min(1.0);
    per_window.min(q.limit as f64) * LOG_ENTRY_BYTES
}

/// The requests `spec` is expected to make on `scenario` (capped by its quota), and the
/// interval between its cycles.
fn requests(scenario: &Scenario, spec: &Spec) -> (f64, f64) {
    use crate::strategy::StrategyKind as K;
    let span = scenario.duration.saturating_add(scenario.drain) as f64;
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
    (requests, interval)
}

/// What a run is expected to cost: simulation steps, and wall time on the pool.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEstimate {
    /// Simulation steps, every row of every replication (a generous estimate).
    pub steps: f64,
    /// Wall time on `cores` workers, seconds: the steps shared over the workers, but never
    /// less than the longest row alone (a row runs on one core).
    pub seconds: f64,
    /// Workers the estimate assumes.
    pub cores: usize,
    /// The row with the most steps.
    pub worst: String,
}

/// Estimates a run of `specs` × `replications` on `jobs` workers.
pub fn estimate_run(scenario: &Scenario, specs: &[Spec], replications: u32, jobs: usize) -> RunEstimate {
    let per: Vec<f64> = specs.iter().map(|s| estimate_steps(scenario, s)).collect();
    let (worst_i, worst_steps) =
        per.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or((0, 0.0));
    let steps = per.iter().sum::<f64>() * f64::from(replications);
    let cores = jobs.clamp(1, (specs.len() * replications as usize).max(1));
    let seconds = (steps / cores as f64).max(worst_steps) / crate::support::limits::STEPS_PER_CORE_SECOND;
    let worst = specs.get(worst_i).map(Spec::label).unwrap_or_default();
    RunEstimate { steps, seconds, cores, worst }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::StrategyKind;
    use crate::support::units::SECOND;

    #[test]
    fn the_estimate_shares_rows_over_cores_but_never_splits_one() {
        let s = crate::scenario::Scenario::from_toml(
            "name = \"t\"\nduration = \"1d\"\n[events]\nrate = \"100/h\"",
            "t",
        )
        .unwrap();
        let two = Spec::expand(
            &[StrategyKind::Poll, StrategyKind::PollEtag],
            &[SECOND],
            s.strategies.reconcile_interval,
        );
        let (one_core, two_cores) = (estimate_run(&s, &two, 1, 1), estimate_run(&s, &two, 1, 2));
        assert!((one_core.seconds / two_cores.seconds - 2.0).abs() < 1e-9);
        assert_eq!(two_cores.cores, 2);
        let single = &two[..1];
        assert_eq!(estimate_run(&s, single, 1, 1).seconds, estimate_run(&s, single, 1, 8).seconds);
        // Replications multiply the steps and spread over the cores.
        let r = estimate_run(&s, single, 4, 2);
        assert!((r.steps / estimate_run(&s, single, 1, 1).steps - 4.0).abs() < 1e-9);
        assert_eq!(r.cores, 2);
    }
}
