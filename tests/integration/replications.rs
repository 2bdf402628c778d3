//! Replicated runs (`--replications N`): one replication is today's run, byte for byte; the
//! result does not depend on the worker count; the 95% intervals cover a closed form about 95%
//! of the time; every renderer shows the intervals.

use std::path::Path;

use hookbench::engine::sim::{self, Plan};
use hookbench::render::{self, Format};
use hookbench::result::report::Report;
use hookbench::strategy::{Spec, StrategyKind};
use hookbench::support::units::SECOND;
use serde_json::Value;

use crate::util::{hookbench, scenario, text};

/// A report's JSON without its wall time (the only field that differs between identical runs).
fn json(report: &Report) -> Value {
    let mut v: Value = serde_json::from_str(&render::render(report, Format::Json)).expect("JSON");
    v["wall_time_s"] = Value::Null;
    v
}

fn small() -> hookbench::scenario::Scenario {
    scenario(
        r#"
        name = "small"
        duration = "20m"
        seed = 7
        [events]
        rate = "600/h"
        resources = 50
        "#,
    )
}

fn specs(s: &hookbench::scenario::Scenario) -> Vec<Spec> {
    Spec::expand(&StrategyKind::ALL, &[30 * SECOND], s.strategies.reconcile_interval)
}

#[test]
fn one_replication_is_the_single_run() {
    let s = small();
    let specs = specs(&s);
    let single = sim::run(&s, &specs).unwrap();
    let one = sim::run_plan(&s, &specs, Plan { replications: 1, jobs: 1, progress: false }).unwrap();
    assert_eq!(json(&single), json(&one));
    let v = json(&one);
    assert!(v.get("replications").is_none());
    assert!(v["strategies"].as_array().unwrap().iter().all(|r| r.get("ci95").is_none()));
    let csv = render::render(&one, Format::Csv);
    assert!(!csv.contains("_ci95"));
    assert!(!render::render(&one, Format::Table).contains('±'));
}

#[test]
fn results_do_not_depend_on_the_worker_count() {
    let s = small();
    let specs = specs(&s);
    let plan = |jobs| Plan { replications: 4, jobs, progress: false };
    let a = json(&sim::run_plan(&s, &specs, plan(1)).unwrap());
    let b = json(&sim::run_plan(&s, &specs, plan(2)).unwrap());
    let c = json(&sim::run_plan(&s, &specs, plan(5)).unwrap());
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(a["replications"]["count"], 4);
    assert_eq!(a["replications"]["base_seed"], 7);
    // The rows of a single run with 1 and 2 workers, too.
    let one = json(&sim::run_plan(&s, &specs, Plan { replications: 1, jobs: 1, progress: false }).unwrap());
    let two = json(&sim::run_plan(&s, &specs, Plan { replications: 1, jobs: 2, progress: false }).unwrap());
    assert_eq!(one, two);
    // And from the command line.
    let cli = |jobs: &str| {
        let out =
            hookbench(&["compare", "--duration", "1h", "--replications", "3", "--jobs", jobs, "-f", "json"]);
        assert!(out.status.success());
        let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["wall_time_s"] = Value::Null;
        v
    };
    assert_eq!(cli("1"), cli("2"));
}

#[test]
fn the_mean_is_the_mean_of_the_replications() {
    // Replication i of base seed 7 is a single run with seed `replication::seed(7, i)`.
    let s = small();
    let specs = Spec::expand(&[StrategyKind::Poll], &[30 * SECOND], s.strategies.reconcile_interval);
    let n = 3;
    let rep = sim::run_plan(&s, &specs, Plan { replications: n, jobs: 2, progress: false }).unwrap();
    let means: Vec<f64> = (0..n)
        .map(|i| {
            let mut one = s.clone();
            one.seed = hookbench::result::replication::seed(7, i);
            sim::run(&one, &specs).unwrap().strategies[0].latency_ms.mean.unwrap()
        })
        .collect();
    let want = means.iter().sum::<f64>() / f64::from(n);
    let got = rep.strategies[0].latency_ms.mean.unwrap();
    assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
    let sum = hookbench::result::stats::summarize(&means).unwrap();
    let ci = rep.strategies[0].ci95_of("latency_ms.mean").unwrap();
    assert!((ci - sum.ci95.unwrap()).abs() < 1e-9 * ci);
}

/// poll@T with a constant round trip and pages big enough for everything: the mean detection
/// latency is exactly T/2 + rtt in expectation. 400 replicated runs of 10 replications each;
/// the 95% interval must cover the closed form in 90–99% of them.
#[test]
fn intervals_cover_the_closed_form() {
    let base = scenario(
        r#"
        name = "coverage"
        duration = "2m"
        drain = "10s"
        [events]
        rate = "3600/h"
        resources = 1000
        [api]
        rtt = "100ms"
        page_size = 10000
        "#,
    );
    let specs = Spec::expand(&[StrategyKind::Poll], &[2 * SECOND], base.strategies.reconcile_interval);
    let closed_ms = 2_000.0 / 2.0 + 100.0;
    let runs = 400u64;
    let mut covered = 0;
    for seed in 1..=runs {
        let mut s = base.clone();
        s.seed = seed;
        let r = sim::run_plan(&s, &specs, Plan { replications: 10, jobs: 2, progress: false }).unwrap();
        let row = &r.strategies[0];
        let (mean, hw) = (row.latency_ms.mean.unwrap(), row.ci95_of("latency_ms.mean").unwrap());
        if (mean - closed_ms).abs() <= hw {
            covered += 1;
        }
    }
    let share = covered as f64 / runs as f64;
    assert!(
        (0.90..=0.99).contains(&share),
        "the 95% interval covered the closed form in {covered} of {runs}"
    );
}

#[test]
fn the_command_line_shows_intervals_in_every_format() {
    let args = ["compare", "--duration", "30m", "--replications", "3", "--strategies", "poll,webhook"];
    let out = hookbench(&args);
    assert!(out.status.success());
    let (table, _) = text(&out);
    assert!(table.contains("3 replications, mean ±95% CI"), "{table}");
    assert!(table.lines().any(|l| l.starts_with("poll@30s") && l.contains('±')), "{table}");

    let out = hookbench(&[&args[..], &["--format", "json"]].concat());
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["replications"]["count"], 3);
    assert_eq!(v["replications"]["base_seed"], 42);
    for r in v["strategies"].as_array().unwrap() {
        assert!(r["ci95"]["latency_ms.p99"].as_f64().unwrap() >= 0.0);
    }
    let schema_text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let out = hookbench(&[&args[..], &["--format", "csv"]].concat());
    let (csv, _) = text(&out);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "latency_p99_ms_ci95").expect("a _ci95 column");
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), header.len());
        assert!(cells[col].parse::<f64>().is_ok(), "{line}");
    }

    let out = hookbench(&[&args[..], &["--format", "markdown"]].concat());
    assert!(text(&out).0.contains('±'));
}

#[test]
fn bad_replication_counts_are_refused() {
    for (args, want) in [
        (&["compare", "--replications", "0"][..], "--replications 0"),
        (&["compare", "--engine", "live", "--replications", "3"][..], "sim engine only"),
        (&["compare", "--jobs", "0"][..], "--jobs 0"),
    ] {
        let out = hookbench(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out).1.contains(want), "{args:?}: {}", text(&out).1);
    }
}

/// Runs `compare` on a small payments run with `extra` flags into `path` as JSON.
fn compare_json(path: &Path, extra: &[&str]) {
    let path = path.to_str().unwrap();
    let base = ["compare", "--duration", "2h", "--strategies", "poll,webhook,hybrid-reconcile"];
    let out = hookbench(&[&base[..], extra, &["--format", "json", "--output", path, "--quiet"]].concat());
    assert!(out.status.success(), "{}", text(&out).1);
}

#[test]
fn check_compares_replicated_runs_with_welchs_test() {
    let dir = crate::util::temp_dir("check-replicated");
    let (a, b, slower) = (dir.join("a.json"), dir.join("b.json"), dir.join("slower.json"));
    compare_json(&a, &["--replications", "10", "--seed", "1"]);
    compare_json(&b, &["--replications", "10", "--seed", "2"]);
    let check = |result: &Path| {
        hookbench(&[
            "check",
            result.to_str().unwrap(),
            "--baseline",
            a.to_str().unwrap(),
            "--tolerance",
            "1%",
        ])
    };

    // Two samples of one scenario: comparable, and no regression even at 1%.
    let out = check(&b);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("no regressions beyond 1.0% and significant at the 5% level (Welch's t-test, 10 vs 10 replications"),
        "{stdout}"
    );

    // Every replication's poll latency 10% higher: the mean and each quantile ×1.1, and so
    // their half-widths.
    let mut v: Value = serde_json::from_slice(&std::fs::read(&b).unwrap()).unwrap();
    for row in v["strategies"].as_array_mut().unwrap() {
        if row["name"] != "poll" {
            continue;
        }
        for k in ["mean", "p50", "p90", "p99", "p999", "max"] {
            let x = row["ready_ms"][k].as_f64().unwrap();
            row["ready_ms"][k] = Value::from(x * 1.1);
            let path = format!("ready_ms.{k}");
            let hw = row["ci95"][&path].as_f64().unwrap();
            row["ci95"][&path] = Value::from(hw * 1.1);
        }
    }
    std::fs::write(&slower, serde_json::to_string(&v).unwrap()).unwrap();
    let out = check(&slower);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let regressions: Vec<&str> = stdout.lines().filter(|l| l.contains("REGRESSION")).collect();
    assert!(!regressions.is_empty(), "{stdout}");
    assert!(stdout.contains("significant at the 5% level"), "{stdout}");
    // Only the poll row regressed: the table names a row once per group, so every regression
    // line comes before the next row's first line.
    let webhook_at = stdout.find("\nwebhook").expect("the webhook row");
    assert!(stdout.rfind("REGRESSION").unwrap() < webhook_at, "{stdout}");
    assert!(stdout.lines().any(|l| l.contains(" mean ") && l.contains("REGRESSION")), "{stdout}");

    // Single runs with other seeds are still refused; a single run against a replicated one too.
    let (c, d) = (dir.join("c.json"), dir.join("d.json"));
    compare_json(&c, &["--seed", "1"]);
    compare_json(&d, &["--seed", "2"]);
    let out = hookbench(&["check", d.to_str().unwrap(), "--baseline", c.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("scenario.seed: 2 vs 1"), "{}", text(&out).1);
    let out = hookbench(&["check", c.to_str().unwrap(), "--baseline", a.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("the result is a single run and the baseline 10 replications"));
}

#[test]
fn advise_judges_a_replicated_row_by_its_upper_bound() {
    use hookbench::result::advice::{advise, Fail};
    use hookbench::result::measure::Measure;
    let s = small();
    let specs = Spec::expand(&[StrategyKind::Poll], &[30 * SECOND], s.strategies.reconcile_interval);
    let report = sim::run_plan(&s, &specs, Plan { replications: 5, jobs: 2, progress: false }).unwrap();
    let row = &report.strategies[0];
    let (mean, hw) = (row.latency_ms.mean.unwrap(), row.ci95_of("latency_ms.mean").unwrap());
    assert!(hw > 0.0);
    // A target between the mean and the upper bound: the mean would pass, the bound does not.
    let a = advise(&report, Measure::Mean, mean + hw / 2.0, None);
    assert_eq!(a.pick, None);
    assert_eq!(a.verdicts[0].fails, Some(Fail::TooSlow));
    assert_eq!(a.verdicts[0].judged_ms(), Some(mean + hw));
    let a = advise(&report, Measure::Mean, mean + hw * 1.01, None);
    assert_eq!(a.pick, Some(0));

    let out = hookbench(&[
        "advise",
        "--max-latency",
        "20s",
        "--duration",
        "1h",
        "--intervals",
        "15s,1m",
        "--strategies",
        "poll",
        "--replications",
        "3",
    ]);
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("Judged by the upper bound of each 95% interval over 3 replications"),
        "{stdout}"
    );
    let out = hookbench(&[
        "sweep",
        "--duration",
        "1h",
        "--intervals",
        "15s,1m",
        "--strategies",
        "poll,webhook",
        "--replications",
        "3",
        "--no-chart",
    ]);
    assert!(out.status.success());
    assert!(text(&out).0.contains("3 replications, mean ±95% CI"), "{}", text(&out).0);
}

#[test]
fn a_run_estimated_too_long_is_refused_unless_allowed() {
    let dir = crate::util::temp_dir("long-run");
    let file = dir.join("big.toml");
    std::fs::write(
        &file,
        "name = \"big\"\nduration = \"30d\"\n[events]\nrate = \"1/s\"\nresources = 100000\n[strategies]\nlist = [\"poll-state\"]\nintervals = [\"1s\"]\n",
    )
    .unwrap();
    let out = hookbench(&["compare", "--scenario", file.to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("would take about") && stderr.contains("--allow-long-run"), "{stderr}");
    assert!(stderr.contains("poll-state@1s"), "{stderr}");
}

/// A replicated table fits in 120 columns: latency and events in one table, costs in a second,
/// every interval as a share of its mean (the unit said once, under the table).
#[test]
fn a_replicated_table_fits_in_120_columns_with_every_interval() {
    let out = crate::util::hookbench(&["compare", "--replications", "5", "-d", "6h", "--jobs", "2"]);
    let (table, err) = crate::util::text(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let body = table.split("\n\nverdict").next().unwrap();
    for line in body.lines().skip(2) {
        assert!(line.chars().count() <= 120, "{} columns: {line}", line.chars().count());
    }
    assert!(body.contains("\ncost ") && body.contains("calls/day"), "{table}");
    // Latency and cost cells carry their interval: the webhook row's p99 and its bytes/day.
    let webhook: Vec<&str> = body.lines().filter(|l| l.starts_with("webhook ")).collect();
    assert_eq!(webhook.len(), 2, "{body}");
    assert!(webhook[0].matches('%').count() >= 4, "{}", webhook[0]);
    assert!(webhook[1].contains("MiB ±"), "{}", webhook[1]);
    assert!(
        table.contains("±: the 95% confidence half-width over 5 replications, as a share of the mean"),
        "{table}"
    );
}

/// A threshold on a replicated run judges the pessimistic bound of the interval, and says so.
#[test]
fn thresholds_on_a_replicated_run_judge_the_pessimistic_bound() {
    let args = ["compare", "--replications", "5", "-d", "6h", "--jobs", "2", "--strategies", "webhook"];
    let out = crate::util::hookbench(&[&args[..], &["--format", "json"]].concat());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = &v["strategies"][0];
    let (mean, hw) =
        (row["ready_ms"]["p99"].as_f64().unwrap(), row["ci95"]["ready_ms.p99"].as_f64().unwrap());
    assert!(hw > 0.0);
    // Between the mean and the upper bound: the mean meets it, the interval does not.
    let between = format!("webhook.p99<{}ms", (mean + hw / 2.0).round());
    let out = crate::util::hookbench(&[&args[..], &["-q", "--threshold", &between]].concat());
    let (_, err) = crate::util::text(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("pessimistic bound of its 95% interval"), "{err}");
    let above = format!("webhook.p99<{}ms", (mean + hw * 1.01).ceil());
    let out = crate::util::hookbench(&[&args[..], &["-q", "--threshold", &above]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", crate::util::text(&out).1);
}
