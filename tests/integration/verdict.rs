//! The answer on the screen: ready latency leads the table where the receiver is finite, every
//! table ends in a computed verdict, and the verdict agrees with `advise`.

use hookbench::result::advice::{self, Target};
use hookbench::result::measure::Measure;
use hookbench::result::report::Report;
use hookbench::result::verdict::{Basis, Reason};
use hookbench::scenario::Scenario;
use hookbench::strategy::StrategyKind::{Hybrid, HybridReconcile, Poll, PollEtag, Webhook};
use proptest::prelude::*;

use crate::util::{hookbench, row, run, scenario, text};

const MINUTE_MS: f64 = 60_000.0;

/// The bundled flash sale, with the receiver's `ack` and `workers` replaced.
fn flash_sale(ack: &str, workers: u32) -> String {
    let (_, stdout) = (0, text(&hookbench(&["scenarios", "show", "flash-sale"])).0);
    stdout.replace("after-processing", ack).replace("workers = 2", &format!("workers = {workers}"))
}

/// The table of `compare` on a scenario file written from `toml`.
fn compare_table(name: &str, toml: &str, extra: &[&str]) -> (String, serde_json::Value) {
    let dir = crate::util::temp_dir(name);
    let file = dir.join("s.toml");
    std::fs::write(&file, toml).unwrap();
    let f = file.to_str().unwrap();
    let out = hookbench(&[&["compare", "-s", f], extra].concat());
    let (table, err) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let out = hookbench(&[&["compare", "-s", f, "--format", "json"], extra].concat());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let _ = std::fs::remove_dir_all(&dir);
    (table, json)
}

/// The cells of the table row whose label is `label`.
fn cells<'a>(table: &'a str, label: &str) -> Vec<&'a str> {
    let line =
        table.lines().find(|l| l.starts_with(&format!("{label} "))).unwrap_or_else(|| panic!("{table}"));
    line.split_whitespace().collect()
}

/// The flash sale: the first table's webhook row is ready latency (minutes, not the 2 s it takes
/// to detect), and the verdict does not name webhooks as best.
#[test]
fn flash_sale_leads_with_ready_latency_and_never_picks_webhooks() {
    let (table, json) = compare_table("flash-ready", &flash_sale("after-processing", 2), &[]);
    let first = table.split("\n\n").find(|b| b.contains("strategy ")).expect("the first table");
    assert!(table.contains("ready latency: from the event until the receiver has processed it"), "{table}");
    let webhook = cells(first, "webhook");
    // mean, p50, p99, max are minutes: `12m18s` and the like, never seconds or milliseconds.
    for c in &webhook[1..5] {
        assert!(c.contains('m') && !c.ends_with("ms"), "webhook latency cell {c} in:\n{first}");
    }
    let w = json["strategies"].as_array().unwrap().iter().find(|r| r["label"] == "webhook").unwrap();
    assert!(w["ready_ms"]["p99"].as_f64().unwrap() > 10.0 * MINUTE_MS);
    assert!(w["latency_ms"]["p99"].as_f64().unwrap() < 10_000.0);
    assert_eq!(w["ready_ms"], w["processed_ms"]);
    // Processed duplicates are counted and shown: the retries that queued were processed again.
    assert!(w["processing"]["duplicates"].as_u64().unwrap() > 1000, "{}", w["processing"]);
    assert_eq!(webhook[6].replace(',', ""), w["processing"]["duplicates"].to_string());
    // Detection moved to the second table.
    assert!(table.contains("\ndetection "), "{table}");
    let v = &json["verdict"];
    assert_ne!(v["chosen"], "webhook", "{v}");
    let line = table.lines().find(|l| l.starts_with("verdict:")).expect("a verdict line");
    assert!(!line.contains("webhook is the cheapest"), "{line}");
    // The bundled target (p99 ready ≤ 10 s) is out of reach with two workers: said so.
    assert!(line.contains("no row meets the target"), "{line}");
}

/// The same flash sale answered on receipt by enough workers: webhooks are ready in seconds,
/// and the verdict names them.
#[test]
fn flash_sale_on_receipt_with_enough_workers_picks_webhooks() {
    let (table, json) = compare_table("flash-receipt", &flash_sale("on-receipt", 16), &[]);
    let v = &json["verdict"];
    assert_eq!(v["basis"], "target");
    assert_eq!(v["chosen"], "webhook", "{v}");
    let line = table.lines().find(|l| l.starts_with("verdict:")).expect("a verdict line");
    assert!(line.starts_with("verdict: webhook is the cheapest row that meets the target"), "{line}");
    // Why the cheaper polls fail is said under it.
    assert!(table.contains("cheaper rows fail: poll@30s: p99"), "{table}");
}

/// Without a finite receiver, ready latency is detection latency, and the table's latency cells
/// are the detection figures, as before.
#[test]
fn an_unlimited_receiver_is_ready_when_it_detects() {
    for name in ["payments", "receiver-outage", "github", "iot-burst"] {
        let s = Scenario::bundled(name).unwrap().unwrap();
        assert!(s.receiver.capacity.workers.is_none(), "{name}");
        let r = run(&s, &[Poll, PollEtag, Webhook, Hybrid, HybridReconcile], &[30_000_000]);
        for row in &r.strategies {
            assert!(row.processed_ms.is_none(), "{name} {}", row.label);
            assert_eq!(
                serde_json::to_value(&row.ready_ms).unwrap(),
                serde_json::to_value(&row.latency_ms).unwrap(),
                "{name} {}",
                row.label
            );
            for m in Measure::LATENCIES {
                assert_eq!(m.of(row), m.detection().unwrap().of(row), "{name} {} {}", row.label, m.name());
            }
        }
    }
}

/// Thresholds read ready latency by default; detection stays available by name.
#[test]
fn thresholds_default_to_ready_latency_and_name_detection() {
    let toml = flash_sale("after-processing", 2);
    let dir = crate::util::temp_dir("flash-thresholds");
    let file = dir.join("s.toml");
    std::fs::write(&file, toml).unwrap();
    let f = file.to_str().unwrap();
    let run = |t: &str| hookbench(&["compare", "-s", f, "--strategies", "webhook", "-q", "--threshold", t]);
    let out = run("webhook.p99<1m");
    assert_eq!(out.status.code(), Some(1), "ready p99 is tens of minutes: {}", text(&out).1);
    let out = run("webhook.detection_p99<1m");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without a target the verdict is the frontier: equal rows are named as such, dominated rows
/// say by whom, and rows that lose events are never on it.
#[test]
fn without_a_target_the_verdict_is_the_frontier_with_reasons() {
    let s = Scenario::bundled("payments").unwrap().unwrap();
    let kinds = hookbench::strategy::StrategyKind::DEFAULT;
    let r = run(&s, kinds, &[30_000_000]);
    let v = advice::verdict(&r, None);
    assert_eq!(v.basis, Basis::Frontier);
    assert_eq!(v.chosen, None);
    assert_eq!(v.frontier, ["poll@30s", "webhook"], "{v:?}");
    let reason = |label: &str| v.rows.iter().find(|x| x.row == label).unwrap().clone();
    let etag = reason("poll-etag@30s");
    assert_eq!((etag.code, etag.other.as_deref()), (Reason::SameAs, Some("poll@30s")));
    assert_eq!(reason("poll-state@30s").code, Reason::Missed);
    assert_eq!(reason("poll-state@30s").count, Some(row(&r, "poll-state@30s").events.missed));
    let hybrid = reason("hybrid");
    assert_eq!((hybrid.code, hybrid.other.as_deref()), (Reason::DominatedBy, Some("webhook")));
    // Nothing that lost events is on the frontier.
    for label in &v.frontier {
        let row = row(&r, label);
        assert_eq!((row.events.missed, row.events.in_flight), (0, 0));
    }
}

/// `[target]` keys parse, and bad ones are one sentence naming the key.
#[test]
fn the_target_section_parses_and_refuses_bad_keys() {
    let base = "name = \"t\"\n[events]\nrate = \"10/h\"\n[target]\n";
    let s = scenario(&format!("{base}latency = \"p90 <= 2m\"\nmissed = 3\nquota = \"80%\"\n"));
    let t = Target::of(&s.target);
    assert_eq!(
        (t.percentile, t.max_latency_ms, t.max_missed, t.max_quota),
        (Measure::P90, Some(120_000.0), 3, Some(0.8))
    );
    for (key, needle) in [
        ("latency = \"p98<1m\"", "is not a latency statistic"),
        ("latency = \"p99 1m\"", "has no `<`"),
        ("latency = \"p99<soon\"", "p99<1m"),
        ("missed = -1", "negative"),
        ("quota = \"180%\"", "not a share"),
        ("speed = 1", "unknown field"),
    ] {
        let e = Scenario::from_toml(&format!("{base}{key}\n"), "f").unwrap_err().to_string();
        assert!(e.contains(needle), "{key}: {e}");
    }
}

/// A small random scenario: Poisson events, maybe a finite receiver, maybe a quota.
fn random_scenario(
    rate: u32,
    workers: Option<u32>,
    process_ms: u32,
    quota: Option<u32>,
    seed: u64,
) -> Scenario {
    let receiver = match workers {
        Some(w) => format!("[receiver]\nworkers = {w}\nprocess = \"{process_ms}ms\"\n"),
        None => String::new(),
    };
    let api = match quota {
        Some(q) => format!("[api]\nrate_limit = \"{q}/h\"\n"),
        None => String::new(),
    };
    scenario(&format!(
        "name = \"p\"\nduration = \"1h\"\nseed = {seed}\n[events]\nrate = \"{rate}/h\"\nresources = 50\n{api}{receiver}"
    ))
}

fn judged(report: &Report, target: &Target) -> (Option<String>, Option<String>) {
    let a = advice::advise_to(report, target);
    let v = advice::verdict(report, Some(target));
    (a.pick.map(|i| a.verdicts[i].label.clone()), v.chosen)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// `advise`'s pick is the verdict's pick for the same target, whatever the scenario.
    #[test]
    fn advise_and_the_verdict_pick_the_same_row(
        rate in 20u32..400,
        workers in prop::option::of(1u32..4),
        process_ms in 10u32..3000,
        quota in prop::option::of(200u32..5000),
        seed in 0u64..1000,
        max_s in 1u64..120,
        stat in 0usize..4,
    ) {
        let s = random_scenario(rate, workers, process_ms, quota, seed);
        let r = run(&s, &[Poll, PollEtag, Webhook, Hybrid, HybridReconcile], &[5_000_000, 60_000_000]);
        let percentile = [Measure::Mean, Measure::P50, Measure::P99, Measure::Max][stat];
        let target = Target {
            percentile,
            max_latency_ms: Some(max_s as f64 * 1000.0),
            max_processed_ms: None,
            max_missed: 0,
            max_quota: None,
        };
        let (a, v) = judged(&r, &target);
        prop_assert_eq!(a, v);
    }
}

/// The same through the binaries: `advise` and `compare --max-latency` name the same row.
#[test]
fn advise_and_compare_agree_through_the_command_line() {
    for (scenario, max) in
        [("payments", "5s"), ("payments", "1m"), ("flash-sale", "20m"), ("receiver-outage", "1m")]
    {
        let out = hookbench(&["advise", "-s", scenario, "--intervals", "30s,5m", "--max-latency", max]);
        let (advice, _) = text(&out);
        let picked = advice.lines().find_map(|l| l.strip_prefix("advice: ")).unwrap_or("");
        let picked = picked.split(" — ").next().filter(|p| !p.starts_with("none")).map(str::to_string);
        let out = hookbench(&[
            "compare",
            "-s",
            scenario,
            "--interval",
            "30s,5m",
            "--max-latency",
            max,
            "--format",
            "json",
        ]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let chosen = json["verdict"]["chosen"].as_str().map(str::to_string);
        assert_eq!(picked, chosen, "{scenario} {max}:\n{advice}");
    }
}

/// When only the processed target binds, `advise` says to relax that one — never a latency
/// target the row already meets (issue 23 item 31).
#[test]
fn advise_names_the_target_that_binds() {
    let out = hookbench(&[
        "advise",
        "-s",
        "flash-sale",
        "-d",
        "3h",
        "--intervals",
        "30s",
        "--max-latency",
        "1h",
        "--max-processed-latency",
        "1s",
    ]);
    let (advice, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{advice}");
    assert!(advice.contains("relax --max-processed-latency to that"), "{advice}");
    assert!(!advice.contains("relax the target to"), "{advice}");
}
