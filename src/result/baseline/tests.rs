//! Tests of [`super`]: changes, regressions, mismatches and the measures compared per row.

use super::*;
use serde_json::json;

#[test]
fn first_difference_names_the_path() {
    let a = json!({"name": "p", "api": {"page_size": 100, "rtt": {"fixed_s": 0.1}}});
    let b = json!({"name": "p", "api": {"page_size": 50, "rtt": {"fixed_s": 0.1}}});
    assert_eq!(first_difference(&a, &a, "scenario"), None);
    assert_eq!(first_difference(&a, &b, "scenario").as_deref(), Some("scenario.api.page_size: 100 vs 50"));
}

#[test]
fn changes_and_regressions() {
    assert_eq!(change(Some(2.0), Some(2.0)), Change::Same);
    assert_eq!(change(Some(2.0), Some(3.0)), Change::Percent(50.0));
    assert_eq!(change(Some(0.0), Some(3.0)), Change::FromZero(3.0));
    assert_eq!(change(Some(2.0), None), Change::Changed);
    assert!(regressed(Measure::P99, Some(100.0), Some(111.0), 0.1));
    assert!(!regressed(Measure::P99, Some(100.0), Some(110.0), 0.1));
    assert!(regressed(Measure::Detected, Some(100.0), Some(89.0), 0.1));
    assert!(regressed(Measure::P99, Some(100.0), None, 0.5));
}

#[test]
fn mismatches_are_named() {
    let file = |engine: &str| ResultFile {
        schema: 1,
        hookbench_version: "0.1.0".into(),
        engine: engine.into(),
        scenario: json!({"name": "p"}),
        strategies: Vec::new(),
        replications: None,
    };
    let (a, b) = (file("sim"), file("live"));
    assert_eq!(comparable(&a, &b), Err(Mismatch::Engine { result: "sim".into(), baseline: "live".into() }));
    assert_eq!(
        BaselineError::from(comparable(&a, &b).unwrap_err()).to_string(),
        "refusing to compare: the result comes from the sim engine and the baseline from the live engine; \
         rerun both with the same hookbench, engine and scenario"
    );
    assert!(comparable(&a, &file("sim")).is_ok());
}

#[test]
fn replicated_runs_may_differ_in_seed_single_runs_may_not() {
    let file = |seed: u64, n: u32| ResultFile {
        schema: 1,
        hookbench_version: "0.1.0".into(),
        engine: "sim".into(),
        scenario: json!({"name": "p", "seed": seed}),
        strategies: Vec::new(),
        replications: (n > 1).then_some(Replications { count: n, base_seed: seed }),
    };
    assert!(comparable(&file(1, 10), &file(2, 10)).is_ok());
    assert!(comparable(&file(1, 10), &file(2, 5)).is_ok());
    assert!(matches!(comparable(&file(1, 1), &file(2, 1)), Err(Mismatch::Scenario(_))));
    let e = comparable(&file(1, 10), &file(1, 1)).unwrap_err();
    assert_eq!(e.to_string(), "the result is 10 replications and the baseline a single run");
}

#[test]
fn endpoint_rows_also_compare_their_ack_latency() {
    let row = |ack: bool| {
        let mut r: StrategyReport = serde_json::from_value(json!({
            "name": "webhook", "interval_s": null, "effective_interval_s": null, "label": "endpoint",
            "latency_ms": {"mean": 1.0, "p50": 1.0, "p90": 1.0, "p99": 1.0, "p999": 1.0, "max": 1.0},
            "events": {"total": 1, "detected": 1, "missed": 0, "in_flight": 0, "duplicates": 0, "out_of_order": 0},
            "requests": {"total": null, "wasted": null, "not_modified": null, "throttled": null, "failed": 0},
            "webhooks": {"attempts": 1, "delivered": 1, "failed": 0, "retried": 0, "dead_lettered": 0},
            "rate_limit": {"quota": null, "window_s": null, "peak_use": null, "throttled_s": 0.0},
            "bytes": {"received": 0, "sent": 0},
            "per_day": {"requests": null, "webhook_attempts": 1.0, "bytes": 0.0}
        }))
        .unwrap();
        if ack {
            r.ack_ms = Some(crate::result::report::LatencyMs { p99: Some(5.0), ..Default::default() });
        }
        r
    };
    let (plain, endpoint) = (row(false), row(true));
    let m = [Measure::Mean, Measure::P99, Measure::Missed];
    assert_eq!(row_metrics(&m, &plain, &plain), m.to_vec());
    assert_eq!(
        row_metrics(&m, &endpoint, &plain),
        vec![Measure::Mean, Measure::AckMean, Measure::P99, Measure::AckP99, Measure::Missed]
    );
    let named = [Measure::P99, Measure::AckP99];
    assert_eq!(row_metrics(&named, &endpoint, &endpoint), named.to_vec());
}

#[test]
fn numbers_are_numbers_whatever_their_spelling() {
    let mut a = json!({"n": 20.0, "x": [1e2, 0.5], "m": -3.0});
    integral_numbers(&mut a);
    assert_eq!(a, json!({"n": 20, "x": [100, 0.5], "m": -3}));
    assert_eq!(first_difference(&json!({"a": 20}), &json!({"a": 20.0}), "s"), None);
}

#[test]
fn negative_figures_are_found() {
    let rows = json!([{"latency_ms": {"p99": 1.0}}, {"latency_ms": {"p99": -5.0}}]);
    assert_eq!(first_negative(&rows, "strategies"), Some(("strategies[1].latency_ms.p99".to_string(), -5.0)));
}
