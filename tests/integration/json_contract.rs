//! The JSON result carries the fields DESIGN.md §8 promises.

use serde_json::Value;

use crate::util::{hookbench, text};

#[test]
fn json_has_the_contract_fields() {
    let out = hookbench(&["compare", "--duration", "2h", "--format", "json"]);
    assert!(out.status.success());
    let (stdout, _) = text(&out);
    let v: Value = serde_json::from_str(&stdout).expect("valid JSON");
    assert_eq!(v["schema"], 2);
    assert_eq!(v["engine"], "sim");
    assert_eq!(v["seed"], 42);
    assert!(v["hookbench_version"].is_string());
    assert!(v["wall_time_s"].is_number());
    assert_eq!(v["scenario"]["name"], "payments");
    assert_eq!(v["scenario"]["duration_s"], 7200.0);
    let rows = v["strategies"].as_array().expect("strategies");
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["poll", "poll-etag", "poll-state", "webhook", "hybrid", "hybrid-reconcile"]);
    for r in rows {
        for k in ["mean", "p50", "p90", "p99", "p999", "max"] {
            assert!(r["latency_ms"][k].is_number(), "{}: latency_ms.{k}", r["name"]);
        }
        for k in ["total", "detected", "missed", "in_flight", "duplicates", "out_of_order"] {
            assert!(r["events"][k].is_u64(), "events.{k}");
        }
        // Present always; null where the figure does not apply to the strategy.
        let calls = r["name"] != "webhook";
        let hooks = matches!(r["name"].as_str(), Some("webhook" | "hybrid" | "hybrid-reconcile"));
        for k in ["total", "wasted", "not_modified", "throttled"] {
            assert_eq!(r["requests"][k].is_u64(), calls, "{}: requests.{k}", r["name"]);
            assert_eq!(r["requests"][k].is_null(), !calls, "{}: requests.{k}", r["name"]);
        }
        for k in ["attempts", "delivered", "failed", "retried", "dead_lettered"] {
            assert_eq!(r["webhooks"][k].is_u64(), hooks, "{}: webhooks.{k}", r["name"]);
            assert_eq!(r["webhooks"][k].is_null(), !hooks, "{}: webhooks.{k}", r["name"]);
        }
        assert_eq!(r["rate_limit"]["quota"], 5000);
        assert_eq!(r["rate_limit"]["window_s"], 3600.0);
        assert_eq!(r["rate_limit"]["peak_use"].is_number(), calls);
        assert!(r["rate_limit"]["throttled_s"].is_number());
        assert!(r["bytes"]["received"].is_u64() && r["bytes"]["sent"].is_u64());
        assert_eq!(r["per_day"]["requests"].is_number(), calls);
        assert_eq!(r["per_day"]["webhook_attempts"].is_number(), hooks);
        assert!(r["per_day"]["bytes"].is_number());
    }
    assert_eq!(rows[0]["interval_s"], 30.0);
    assert!(rows[3]["interval_s"].is_null(), "webhook has no interval");
    let poll = &rows[0];
    assert!(poll["webhooks"]["attempts"].is_null(), "pure polling takes no webhooks: not 0, null");
}

#[test]
fn intervals_make_rows_per_poll_strategy() {
    let out = hookbench(&[
        "compare",
        "--duration",
        "1h",
        "--interval",
        "5s,30s,1m",
        "--strategies",
        "poll,webhook,poll-etag",
        "--format",
        "json",
    ]);
    assert!(out.status.success());
    let v: Value = serde_json::from_str(&text(&out).0).unwrap();
    let labels: Vec<&str> =
        v["strategies"].as_array().unwrap().iter().map(|r| r["label"].as_str().unwrap()).collect();
    assert_eq!(
        labels,
        ["poll@5s", "poll@30s", "poll@1m", "webhook", "poll-etag@5s", "poll-etag@30s", "poll-etag@1m"]
    );
}

#[test]
fn the_table_fits_120_columns_and_names_the_run() {
    let out = hookbench(&["compare", "--duration", "2h", "--interval", "30s,5m"]);
    assert!(out.status.success());
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("scenario payments") && stdout.contains("seed 42") && stdout.contains("2h simulated")
    );
    for line in stdout.lines() {
        assert!(line.chars().count() <= 120, "{} columns: {line}", line.chars().count());
    }
    for label in
        ["poll@30s", "poll@5m", "poll-etag@30s", "poll-state@5m", "webhook", "hybrid", "hybrid-reconcile"]
    {
        assert!(stdout.lines().any(|l| l.starts_with(label)), "{label} row in\n{stdout}");
    }
}

#[test]
fn output_file_gets_json_and_stdout_the_table() {
    let dir = crate::util::temp_dir("output");
    let path = dir.join("result.json");
    let out = hookbench(&["compare", "--duration", "1h", "--output", path.to_str().unwrap()]);
    assert!(out.status.success());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["schema"], 2);
    assert!(text(&out).0.contains("hookbench · scenario payments"));
}

#[test]
fn a_trace_cut_short_by_duration_reports_its_true_rate() {
    let out = hookbench(&[
        "compare",
        "--scenario",
        "examples/scenarios/trace.toml",
        "--duration",
        "30m",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let events = v["run"]["events"].as_f64().unwrap();
    let per_hour = v["scenario"]["events"]["rate_per_h"].as_f64().unwrap();
    assert!(events > 0.0);
    assert!((per_hour * 0.5 - events).abs() < 1e-6, "{per_hour}/h over 30 minutes vs {events} events");
}
