//! Receiver faults: outages, retries, dead letters, and what reconciliation recovers.

use hookbench::model::source::EventLog;
use hookbench::strategy::StrategyKind::{Hybrid, HybridReconcile, Webhook};
use hookbench::support::units::{MILLI, SECOND};

use crate::util::{row, run, scenario};

fn outage_scenario(retry: &str, outage: bool) -> hookbench::scenario::Scenario {
    let outages = if outage { r#"outages = [{ at = "2h", duration = "15m" }]"# } else { "" };
    scenario(&format!(
        r#"
        name = "outage"
        duration = "6h"
        seed = 99
        [events]
        rate = "2000/h"
        resources = 300
        [webhook]
        delay = "300ms"
        retry = "{retry}"
        [receiver]
        {outages}
        [strategies]
        reconcile_interval = "15m"
        "#
    ))
}

#[test]
fn svix_retries_lose_nothing_and_the_outage_shows_in_p99_and_max() {
    let calm = run(&outage_scenario("svix", false), &[Webhook], &[]);
    let stormy = run(&outage_scenario("svix", true), &[Webhook], &[]);
    let (c, s) = (row(&calm, "webhook"), row(&stormy, "webhook"));
    assert!(s.events.total >= 10_000);
    assert_eq!((s.events.missed, s.events.in_flight), (0, 0), "{:?}", s.events);
    assert_eq!(s.events.detected, s.events.total);
    assert_eq!(s.webhooks.dead_lettered.expect("takes webhooks"), 0);
    assert!(
        s.webhooks.failed.expect("takes webhooks") > 0
            && s.webhooks.retried.expect("takes webhooks") == s.webhooks.failed.expect("takes webhooks")
    );
    // 15 minutes of a 6-hour run is 4% of events: the p99 is an outage event.
    let (cp99, sp99) = (c.latency_ms.p99.unwrap(), s.latency_ms.p99.unwrap());
    assert!(cp99 < 1_000.0 && sp99 > 60_000.0, "p99 calm {cp99} ms, with outage {sp99} ms");
    // The first events of the outage wait for the 30-minute retry.
    assert!(s.latency_ms.max.unwrap() > 15.0 * 60_000.0, "{:?}", s.latency_ms);
    assert!(c.latency_ms.max.unwrap() < 1_000.0);
}

#[test]
fn no_retries_lose_exactly_the_events_whose_attempt_fell_in_the_outage() {
    let s = outage_scenario("none", true);
    let log = EventLog::generate(&s);
    let (start, end) = (2 * 3600 * SECOND, 2 * 3600 * SECOND + 15 * 60 * SECOND);
    let delay = 300 * MILLI;
    let expected = log.events().iter().filter(|e| (start..end).contains(&(e.at + delay))).count() as u64;
    assert!(expected > 400, "{expected}");

    let report = run(&s, &[Webhook, Hybrid, HybridReconcile], &[]);
    for label in ["webhook", "hybrid"] {
        let r = row(&report, label);
        assert_eq!(r.events.missed, expected, "{label}");
        assert_eq!(r.webhooks.dead_lettered.expect("takes webhooks"), expected, "{label}");
        assert_eq!(r.events.detected + r.events.missed, r.events.total, "{label}");
    }
    let hr = row(&report, "hybrid-reconcile");
    assert_eq!(hr.webhooks.dead_lettered.expect("takes webhooks"), expected);
    assert_eq!((hr.events.missed, hr.events.in_flight), (0, 0), "reconciliation recovers them all");
    assert_eq!(hr.events.detected, hr.events.total);
    // Recovered events wait for the next reconciliation poll: at most one interval plus a round trip.
    assert!(hr.latency_ms.max.unwrap() <= 15.0 * 60_000.0 + 5_000.0, "{:?}", hr.latency_ms);
    assert!(hr.latency_ms.max.unwrap() > 60_000.0);
}

#[test]
fn slow_answers_past_the_timeout_make_duplicates() {
    let s = scenario(
        r#"
        name = "slow"
        duration = "6h"
        [events]
        rate = "2000/h"
        [webhook]
        timeout = "10s"
        retry = "svix"
        [receiver]
        slow_rate = 0.01
        slow = "20s"
        "#,
    );
    let report = run(&s, &[Webhook], &[]);
    let r = row(&report, "webhook");
    assert_eq!(r.events.missed, 0);
    // Each slow answer is processed, times out at the emitter, and is delivered again.
    assert!(r.events.duplicates > 0);
    assert_eq!(r.events.duplicates, r.webhooks.retried.expect("takes webhooks"));
}

#[test]
fn thin_webhooks_wait_for_visibility() {
    let s = scenario(
        r#"
        name = "visibility"
        duration = "6h"
        [events]
        rate = "2000/h"
        visibility_delay = "2s"
        [api]
        rtt = "50ms"
        [webhook]
        delay = "100ms"
        "#,
    );
    let report = run(&s, &[Hybrid], &[]);
    let r = row(&report, "hybrid");
    assert_eq!(r.events.detected, r.events.total);
    // Every first fetch meets a 404, so at least the visibility delay passes before detection.
    assert!(r.latency_ms.p50.unwrap() >= 2_000.0, "{:?}", r.latency_ms);
    assert!(r.requests.wasted.expect("calls the API") >= r.events.total, "{:?}", r.requests);
}

#[test]
fn a_gone_endpoint_is_disabled_and_reconciliation_takes_over() {
    let s = scenario(
        r#"
        name = "gone"
        duration = "4h"
        [events]
        rate = "3000/h"
        [webhook]
        delay = "200ms"
        [receiver]
        gone_at = "2h"
        [strategies]
        reconcile_interval = "10m"
        "#,
    );
    let report = run(&s, &[Webhook, HybridReconcile], &[]);
    let w = row(&report, "webhook");
    // Everything from the 410 on is dead-lettered at once, without further attempts.
    assert!(
        w.events.missed > 4_000 && w.events.missed == w.webhooks.dead_lettered.expect("takes webhooks"),
        "{:?}",
        w.events
    );
    assert_eq!(w.webhooks.failed.expect("takes webhooks"), 1, "one 410, then the endpoint is disabled");
    let hr = row(&report, "hybrid-reconcile");
    assert_eq!((hr.events.missed, hr.events.in_flight), (0, 0));
}
