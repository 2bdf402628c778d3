//! Issue 10, "numbers that never lie": every figure printed is one the run measured. Percentiles
//! never exceed the maximum, a row with events in flight says so in the row, bare tolerances and
//! overflowing inputs are refused, a closed stdout is an error, and "not applicable" is never 0.

use proptest::prelude::*;

use hookbench::render::{self, Format};
use hookbench::result::report::Report;
use hookbench::scenario::Scenario;
use hookbench::strategy::{Spec, StrategyKind};

use crate::bad_input::one_sentence;
use crate::util::{hookbench, temp_dir, text};

/// The latency figures of every row in every machine-readable format, in ms:
/// (label, mean, [p50, p90, p99, p999], max).
type Figures = (String, f64, Vec<f64>, f64);

fn figures(report: &Report) -> Vec<(&'static str, Figures)> {
    let mut out = Vec::new();
    for r in &report.strategies {
        let l = &r.latency_ms;
        if let (Some(mean), Some(max)) = (l.mean, l.max) {
            let qs = [l.p50, l.p90, l.p99, l.p999].iter().map(|v| v.unwrap_or(f64::NAN)).collect();
            out.push(("report", (r.label.clone(), mean, qs, max)));
        }
    }
    let json: serde_json::Value = serde_json::from_str(&render::render(report, Format::Json)).unwrap();
    for r in json["strategies"].as_array().unwrap() {
        let l = &r["latency_ms"];
        if let (Some(mean), Some(max)) = (l["mean"].as_f64(), l["max"].as_f64()) {
            let qs =
                ["p50", "p90", "p99", "p999"].iter().map(|k| l[k].as_f64().unwrap_or(f64::NAN)).collect();
            out.push(("json", (r["label"].as_str().unwrap().to_string(), mean, qs, max)));
        }
    }
    let csv = render::render(report, Format::Csv);
    let mut rd = csv::Reader::from_reader(csv.as_bytes());
    let header = rd.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for rec in rd.records() {
        let rec = rec.unwrap();
        let f = |name: &str| rec[col(name)].parse::<f64>().ok();
        if let (Some(mean), Some(max)) = (f("latency_mean_ms"), f("latency_max_ms")) {
            let qs = ["latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "latency_p999_ms"]
                .iter()
                .map(|k| f(k).unwrap_or(f64::NAN))
                .collect();
            out.push(("csv", (rec[col("label")].to_string(), mean, qs, max)));
        }
    }
    let bmf: serde_json::Value = serde_json::from_str(&render::render(report, Format::Bmf)).unwrap();
    for (label, m) in bmf.as_object().unwrap() {
        if let (Some(mean), Some(max)) = (m["latency"]["value"].as_f64(), m["latency_max"]["value"].as_f64())
        {
            let qs = ["latency_p50", "latency_p90", "latency_p99"]
                .iter()
                .map(|k| m[k]["value"].as_f64().unwrap_or(f64::NAN))
                .collect();
            out.push(("bmf", (label.clone(), mean, qs, max)));
        }
    }
    out
}

fn assert_ordered(report: &Report) -> Result<(), String> {
    for (format, (label, mean, qs, max)) in figures(report) {
        let mut prev = f64::NEG_INFINITY;
        for q in &qs {
            if q.is_nan() || prev > *q {
                return Err(format!("{format} {label}: quantiles out of order {qs:?}"));
            }
            prev = *q;
        }
        if max.is_nan() || prev > max {
            return Err(format!("{format} {label}: a percentile {prev} exceeds the max {max}"));
        }
        if mean.is_nan() || mean > max {
            return Err(format!("{format} {label}: the mean {mean} exceeds the max {max}"));
        }
    }
    Ok(())
}

fn run(s: &Scenario) -> Report {
    let specs = Spec::expand(&StrategyKind::ALL, &s.strategies.intervals, s.strategies.reconcile_interval);
    hookbench::engine::sim::run(s, &specs).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn no_percentile_exceeds_the_max_in_the_issue_runs() {
    // `compare -d 1m`: every row's p99 and p99.9 used to be the bucket's upper edge, above max.
    for (duration, interval) in [("1m", "30s"), ("1h", "10s")] {
        let out = hookbench(&["compare", "-d", duration, "--interval", interval, "--format", "json"]);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        for r in json["strategies"].as_array().unwrap() {
            let l = &r["latency_ms"];
            let Some(max) = l["max"].as_f64() else { continue };
            for k in ["p50", "p90", "p99", "p999"] {
                let q = l[k].as_f64().unwrap();
                assert!(q <= max, "-d {duration}: {} {k} {q} > max {max}", r["label"]);
            }
        }
    }
}

fn small_scenario() -> impl Strategy<Value = String> {
    (1u32..3000, 1u32..60, 1u32..30, prop::option::of(10u32..2000), 1u32..300, 0.0f64..0.3, 0u64..1_000_000).prop_map(
        |(rate, resources, minutes, quota, interval, failure, seed)| {
            let mut t = format!(
                "name = \"prop\"\nduration = \"{minutes}m\"\nseed = {seed}\n\
                 [events]\nrate = \"{rate}/h\"\nresources = {resources}\n[api]\n"
            );
            if let Some(q) = quota {
                t.push_str(&format!("rate_limit = \"{q}/h\"\n"));
            }
            t.push_str(&format!(
                "[receiver]\nfailure_rate = {failure}\n[strategies]\nintervals = [\"{interval}s\"]\nreconcile_interval = \"2m\"\n"
            ));
            t
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, .. ProptestConfig::default() })]

    #[test]
    fn percentiles_are_ordered_and_within_the_max_in_every_format(toml in small_scenario()) {
        let s = Scenario::from_toml(&toml, "prop").map_err(|e| TestCaseError::fail(format!("{e}\n{toml}")))?;
        let report = run(&s);
        assert_ordered(&report).map_err(|e| TestCaseError::fail(format!("{e}\n{toml}")))?;
    }
}

#[test]
fn check_refuses_a_bare_tolerance_of_one_or_more() {
    let dir = temp_dir("tolerance");
    let result = dir.join("r.json");
    let out = hookbench(&["compare", "-d", "1h", "--quiet", "--output", result.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out).1);
    let r = result.to_str().unwrap();
    // `5` would have meant 500%: refused, naming `5%`.
    one_sentence(&["check", r, "--baseline", r, "--tolerance", "5"], &["`5`", "500%", "`5%`"]);
    one_sentence(&["check", r, "--baseline", r, "--tolerance", "1"], &["`1%`"]);
    for ok in ["5%", "0.05", "0"] {
        let out = hookbench(&["check", r, "--baseline", r, "--tolerance", ok]);
        assert_eq!(out.status.code(), Some(0), "--tolerance {ok}: {}", text(&out).1);
    }
    // `check` offers only the formats it prints.
    let (help, _) = text(&hookbench(&["check", "--help"]));
    assert!(help.contains("markdown") && !help.contains("bmf") && !help.contains("csv"), "{help}");
}

/// Runs the binary through `sh` with standard output closed (`>&-`).
fn with_stdout_closed(args: &str) -> std::process::Output {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("\"{}\" {args} >&-", env!("CARGO_BIN_EXE_hookbench")))
        .output()
        .expect("sh runs")
}

#[test]
fn a_closed_stdout_is_an_error_not_a_silent_success() {
    let out = with_stdout_closed("compare -d 1h");
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("standard output is closed"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    // `sign` has no --output: the sentence does not tell it to use one as if it had.
    let body = temp_dir("closed-stdout-sign").join("b.json");
    std::fs::write(&body, "{}").unwrap();
    let out = with_stdout_closed(&format!(
        "sign --secret whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD --body '{}'",
        body.display()
    ));
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("--output"), "{stderr}");

    // With --output the result is safe in the file: it is written and the run succeeds.
    let dir = temp_dir("closed-stdout");
    let file = dir.join("r.json");
    let out = with_stdout_closed(&format!("compare -d 1h --output '{}'", file.display()));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("\"schema\": 2") && !written.contains("strategy  "), "{written}");

    // A closed pipe is still quiet and not an error.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("\"{}\" compare -d 1h | head -c 1 >/dev/null", env!("CARGO_BIN_EXE_hookbench")))
        .output()
        .unwrap();
    assert!(out.status.success() && text(&out).1.is_empty(), "{}", text(&out).1);
}

#[test]
fn sweep_refuses_a_chart_folder_that_does_not_exist_before_sweeping() {
    let started = std::time::Instant::now();
    one_sentence(
        &["sweep", "--chart", "/nonexistent-hookbench-dir/x.svg"],
        &["/nonexistent-hookbench-dir", "does not exist"],
    );
    // Checked first: far quicker than the sweep itself.
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn overflowing_times_and_weights_are_refused_not_turned_into_zero_events() {
    let dir = temp_dir("overflow");
    let write = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_string()
    };
    write("huge.csv", "timestamp\n1\n1e300\n");
    let huge_toml = write("huge.toml", "name = \"x\"\n[events]\ntrace = \"huge.csv\"\n");
    one_sentence(&["compare", "--scenario", &huge_toml], &["`1e300`", "366d"]);
    write("long.csv", "timestamp\n2024-01-01T00:00:00Z\n9999-01-01T00:00:00Z\n");
    let long_toml = write("long.toml", "name = \"x\"\n[events]\ntrace = \"long.csv\"\n");
    one_sentence(&["compare", "--scenario", &long_toml], &["line 3", "366d"]);
    let daily = write(
        "daily.toml",
        &format!("name = \"x\"\n[events]\nrate = \"1/s\"\ndaily = [{}]\n", ["1e308"; 24].join(", ")),
    );
    one_sentence(&["compare", "--scenario", &daily], &["events.daily", "1e308"]);
    // Within bounds, the same shapes run and count their events.
    write("fine.csv", "timestamp\n1\n2\n");
    let fine_toml = write("fine.toml", "name = \"x\"\n[events]\ntrace = \"fine.csv\"\n");
    let out = hookbench(&["compare", "--scenario", &fine_toml, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&text(&out).0).unwrap();
    assert_eq!(json["run"]["events"], 2);
}

/// Webhooks whose receiver goes down 10 minutes before the end, retried for days: a fifth of the
/// events are still in flight when the run stops.
const LATE: &str = "name = \"late\"\nduration = \"1h\"\ndrain = \"10m\"\n[events]\nrate = \"120/h\"\n\
    [webhook]\nretry = \"svix\"\n[receiver]\noutages = [{ at = \"50m\", duration = \"3h\" }]\n";

#[test]
fn a_row_with_events_in_flight_says_so_in_the_row() {
    let dir = temp_dir("in-flight");
    let file = dir.join("late.toml");
    std::fs::write(&file, LATE).unwrap();
    let f = file.to_str().unwrap();
    let out = hookbench(&["compare", "--scenario", f, "--strategies", "webhook,poll"]);
    let (table, _) = text(&out);
    let row = table.lines().find(|l| l.starts_with("webhook")).unwrap();
    // The row itself is marked and its missed cell carries the in-flight count.
    assert!(row.starts_with("webhook *") && row.contains(" 0 +20 "), "{table}");
    assert!(table.contains("* webhook: 20 of 111 events (18%) still in flight"), "{table}");
    assert!(table.contains("latencies cover only the 82% it detected"), "{table}");
    assert!(table.lines().all(|l| l.chars().count() <= 120), "{table}");
    let poll = table.lines().find(|l| l.starts_with("poll@30s")).unwrap();
    assert!(!poll.contains('*') && !poll.contains('+'), "{poll}");

    // `ROW.in_flight` gates a run.
    let out = hookbench(&[
        "compare",
        "--scenario",
        f,
        "--strategies",
        "webhook",
        "--threshold",
        "webhook.in_flight==0",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("webhook.in_flight==0  webhook  20"), "{}", text(&out).1);
    let out = hookbench(&[
        "compare",
        "--scenario",
        f,
        "--strategies",
        "webhook",
        "--threshold",
        "webhook.in_flight<=20",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);

    // `advise` never picks it, however fast its detected share was.
    let out = hookbench(&["advise", "--scenario", f, "--strategies", "webhook", "--max-latency", "1h"]);
    let (advice, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{advice}");
    assert!(advice.contains("20 events still in flight at the end"), "{advice}");
}

#[test]
fn help_and_man_page_name_every_strategy_and_subcommand() {
    let (top, _) = text(&hookbench(&["--help"]));
    let (compare, _) = text(&hookbench(&["compare", "--help"]));
    let (sweep, _) = text(&hookbench(&["sweep", "--help"]));
    let man = text(&hookbench(&["man"])).0.replace("\\-", "-");
    for name in hookbench::strategy::StrategyKind::ALL.iter().map(|k| k.name()) {
        for (what, help) in
            [("--help", &top), ("compare --help", &compare), ("sweep --help", &sweep), ("man", &man)]
        {
            assert!(help.contains(name), "{what} does not name {name}:\n{help}");
        }
    }
    assert!(top.lines().any(|l| l.trim_start().starts_with("man ")), "--help lists man:\n{top}");
}
