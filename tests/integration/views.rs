//! The architects' and CI's views: every renderer snapshotted on a fixed report, each format
//! loaded with the tool its users would use, thresholds, `check`, the sweep chart, `advise`
//! against the closed form, completions and the man page.

use std::path::Path;

use hookbench::cli::Format;
use hookbench::render;
use hookbench::result::report::Report;
use hookbench::strategy::StrategyKind;
use hookbench::support::units::SECOND;
use serde_json::Value;

use crate::util::{hookbench, run, scenario, temp_dir, text};

/// A fixed report: the bundled default scenario, 2 h, two intervals, wall time blanked.
fn fixed_report() -> Report {
    let mut s = hookbench::scenario::Scenario::bundled("payments").expect("bundled").expect("valid");
    s.duration = 2 * 3600 * SECOND;
    s.events.bursts.clear();
    let mut r = run(&s, StrategyKind::DEFAULT, &[30 * SECOND, 300 * SECOND]);
    r.wall_time_s = 0.0;
    r.verdict = Some(hookbench::result::advice::verdict_of(&r));
    r
}

#[test]
fn every_renderer_snapshot() {
    let r = fixed_report();
    insta::assert_snapshot!("table", render::render(&r, Format::Table));
    // The rows' timelines would be most of the JSON snapshot; `timeline.rs` checks them.
    let mut untimed = r.clone();
    for row in &mut untimed.strategies {
        row.timeline = None;
        row.ready_cdf = None;
    }
    insta::assert_snapshot!("json", render::render(&untimed, Format::Json));
    insta::assert_snapshot!("csv", render::render(&r, Format::Csv));
    insta::assert_snapshot!("markdown", render::render(&r, Format::Markdown));
    insta::assert_snapshot!("bmf", render::render(&r, Format::Bmf));
}

#[test]
fn csv_loads_with_the_csv_crate_and_a_stable_header() {
    let r = fixed_report();
    let text = render::render(&r, Format::Csv);
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rd.headers().expect("header").iter().map(String::from).collect();
    assert_eq!(header, hookbench::render::csv::HEADER);
    assert_eq!(
        &header[..8],
        [
            "scenario",
            "seed",
            "engine",
            "label",
            "strategy",
            "interval_s",
            "effective_interval_s",
            "latency_mean_ms"
        ]
    );
    let rows: Vec<csv::StringRecord> = rd.records().collect::<Result<_, _>>().expect("records");
    assert_eq!(rows.len(), r.strategies.len());
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    for (rec, row) in rows.iter().zip(&r.strategies) {
        assert_eq!(&rec[col("label")], row.label);
        let rpd: Option<f64> = rec[col("requests_per_day")].parse().ok();
        assert_eq!(rpd, row.per_day.requests);
        let p99 = &rec[col("latency_p99_ms")];
        assert_eq!(p99.parse::<f64>().ok(), row.latency_ms.p99);
    }
}

fn schema_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.json"))
        .expect("schema.json");
    let schema: Value = serde_json::from_str(&text).expect("schema.json is JSON");
    jsonschema::validator_for(&schema).expect("schema.json is a valid JSON Schema")
}

fn assert_valid(v: &jsonschema::Validator, instance: &Value) {
    let errors: Vec<String> =
        v.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    assert!(errors.is_empty(), "schema violations: {errors:#?}");
}

#[test]
fn json_output_validates_against_schema_json() {
    let v = schema_validator();
    let fixed: Value = serde_json::from_str(&render::render(&fixed_report(), Format::Json)).expect("JSON");
    assert_valid(&v, &fixed);
    for args in [
        &["compare", "--duration", "2h", "--format", "json"][..],
        &[
            "compare",
            "--scenario",
            "receiver-outage",
            "--duration",
            "2h",
            "--interval",
            "1m,5m",
            "-f",
            "json",
        ][..],
        &["sweep", "--duration", "1h", "--intervals", "30s..5m", "--no-chart", "-f", "json"][..],
        &["compare", "--scenario", "flash-sale", "--duration", "3h", "-f", "json"][..],
        &[
            "compare",
            "--engine",
            "live",
            "--speedup",
            "3000",
            "--duration",
            "5m",
            "--strategies",
            "poll,webhook",
            "-f",
            "json",
        ][..],
        &["compare", "--duration", "1h", "--strategies", "long-poll,sse,poll-adaptive", "-f", "json"][..],
        &["compare", "--scenario", "examples/scenarios/trace.toml", "-f", "json"][..],
    ] {
        let out = hookbench(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out).1);
        let value: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_valid(&v, &value);
    }
    // And the schema is not vacuous: a broken result fails it.
    let mut broken = fixed.clone();
    broken["strategies"][0]["events"]["missed"] = Value::from(-1);
    assert!(!v.is_valid(&broken));
}

/// Issue 10, item 14: a figure that does not apply (requests of `webhook`, webhook counts of a
/// poller, quota use without a quota) is `null` in the JSON, an empty CSV cell and absent from
/// BMF, as the table shows `—` — never `0`.
#[test]
fn not_applicable_is_null_not_zero() {
    let r = fixed_report();
    let json: Value = serde_json::from_str(&render::render(&r, Format::Json)).expect("JSON");
    let row = |label: &str| {
        json["strategies"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|s| s["label"] == label)
            .expect(label)
            .clone()
    };
    let (poll, webhook, hybrid) = (row("poll@30s"), row("webhook"), row("hybrid"));
    for field in ["total", "wasted", "not_modified", "throttled"] {
        assert!(webhook["requests"][field].is_null(), "webhook requests.{field}");
        assert!(poll["requests"][field].is_u64() && hybrid["requests"][field].is_u64(), "{field}");
    }
    for field in ["attempts", "delivered", "failed", "retried", "dead_lettered"] {
        assert!(poll["webhooks"][field].is_null(), "poll webhooks.{field}");
        assert!(webhook["webhooks"][field].is_u64() && hybrid["webhooks"][field].is_u64(), "{field}");
    }
    assert!(webhook["per_day"]["requests"].is_null() && poll["per_day"]["webhook_attempts"].is_null());
    assert!(webhook["rate_limit"]["peak_use"].is_null() && poll["rate_limit"]["peak_use"].is_number());
    // The schema says so too: a 0 where null belongs is invalid.
    let v = schema_validator();
    assert_valid(&v, &json);
    let mut zero = json.clone();
    let i = zero["strategies"]
        .as_array()
        .expect("rows")
        .iter()
        .position(|s| s["name"] == "webhook")
        .expect("webhook");
    zero["strategies"][i]["requests"]["total"] = Value::from(0);
    assert!(!v.is_valid(&zero), "webhook requests.total 0 must not validate");

    // CSV: empty cells; BMF: the measure is left out.
    let csv = render::render(&r, Format::Csv);
    let mut rd = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = rd.headers().expect("header").iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    for rec in rd.records() {
        let rec = rec.expect("record");
        let cell = |name: &str| rec[col(name)].to_string();
        match &rec[col("label")] {
            "webhook" => {
                for c in ["requests", "requests_wasted", "requests_per_day", "quota_peak_use_ratio"] {
                    assert_eq!(cell(c), "", "webhook {c}");
                }
                assert_ne!(cell("webhook_attempts"), "");
            }
            "poll@30s" => {
                for c in ["webhook_attempts", "webhook_dead_lettered", "webhook_attempts_per_day"] {
                    assert_eq!(cell(c), "", "poll {c}");
                }
                assert_ne!(cell("requests"), "");
            }
            _ => {}
        }
    }
    let bmf: Value = serde_json::from_str(&render::render(&r, Format::Bmf)).expect("JSON");
    assert!(
        bmf["webhook"].get("requests_per_day").is_none() && bmf["webhook"].get("peak_quota_use").is_none()
    );
    assert!(bmf["poll@30s"].get("webhook_attempts_per_day").is_none());
    assert!(bmf["hybrid"]["requests_per_day"]["value"].is_number());

    // No quota: no peak use for anyone.
    let file = temp_dir("views-na").join("free.toml");
    std::fs::write(&file, "name = \"free\"\nduration = \"1h\"\n[events]\nrate = \"60/h\"\n").expect("write");
    let out = hookbench(&["compare", "-f", "json", "--scenario", file.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out).1);
    let free: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(free["scenario"]["api"]["rate_limit"].is_null());
    for s in free["strategies"].as_array().expect("rows") {
        assert!(s["rate_limit"]["peak_use"].is_null(), "{}", s["label"]);
    }

    // A threshold on a figure that cannot exist is refused before the run.
    for (expr, why) in [
        ("webhook.requests_per_day<100", "makes no API requests"),
        ("poll.webhook_attempts==0", "takes no webhooks"),
    ] {
        let out = hookbench(&["compare", "-d", "1h", "--threshold", expr]);
        assert_eq!(out.status.code(), Some(2), "{expr}");
        assert!(text(&out).1.contains(why) && text(&out).0.is_empty(), "{}", text(&out).1);
    }
}

#[test]
fn bmf_is_keyed_by_row_label_with_value_measures() {
    let bmf: Value = serde_json::from_str(&render::render(&fixed_report(), Format::Bmf)).expect("JSON");
    let obj = bmf.as_object().expect("object");
    assert!(obj.contains_key("poll@30s") && obj.contains_key("webhook") && obj.contains_key("poll-state@5m"));
    for (bench, measures) in obj {
        for (m, v) in measures.as_object().expect("measures") {
            assert!(v["value"].is_number(), "{bench}.{m}");
        }
    }
    // Latency in nanoseconds, as Bencher's built-in Latency measure.
    let p99_ms = fixed_report().strategies[0].latency_ms.p99.expect("p99");
    assert_eq!(bmf["poll@30s"]["latency_p99"]["value"].as_f64(), Some(p99_ms * 1e6));
}

#[test]
fn output_extension_picks_the_format() {
    let dir = temp_dir("views-ext");
    for (name, check) in [("r.csv", "scenario,seed,"), ("r.md", "| strategy |"), ("r.json", "\"schema\": 2")]
    {
        let path = dir.join(name);
        let out = hookbench(&["compare", "-d", "1h", "-q", "-o", path.to_str().expect("utf-8")]);
        assert!(out.status.success(), "{}", text(&out).1);
        let written = std::fs::read_to_string(&path).expect("written");
        assert!(written.contains(check), "{name}: {written}");
    }
    let out = hookbench(&["compare", "-d", "1h", "-o", dir.join("r.bmf").to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("--format table|json|csv|markdown|bmf"));
}

#[test]
fn thresholds_gate_a_run() {
    let ok = hookbench(&[
        "compare",
        "-d",
        "2h",
        "--threshold",
        "poll@30s.requests_per_day<=3000",
        "--threshold",
        "hybrid-reconcile.missed==0",
        "--threshold",
        "poll.p50<1m",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok).1);

    let breach =
        hookbench(&["compare", "-d", "2h", "--threshold", "webhook.p99<1s", "--threshold", "poll.missed==0"]);
    let (stdout, stderr) = text(&breach);
    assert_eq!(breach.status.code(), Some(1), "{stderr}");
    assert!(stdout.contains("poll@30s"), "the result is still printed");
    assert!(
        stderr.contains("1 threshold breach")
            && stderr.contains("webhook.p99<1s")
            && stderr.contains("webhook"),
        "{stderr}"
    );

    let malformed = hookbench(&["compare", "-d", "2h", "--threshold", "webhook.p99~2s"]);
    assert_eq!(malformed.status.code(), Some(2));
    let stderr = text(&malformed).1;
    assert!(
        stderr.starts_with("error: --threshold `webhook.p99~2s`: no operator") && stderr.contains("expected"),
        "{stderr}"
    );

    let missing =
        hookbench(&["compare", "-d", "2h", "--strategies", "poll,webhook", "--threshold", "hybrid.p99<2s"]);
    assert_eq!(missing.status.code(), Some(2));
    let stderr = text(&missing).1;
    assert!(stderr.contains("no row hybrid") && stderr.contains("poll@30s, webhook"), "{stderr}");

    let sweep = hookbench(&[
        "sweep",
        "-d",
        "1h",
        "--intervals",
        "1m,5m",
        "--no-chart",
        "--threshold",
        "poll@5m.p99<1m",
    ]);
    assert_eq!(sweep.status.code(), Some(1), "{}", text(&sweep).1);
}

fn write_result(dir: &Path, name: &str, args: &[&str]) -> String {
    let path = dir.join(name);
    let p = path.to_str().expect("utf-8").to_string();
    let mut all = vec!["compare", "-d", "2h", "-q", "-f", "json", "-o", &p];
    all.extend_from_slice(args);
    let out = hookbench(&all);
    assert!(out.status.success(), "{}", text(&out).1);
    p
}

#[test]
fn check_passes_identical_fails_regressions_refuses_mismatches() {
    let dir = temp_dir("views-check");
    let base = write_result(&dir, "base.json", &[]);
    let again = write_result(&dir, "again.json", &[]);

    let same = hookbench(&["check", &again, "--baseline", &base]);
    let (stdout, stderr) = text(&same);
    assert_eq!(same.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("no regressions") && stdout.contains("poll@30s"), "{stdout}");

    // Seed a regression: poll@30s's p99 10% worse.
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&base).expect("read")).expect("JSON");
    let p99 = v["strategies"][0]["ready_ms"]["p99"].as_f64().expect("p99");
    v["strategies"][0]["ready_ms"]["p99"] = Value::from(p99 * 1.10);
    let worse = dir.join("worse.json");
    std::fs::write(&worse, serde_json::to_string_pretty(&v).expect("JSON")).expect("write");
    let worse = worse.to_str().expect("utf-8");
    let out = hookbench(&["check", worse, "--baseline", &base]);
    let stdout = text(&out).0;
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("REGRESSION") && stdout.contains("1 regression"), "{stdout}");
    // Within tolerance it passes; the improvement direction never fails.
    assert_eq!(hookbench(&["check", worse, "-b", &base, "--tolerance", "15%"]).status.code(), Some(0));
    assert_eq!(hookbench(&["check", &base, "-b", worse]).status.code(), Some(0));
    // Only the named metrics are compared.
    assert_eq!(hookbench(&["check", worse, "-b", &base, "--metric", "mean,missed"]).status.code(), Some(0));
    let md = hookbench(&["check", worse, "-b", &base, "-f", "markdown"]);
    assert!(text(&md).0.contains("| strategy | metric |"));

    // Refusals: another scenario, another version, another schema, not JSON.
    let other = write_result(&dir, "other.json", &["--seed", "7"]);
    let out = hookbench(&["check", &other, "-b", &base]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("scenarios differ") && text(&out).1.contains("seed"), "{}", text(&out).1);
    for (field, value, needle) in [
        ("hookbench_version", Value::from("0.0.1"), "made by hookbench"),
        ("schema", Value::from(1), "schema 1"),
    ] {
        let mut v: Value =
            serde_json::from_str(&std::fs::read_to_string(&base).expect("read")).expect("JSON");
        v[field] = value;
        let p = dir.join(format!("{field}.json"));
        std::fs::write(&p, v.to_string()).expect("write");
        let out = hookbench(&["check", p.to_str().expect("utf-8"), "-b", &base]);
        assert_eq!(out.status.code(), Some(2), "{field}");
        assert!(text(&out).1.contains(needle), "{}", text(&out).1);
    }
    let junk = dir.join("junk.json");
    std::fs::write(&junk, "{ not json").expect("write");
    let out = hookbench(&["check", junk.to_str().expect("utf-8"), "-b", &base]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.starts_with("error: the result") && text(&out).1.contains("not valid JSON"));
    let out = hookbench(&["check", dir.join("absent.json").to_str().expect("utf-8"), "-b", &base]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("cannot read the result"));
}

#[test]
fn sweep_chart_has_every_series() {
    let dir = temp_dir("views-chart");
    let chart = dir.join("sweep.svg");
    let out = hookbench(&[
        "sweep",
        "-d",
        "2h",
        "--intervals",
        "5s..5m",
        "--target",
        "5s",
        "--png",
        "--chart",
        chart.to_str().expect("utf-8"),
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("poll@5s") && stdout.contains("poll-state@5m") && stdout.contains("frontier"),
        "{stdout}"
    );
    let svg = std::fs::read_to_string(&chart).expect("chart written");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for kind in StrategyKind::DEFAULT {
        let name = kind.name();
        if kind.polls_at_interval() {
            for p in ["p50", "p99"] {
                assert!(svg.contains(&format!("data-series=\"{name} {p}\"")), "series {name} {p}");
            }
        } else {
            assert!(svg.contains(&format!("data-series=\"{name}\"")), "point {name}");
        }
        assert!(svg.contains(&format!(">{name}")), "legend entry {name}");
    }
    for extra in
        ["data-series=\"quota\"", "data-series=\"target\"", "HTTP requests per day", "detection latency"]
    {
        assert!(svg.contains(extra), "{extra}");
    }
    let png = std::fs::read(dir.join("sweep.png")).expect("png written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

/// The value of `name="…"` in `tag`, if any.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    tag[start..].split('"').next()
}

/// Issue 10, item 13: on the payments sweep poll-etag coincides with poll, ten poll-state points
/// pile up on the quota line, and webhook and hybrid-reconcile overlap. Every series must stay
/// distinguishable and no two rows' markers may share a place without one combined label.
#[test]
fn sweep_chart_shows_every_row() {
    let dir = temp_dir("views-chart-rows");
    let chart = dir.join("payments.svg");
    let out = hookbench(&["sweep", "--target", "5s", "-q", "--chart", chart.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out).1);
    let svg = std::fs::read_to_string(&chart).expect("chart written");
    let near = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).abs() < 2.0 && (a.1 - b.1).abs() < 2.0;
    let xy = |s: &str| {
        let (x, y) = s.split_once(',').expect("x,y");
        (x.parse::<f64>().expect("x"), y.parse::<f64>().expect("y"))
    };

    // Series: two lines on top of one another need different dashes and a legend that says so.
    // (series, points, dashes)
    let mut series = Vec::<(String, Vec<(f64, f64)>, String)>::new();
    for chunk in svg.split("<g class=\"series\" data-series=\"").skip(1) {
        let name = chunk.split('"').next().expect("name").to_string();
        let Some(line) = chunk.split('>').nth(1).filter(|t| t.starts_with("<polyline")) else { continue };
        let pts = attr(line, "points").expect("points").split(' ').map(xy).collect();
        series.push((name, pts, attr(line, "stroke-dasharray").unwrap_or("").to_string()));
    }
    assert_eq!(series.len(), 6, "poll, poll-etag and poll-state at p50 and p99");
    let mut coincident = 0;
    for (i, (a, pa, da)) in series.iter().enumerate() {
        for (b, pb, db) in &series[i + 1..] {
            if pa.len() == pb.len() && pa.iter().zip(pb).all(|(p, q)| near(*p, *q)) {
                coincident += 1;
                assert_ne!(da, db, "{a} and {b} coincide with the same dashes: one hides the other");
                let (ka, kb) = (a.split(' ').next().expect("kind"), b.split(' ').next().expect("kind"));
                assert!(svg.contains(&format!(">{kb} = {ka} (")), "the legend names {b} = {a}");
            }
        }
    }
    assert_eq!(coincident, 2, "poll-etag lies on poll at p50 and at p99 on this scenario");

    // Marks: no two rows' markers at one place; a merged marker names every row it stands for,
    // and a pile-up of intervals is labelled with its range.
    let marks: Vec<(Vec<&str>, (f64, f64), &str)> = svg
        .split("<g class=\"mark\"")
        .skip(1)
        .map(|m| {
            let tag = &m[..m.find('>').expect("tag end")];
            let rows = attr(tag, "data-rows").expect("data-rows").split(' ').collect();
            (rows, xy(attr(tag, "data-at").expect("data-at")), m.split("</g>").next().expect("mark"))
        })
        .collect();
    let labels: Vec<&str> = svg
        .split("<text class=\"label\"")
        .skip(1)
        .map(|t| t.split('>').nth(1).expect("text").trim_end_matches("</text"))
        .collect();
    for (i, (ra, a, _)) in marks.iter().enumerate() {
        for (rb, b, _) in &marks[i + 1..] {
            assert!(!(ra != rb && near(*a, *b)), "{ra:?} and {rb:?} are drawn at one place");
        }
    }
    for (rows, _, body) in marks.iter().filter(|m| m.0.len() > 1) {
        for r in rows {
            assert!(body.contains(r), "merged mark {rows:?} names {r} in its title");
        }
        let kinds: Vec<&str> = rows.iter().map(|r| r.split('@').next().expect("kind")).collect();
        if kinds.iter().all(|k| *k == kinds[0]) {
            let first = rows[0].split('@').nth(1).expect("interval");
            let last = rows[rows.len() - 1].split('@').nth(1).expect("interval");
            assert!(
                labels.iter().any(|l| l.contains(first) && l.contains(last)),
                "pile-up {rows:?} is labelled {first}…{last}: {labels:?}"
            );
        }
    }
    let drawn: Vec<&str> = marks.iter().flat_map(|m| m.0.iter().copied()).collect();
    for label in [
        "poll@1s",
        "poll-etag@10m",
        "poll-state@1s",
        "poll-state@15s",
        "poll-state@10m",
        "webhook",
        "hybrid",
        "hybrid-reconcile",
    ] {
        assert!(drawn.contains(&label), "{label} has a mark");
    }
}

#[test]
fn advise_picks_the_interval_the_closed_form_predicts() {
    // Poisson arrivals, fixed 100 ms round trip, no quota: mean latency = T/2 + rtt.
    let dir = temp_dir("views-advise");
    let file = dir.join("plain.toml");
    std::fs::write(
        &file,
        r#"
        name = "plain-poisson"
        duration = "2h"
        seed = 7
        [events]
        rate = "600/h"
        resources = 1000
        [api]
        rtt = "100ms"
        page_size = 10000
        "#,
    )
    .expect("write");
    let _ = scenario(&std::fs::read_to_string(&file).expect("read"));
    let swept = [1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0];
    for target_s in [3.0, 20.0, 40.0, 120.0] {
        let expected = swept.iter().copied().filter(|t| t / 2.0 + 0.1 <= target_s).fold(0.0, f64::max);
        // Keep clear of the boundary so sampling noise cannot flip the pick.
        let next = swept.iter().copied().find(|t| *t > expected).expect("a longer interval");
        assert!(expected / 2.0 + 0.1 < target_s * 0.95 && next / 2.0 + 0.1 > target_s * 1.05);
        let out = hookbench(&[
            "advise",
            "--scenario",
            file.to_str().expect("utf-8"),
            "--strategies",
            "poll",
            "--percentile",
            "mean",
            "--max-latency",
            &format!("{target_s}s"),
        ]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
        let want = hookbench::support::units::format_duration((expected * SECOND as f64) as u64);
        assert!(
            stdout.contains(&format!("advice: poll@{want} ")),
            "target {target_s}s, expected poll@{want}:\n{stdout}"
        );
    }
    // Nothing meets an impossible target: exit 1 with the best there is.
    let out = hookbench(&["advise", "--scenario", file.to_str().expect("utf-8"), "--max-latency", "10ms"]);
    let stdout = text(&out).0;
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("none of the") && stdout.contains("the fastest row"), "{stdout}");
    // Bad input.
    let out = hookbench(&["advise", "--max-latency", "5s", "--percentile", "p42"]);
    assert_eq!(out.status.code(), Some(2));
    let out = hookbench(&["advise", "--max-latency", "5s", "--rate-limit", "lots"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_page_and_completions_name_the_subcommands() {
    let man = hookbench(&["man"]);
    assert!(man.status.success());
    let roff = text(&man).0;
    assert!(roff.contains(".TH hookbench"), "{roff}");
    for sub in ["compare", "sweep", "check", "advise", "scenarios", "completions"] {
        assert!(roff.contains(sub), "man page lacks {sub}");
    }
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = hookbench(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        assert!(text(&out).0.contains("sweep"), "{shell}");
    }
    assert_eq!(hookbench(&["completions", "tcsh"]).status.code(), Some(2));
}

/// `scenarios list` lines end at their last character (no padding to the column width), and
/// `scenarios --help` names every subcommand.
#[test]
fn scenario_listings_have_no_trailing_spaces_and_help_names_fit() {
    let (list, _) = text(&hookbench(&["scenarios", "list"]));
    assert!(list.lines().count() > 5, "{list}");
    for line in list.lines() {
        assert_eq!(line, line.trim_end(), "trailing spaces: {line:?}");
    }
    let (help, _) = text(&hookbench(&["--help"]));
    assert!(help.contains("List, show, validate or fit scenarios"), "{help}");
}

/// `man --all DIR` writes every page the main page refers to (issue 23 item 30).
#[test]
fn every_man_page_the_main_page_names_is_written() {
    let dir = crate::util::temp_dir("man-all");
    let out = hookbench(&["man", "--all", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let main = std::fs::read_to_string(dir.join("hookbench.1")).unwrap();
    let named: Vec<&str> = main
        .split("hookbench\\-")
        .skip(1)
        .filter_map(|s| {
            let n = s.find(|c: char| !c.is_ascii_lowercase()).unwrap_or(s.len());
            s[n..].starts_with("(1)").then(|| &s[..n])
        })
        .collect();
    assert!(named.len() >= 10, "{named:?}");
    for n in named {
        assert!(
            dir.join(format!("hookbench-{n}.1")).exists(),
            "hookbench-{n}.1 is referred to but not written"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
