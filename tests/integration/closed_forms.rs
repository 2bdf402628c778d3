//! The sim engine against closed forms over ≥ 10,000 events each.
//!
//! Periodic polling of Poisson arrivals: the next poll after an event comes on average T/2
//! later and its answer lands one round trip after that, so the mean detection latency is
//! T/2 + E[rtt]; the number of polls is duration / T. Snapshot polling: k transitions of one
//! resource inside one interval leave k − 1 unseen, so with λ the per-resource rate the expected
//! misses per resource per interval are λT − 1 + e^(−λT).

use hookbench::model::dist::Delay;
use hookbench::strategy::StrategyKind::{Poll, PollEtag, PollState, Webhook};
use hookbench::support::units::{MILLI, SECOND};

use crate::util::{rel, row, run, scenario};

fn poll_scenario() -> hookbench::scenario::Scenario {
    scenario(
        r#"
        name = "closed-form-poll"
        duration = "24h"
        seed = 2024
        [events]
        rate = "1000/h"
        resources = 1000
        [api]
        rtt = { median = "80ms", p99 = "400ms" }
        page_size = 10000
        "#,
    )
}

#[test]
fn poll_mean_latency_is_half_the_interval_plus_the_round_trip() {
    let s = poll_scenario();
    let rtt_mean_ms = s.api.rtt.mean() / MILLI as f64;
    assert!((rtt_mean_ms - 101.6).abs() < 0.1, "lognormal(80ms, p99 400ms) has mean {rtt_mean_ms}");
    let intervals = [SECOND, 30 * SECOND, 300 * SECOND];
    let report = run(&s, &[Poll, PollEtag], &intervals);
    assert!(report.run.events >= 10_000, "{} events", report.run.events);
    for t in intervals {
        let t_s = t as f64 / SECOND as f64;
        for name in ["poll", "poll-etag"] {
            let label = format!("{name}@{}", hookbench::support::units::format_duration(t));
            let r = row(&report, &label);
            let expected_ms = t_s * 1000.0 / 2.0 + rtt_mean_ms;
            let mean = r.latency_ms.mean.unwrap();
            assert!(
                rel(mean, expected_ms) < 0.02,
                "{label}: mean {mean:.1} ms, closed form {expected_ms:.1} ms"
            );
            let polls = 86_400.0 / t_s;
            assert!(
                rel(r.requests.total.expect("calls the API") as f64, polls) < 0.01,
                "{label}: {} requests, closed form {polls}",
                r.requests.total.expect("calls the API")
            );
            assert_eq!(r.events.missed, 0, "{label}");
            assert_eq!(r.events.detected + r.events.in_flight, r.events.total, "{label}");
            assert!(rel(r.per_day.requests.expect("applies"), polls) < 0.01, "{label}");
        }
    }
}

#[test]
fn poll_with_fixed_round_trip_is_exact_to_the_sampling_noise() {
    let mut s = poll_scenario();
    s.api.rtt = Delay::Fixed(250 * MILLI);
    let report = run(&s, &[Poll], &[10 * SECOND]);
    let r = row(&report, "poll@10s");
    let mean = r.latency_ms.mean.unwrap();
    assert!(rel(mean, 5_250.0) < 0.01, "mean {mean}");
    // Nothing can be detected sooner than one round trip, nor later than T plus one.
    assert!(r.latency_ms.max.unwrap() <= 10_250.0 + 0.001, "{:?}", r.latency_ms);
    assert_eq!(r.requests.total.expect("calls the API"), 8_640);
}

fn state_scenario(rate: &str, interval: &str) -> hookbench::scenario::Scenario {
    scenario(&format!(
        r#"
        name = "closed-form-state"
        duration = "24h"
        seed = 77
        [events]
        rate = "{rate}"
        resources = 20
        [api]
        rtt = "0s"
        [strategies]
        intervals = ["{interval}"]
        "#
    ))
}

#[test]
fn poll_state_misses_what_the_closed_form_predicts() {
    // (total rate, interval): λT = 1.5 and λT = 0.3 per resource.
    for (rate_per_h, interval_s) in [(3600.0f64, 30.0f64), (2160.0, 10.0)] {
        let s = state_scenario(&format!("{rate_per_h}/h"), &format!("{interval_s}s"));
        let report = run(&s, &[PollState], &s.strategies.intervals);
        let r = &report.strategies[0];
        assert!(r.events.total >= 10_000, "{} events", r.events.total);
        let lambda = rate_per_h / 3600.0 / 20.0;
        let lt = lambda * interval_s;
        let per_resource_interval = lt - 1.0 + (-lt).exp();
        let expected = 20.0 * (86_400.0 / interval_s) * per_resource_interval;
        let missed = r.events.missed as f64;
        assert!(rel(missed, expected) < 0.05, "λT = {lt}: missed {missed}, closed form {expected:.0}");
        assert_eq!(r.events.detected + r.events.missed + r.events.in_flight, r.events.total);
        assert_eq!(
            r.requests.throttled.expect("calls the API"),
            0,
            "this scenario's quota lets state polling keep its interval"
        );
        // One request per resource per interval.
        assert!(
            rel(r.requests.total.expect("calls the API") as f64, 20.0 * 86_400.0 / interval_s) < 0.01,
            "{}",
            r.requests.total.expect("calls the API")
        );
    }
}

#[test]
fn webhook_latency_is_the_delivery_delay() {
    let s = scenario(
        r#"
        name = "closed-form-webhook"
        duration = "12h"
        [events]
        rate = "1200/h"
        [webhook]
        delay = { median = "300ms", p99 = "2s" }
        "#,
    );
    let report = run(&s, &[Webhook], &[]);
    let r = row(&report, "webhook");
    assert!(r.events.total >= 10_000);
    let expected = s.webhook.delay.mean() / MILLI as f64;
    assert!(rel(r.latency_ms.mean.unwrap(), expected) < 0.02, "{:?} vs {expected}", r.latency_ms);
    assert!(rel(r.latency_ms.p50.unwrap(), 300.0) < 0.03, "{:?}", r.latency_ms);
    assert!(rel(r.latency_ms.p99.unwrap(), 2000.0) < 0.06, "{:?}", r.latency_ms);
    assert_eq!((r.events.missed, r.events.duplicates), (0, 0));
    assert_eq!(r.webhooks.attempts.expect("takes webhooks"), r.events.total);
}
