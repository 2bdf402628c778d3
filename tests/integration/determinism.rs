//! Same scenario and seed: byte-identical JSON (but for the wall time); another seed differs.

use hookbench::render::json;
use hookbench::strategy::StrategyKind;

use crate::util::{hookbench, run, scenario, text};

fn without_wall_time(json: &str) -> String {
    json.lines().filter(|l| !l.trim_start().starts_with("\"wall_time_s\"")).collect::<Vec<_>>().join("\n")
}

fn json_for(seed: u64) -> String {
    let mut s = hookbench::scenario::Scenario::bundled("payments").unwrap().unwrap();
    s.seed = seed;
    s.duration = 6 * 3600 * 1_000_000;
    without_wall_time(&json::render(&run(&s, &StrategyKind::ALL, &s.strategies.intervals.clone())))
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = json_for(42);
    let b = json_for(42);
    assert_eq!(a, b);
    let c = json_for(43);
    assert_ne!(a, c);
}

#[test]
fn the_binary_is_deterministic_too() {
    let args = ["compare", "--scenario", "receiver-outage", "--duration", "3h", "--format", "json"];
    let (a, _) = text(&hookbench(&args));
    let (b, _) = text(&hookbench(&args));
    assert!(a.contains("\"schema\": 2"));
    assert_eq!(without_wall_time(&a), without_wall_time(&b));
}

#[test]
fn fault_scenarios_are_deterministic() {
    let s = scenario(
        r#"
        name = "faulty"
        duration = "3h"
        seed = 5
        [events]
        rate = "3000/h"
        visibility_delay = { median = "1s", p99 = "5s" }
        [api]
        rate_limit = "200/h"
        [webhook]
        retry = "outpost"
        payload = "thin"
        [receiver]
        failure_rate = 0.1
        slow_rate = 0.05
        outages = [{ at = "1h", duration = "10m" }]
        "#,
    );
    let a = without_wall_time(&json::render(&run(&s, &StrategyKind::ALL, &[10_000_000, 60_000_000])));
    let b = without_wall_time(&json::render(&run(&s, &StrategyKind::ALL, &[10_000_000, 60_000_000])));
    assert_eq!(a, b);
}
