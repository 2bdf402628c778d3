//! Faults on the provider's side: API 5xx answers and outages, a delivery pipeline that stops,
//! and the circuit breaker.

use hookbench::strategy::StrategyKind::{Hybrid, Poll, PollEtag, PollState, Webhook};

use crate::util::{rel, row, run, scenario};

const SECOND: u64 = 1_000_000;
const MINUTE: f64 = 60_000.0; // ms

fn outage_scenario(extra: &str) -> hookbench::scenario::Scenario {
    scenario(&format!(
        r#"
        name = "api-outage-test"
        duration = "6h"
        seed = 9
        [events]
        rate = "600/h"
        [api]
        rtt = "100ms"
        outages = [{{ at = "2h", duration = "20m" }}]
        [webhook]
        delay = "300ms"
        {extra}
        "#
    ))
}

/// A 20-minute API outage: the cursor poller loses nothing; events of the outage wait for its
/// end, and are fetched within one interval plus the backoff's 5-minute bound of it.
#[test]
fn a_cursor_poller_catches_up_after_an_api_outage() {
    let s = outage_scenario("");
    let r = run(&s, &[Poll], &[30 * SECOND]);
    let p = row(&r, "poll@30s");
    assert_eq!((p.events.missed, p.events.in_flight), (0, 0));
    let max = p.latency_ms.max.unwrap();
    assert!(max >= 19.5 * MINUTE, "max {max} ms: the outage's first events wait it out");
    assert!(max <= 20.0 * MINUTE + 30_000.0 + 300_000.0, "max {max} ms");
    assert!(p.requests.failed > 0);
}

/// The hybrid's fetches fail during the outage and are retried: nothing is missed, and the
/// events behind them wait for the outage's end.
#[test]
fn the_hybrid_fetch_stalls_while_the_api_is_down() {
    let s = outage_scenario("");
    let r = run(&s, &[Hybrid], &[]);
    let h = row(&r, "hybrid");
    assert_eq!((h.events.missed, h.events.in_flight), (0, 0));
    assert!(h.requests.failed > 0);
    assert!(h.latency_ms.max.unwrap() >= 19.0 * MINUTE, "{:?}", h.latency_ms);
}

/// A 30-minute provider outage: webhooks wait it out (max ≥ 30 min), lose nothing and count no
/// retry; the pollers are byte-identical to a run without it.
#[test]
fn a_provider_outage_delays_webhooks_and_leaves_pollers_alone() {
    let plain = scenario("name = \"p\"\nduration = \"6h\"\nseed = 9\n[events]\nrate = \"600/h\"\n");
    let down = scenario(
        "name = \"p\"\nduration = \"6h\"\nseed = 9\n[events]\nrate = \"600/h\"\n\
         [webhook]\noutages = [{ at = \"4h\", duration = \"30m\" }]\n",
    );
    let kinds = [Poll, PollEtag, PollState, Webhook];
    let (a, b) = (run(&plain, &kinds, &[30 * SECOND]), run(&down, &kinds, &[30 * SECOND]));
    let w = row(&b, "webhook");
    // The first event due in the window waits for its end: 30 minutes less the few seconds
    // between the window's start and that event (600/h: seconds apart).
    let max = w.latency_ms.max.unwrap();
    assert!((29.0 * MINUTE..=30.1 * MINUTE).contains(&max), "{:?}", w.latency_ms);
    assert_eq!(
        (
            w.events.missed,
            w.webhooks.retried.expect("takes webhooks"),
            w.webhooks.failed.expect("takes webhooks")
        ),
        (0, 0, 0)
    );
    for label in ["poll@30s", "poll-etag@30s", "poll-state@30s"] {
        let (x, y) =
            (serde_json::to_string(row(&a, label)).unwrap(), serde_json::to_string(row(&b, label)).unwrap());
        assert_eq!(x, y, "{label} is untouched by the provider's outage");
    }
}

/// `failure_rate = 0.1`: a tenth of every poll row's calls fail; every event is accounted for.
#[test]
fn a_failure_rate_fails_that_share_of_calls() {
    // 86,400 calls a row at 1 s (≈ 288,000 for poll-state at 30 s over 100 resources): the
    // share's sampling error is about 1% of 10%, so 3% is three of them.
    let s = scenario(
        "name = \"f\"\nduration = \"24h\"\nseed = 2\n[events]\nrate = \"600/h\"\n[api]\nfailure_rate = 0.1\n",
    );
    let mut r = run(&s, &[Poll, PollEtag], &[SECOND]);
    r.strategies.extend(run(&s, &[PollState], &[30 * SECOND]).strategies);
    for row in &r.strategies {
        let share = row.requests.failed as f64 / row.requests.total.expect("calls the API") as f64;
        assert!(
            rel(share, 0.1) < 0.03,
            "{}: {share:.4} of {} calls",
            row.label,
            row.requests.total.expect("calls the API")
        );
        let e = &row.events;
        assert_eq!(e.detected + e.missed + e.in_flight, e.total);
    }
}

/// A circuit breaker (5 failures open it for 30 s) turns a 1 s poller's 20-minute outage into a
/// probe every 30 s, not 1,200 failed calls.
#[test]
fn a_circuit_breaker_probes_instead_of_hammering() {
    let s = outage_scenario("[strategies]\ncircuit_breaker = { failures = 5, open = \"30s\" }");
    let r = run(&s, &[Poll], &[SECOND]);
    let p = row(&r, "poll@1s");
    assert!(p.requests.failed <= 1200 / 30 + 5 + 2, "{} failed calls", p.requests.failed);
    assert!(p.requests.breaker_openings >= 30, "{} openings", p.requests.breaker_openings);
    assert!(p.requests.breaker_saved > 1000, "{} saved", p.requests.breaker_saved);
    assert_eq!((p.events.missed, p.events.in_flight), (0, 0));
}
