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

/// A visibility delay that follows the time of day: an event at t is visible at
/// V(t) = max over s ≤ t of (s + lag(s)) — the lag of a pipeline, whose log stays in order, so
/// where the curve falls faster than time passes, events wait for the ones before them. A poll
/// every T then sees an event V(t) − t + (T/2 on average) + the round trip after it happens, and
/// arrivals are uniform in time, so the mean is that envelope's mean over the run (integrated
/// numerically here, minute by minute, independently of the model); webhooks do not wait for
/// the API at all.
#[test]
fn a_daily_visibility_lag_adds_to_a_pollers_latency_only() {
    let curve = |vals: &[String]| vals.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ");
    let flat: Vec<u64> = vec![10; 24];
    // A ramp: 0 at midnight, 115 min at 23:00, back to 0 at the next midnight — falling faster
    // than time in the last hour, so the envelope is not the curve.
    let ramp: Vec<u64> = (0..24).map(|h| 5 * h).collect();
    for minutes in [flat, ramp] {
        let lag = |t_min: f64| {
            let h = (t_min / 60.0).floor();
            let f = t_min / 60.0 - h;
            let (a, b) = (minutes[h as usize % 24] as f64, minutes[(h as usize + 1) % 24] as f64);
            a + (b - a) * f
        };
        let steps = 48 * 60 * 10;
        let (mut envelope, mut sum) = (0.0f64, 0.0);
        for i in 0..steps {
            let t = i as f64 / 10.0 + 0.05;
            envelope = envelope.max(t + lag(t));
            sum += envelope - t;
        }
        let lag_ms = sum / steps as f64 * 60_000.0;
        let text = curve(&minutes.iter().map(|m| format!("{m}m")).collect::<Vec<_>>());
        let s = scenario(&format!(
            r#"
            name = "lag"
            duration = "48h"
            seed = 5
            [events]
            rate = "300/h"
            visibility_delay = {{ daily = [{text}] }}
            [api]
            rtt = "100ms"
            page_size = 10000
            [webhook]
            delay = "200ms"
            "#
        ));
        let report = run(&s, &[Poll, Webhook], &[60 * SECOND]);
        let poll = row(&report, "poll@1m").latency_ms.mean.unwrap();
        let expected = lag_ms + 30_000.0 + 100.0;
        assert!(rel(poll, expected) < 0.01, "poll mean {poll:.0} ms, closed form {expected:.0} ms");
        let hook = row(&report, "webhook").latency_ms.mean.unwrap();
        assert!((hook - 200.0).abs() < 1.0, "webhook mean {hook} ms");
    }
}

/// GitHub's events API lags "anywhere from 30s to 6h" by time of day: the profile's poll rows
/// reflect it (mean far above T/2), its webhook rows do not.
#[test]
fn the_github_profile_polls_behind_the_events_api_lag() {
    let s = hookbench::scenario::Scenario::bundled("github").unwrap().unwrap();
    let report = run(&s, &[Poll, Webhook], &[60 * SECOND]);
    let poll = row(&report, "poll@1m").latency_ms.mean.unwrap();
    assert!(poll > 3_600_000.0, "poll mean {poll} ms: the lag's daily mean is 1 h 23 min");
    assert!(row(&report, "poll@1m").latency_ms.max.unwrap() <= 6.0 * 3_600_000.0 + 70_000.0);
    assert!(row(&report, "webhook").latency_ms.mean.unwrap() < 5_000.0);
}
