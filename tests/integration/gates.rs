//! Gates a machine can read (issue 22, part 3): thresholds in the JSON and a summary line,
//! JUnit XML, `check`/`advise` formats, repeatable `-o`, `hookbench report`, and `check` reading
//! numbers as numbers.

use std::path::Path;

use serde_json::Value;

use crate::util::{hookbench, temp_dir, text};

const PASS: &str = "poll@30s.missed==0";
const FAIL: &str = "webhook.p99<1ms";

pub(crate) fn validator(file: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).expect(file);
    jsonschema::validator_for(&serde_json::from_str(&text).expect("JSON")).expect("a JSON Schema")
}

pub(crate) fn assert_valid(v: &jsonschema::Validator, instance: &Value) {
    let errors: Vec<String> =
        v.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "schema violations: {errors:#?}");
}

/// `<testsuite … tests="N" failures="F"` of a JUnit document.
fn counts(xml: &str) -> (usize, usize) {
    let suite = &xml[xml.find("<testsuite ").expect("a testsuite")..];
    let attr = |name: &str| -> usize {
        let at = suite.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
        suite[at..suite[at..].find('"').unwrap() + at].parse().unwrap()
    };
    assert_eq!(xml.matches("<testcase ").count(), attr("tests"), "{xml}");
    assert_eq!(xml.matches("<failure ").count(), attr("failures"), "{xml}");
    (attr("tests"), attr("failures"))
}

#[test]
fn thresholds_are_judged_into_the_json_with_a_summary_line() {
    let out = hookbench(&["compare", "-d", "1h", "-f", "json", "--threshold", PASS, "--threshold", FAIL]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_valid(&validator("schema.json"), &v);
    let t = v["thresholds"].as_array().expect("thresholds");
    assert_eq!(t.len(), 2, "{t:?}");
    assert_eq!(t[0]["expr"], PASS);
    assert_eq!(t[0]["row"], "poll@30s");
    assert_eq!(t[0]["metric"], "missed");
    assert_eq!(
        (t[0]["value"].as_f64(), t[0]["limit"].as_f64(), &t[0]["pass"]),
        (Some(0.0), Some(0.0), &Value::Bool(true))
    );
    assert_eq!(
        (&t[1]["row"], &t[1]["metric"], &t[1]["pass"]),
        (&Value::from("webhook"), &Value::from("p99"), &Value::Bool(false))
    );
    assert_eq!(t[1]["limit"].as_f64(), Some(1.0));
    assert_eq!(t[1]["value"].as_f64(), v["strategies"][3]["latency_ms"]["p99"].as_f64());
    let summary = stderr.lines().last().unwrap_or("");
    assert_eq!(summary, "2 thresholds, 1 failed", "{stderr}");
    assert!(stderr.find("threshold breach").unwrap() < stderr.find("2 thresholds, 1 failed").unwrap());

    let ok = hookbench(&["compare", "-d", "1h", "--threshold", PASS, "--threshold", "poll.p99<1h"]);
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(text(&ok).1.trim_end().lines().last(), Some("2 thresholds, 2 passed"));
    // Without thresholds the result is unchanged: no key at all.
    let plain = hookbench(&["compare", "-d", "1h", "-f", "json"]);
    let v: Value = serde_json::from_str(&text(&plain).0).expect("JSON");
    assert!(v.get("thresholds").is_none());
}

#[test]
fn a_sweep_carries_its_thresholds_too() {
    let out = hookbench(&[
        "sweep",
        "-d",
        "1h",
        "-i",
        "30s,1m",
        "--strategies",
        "poll,webhook",
        "--no-chart",
        "-f",
        "json",
        "--threshold",
        "poll.missed==0",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("JSON");
    let rows: Vec<&str> =
        v["thresholds"].as_array().unwrap().iter().map(|t| t["row"].as_str().unwrap()).collect();
    assert_eq!(rows, ["poll@30s", "poll@1m"]);
    assert!(stderr.contains("1 threshold, 1 passed"), "{stderr}");
}

#[test]
fn junit_has_a_case_per_threshold_and_row_and_a_failure_per_breach() {
    let out = hookbench(&[
        "compare",
        "-d",
        "1h",
        "-f",
        "junit",
        "--threshold",
        PASS,
        "--threshold",
        "poll-etag.p99<1ms",
    ]);
    let (xml, _) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "), "{xml}");
    assert_eq!(xml.matches("<testsuite ").count(), 1);
    assert_eq!(counts(&xml), (2, 1));
    assert!(xml.contains("name=\"poll-etag.p99&lt;1ms [poll-etag@30s]\""), "{xml}");
    assert!(xml.contains("<failure message=\"poll-etag@30s: p99 is "), "{xml}");
    // Without thresholds: a case per row, each row's events conserved and the run complete.
    let out = hookbench(&["compare", "-d", "1h", "-f", "junit"]);
    assert_eq!(counts(&text(&out).0), (6, 0));
    assert!(text(&out).0.contains("name=\"webhook: events conserved, run complete\""));
}

#[test]
fn output_is_repeatable_and_each_file_takes_its_extensions_format() {
    let dir = temp_dir("gates-outputs");
    let [json, md, xml, csv] = ["r.json", "r.md", "r.xml", "r.csv"].map(|n| dir.join(n));
    let p = |x: &Path| x.to_str().unwrap().to_string();
    let out = hookbench(&[
        "compare",
        "-d",
        "1h",
        "-o",
        &p(&json),
        "-o",
        &p(&md),
        "-o",
        &p(&xml),
        "-o",
        &p(&csv),
        "--threshold",
        PASS,
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.starts_with("hookbench · scenario payments"), "the table on stdout: {stdout}");
    let read = |x: &Path| std::fs::read_to_string(x).unwrap();
    assert!(serde_json::from_str::<Value>(&read(&json)).unwrap()["thresholds"].is_array());
    assert!(read(&md).contains("| strategy |"));
    assert_eq!(counts(&read(&xml)), (1, 0));
    assert!(read(&csv).starts_with("scenario,seed,"));
    // --format names standard output's format.
    let out = hookbench(&["compare", "-d", "1h", "-f", "csv", "-o", &p(&json)]);
    assert!(text(&out).0.starts_with("scenario,seed,"));
    // One file that cannot be written: the others are, the result reaches stdout, exit 2 names it.
    let bad = "/nonexistent-dir/sub/r.json";
    let (md2, xml2) = (dir.join("second.md"), dir.join("second.xml"));
    let out = hookbench(&["compare", "-d", "1h", "-q", "-o", &p(&md2), "-o", bad, "-o", &p(&xml2)]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(md2.exists() && xml2.exists(), "the other files are written");
    assert!(stdout.contains("\"schema\": 2"), "the unwritten JSON reaches stdout: {stdout}");
    assert!(stderr.contains(bad) && stderr.contains("cannot write"), "{stderr}");
}

/// Everything but the first line (its wall time differs between runs).
fn after_headline(table: &str) -> String {
    let (first, rest) = table.split_once('\n').unwrap();
    let wall = first.rsplit_once(" · ").unwrap().0;
    format!("{wall}\n{rest}")
}

#[test]
fn report_renders_a_saved_result_as_the_run_did() {
    let dir = temp_dir("gates-report");
    for (name, extra) in
        [("single", &[][..]), ("replicated", &["--replications", "3", "--strategies", "poll,webhook"][..])]
    {
        let base = [&["compare", "-d", "1h"][..], extra].concat();
        let saved = dir.join(format!("{name}.json"));
        let out = hookbench(&[&base[..], &["-f", "json", "--threshold", PASS]].concat());
        std::fs::write(&saved, &out.stdout).unwrap();
        let table = text(&hookbench(&[&base[..], &["--threshold", PASS]].concat())).0;
        let again = hookbench(&["report", saved.to_str().unwrap()]);
        assert_eq!(again.status.code(), Some(0), "{}", text(&again).1);
        assert_eq!(after_headline(&text(&again).0), after_headline(&table), "{name}");
        // The file's own JSON comes back byte for byte; the other formats as the run wrote them.
        let json_run = String::from_utf8(out.stdout).unwrap();
        let json_again = text(&hookbench(&["report", saved.to_str().unwrap(), "-f", "json"])).0;
        assert!(json_again == json_run, "{name}: the JSON differs:\n{json_again}");
        for format in ["csv", "markdown", "junit"] {
            let direct = hookbench(&[&base[..], &["-f", format, "--threshold", PASS]].concat());
            let rendered = hookbench(&["report", saved.to_str().unwrap(), "-f", format]);
            let strip = |s: String| {
                s.lines()
                    .map(|l| if l.contains("time=") || l.contains("hookbench ·") { "" } else { l })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            assert_eq!(strip(text(&rendered).0), strip(text(&direct).0), "{name} {format}");
        }
    }
    let saved = dir.join("single.json");
    let out =
        hookbench(&["report", saved.to_str().unwrap(), "-q", "-o", dir.join("again.md").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stdout.is_empty()
            && std::fs::read_to_string(dir.join("again.md")).unwrap().contains("| strategy |")
    );
    let out = hookbench(&["report", saved.to_str().unwrap(), "--threshold", PASS]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("a saved result carries"), "{}", text(&out).1);
}

/// `jq .`'s rewrite of a result: integral floats as integers (`20.0` → `20`), other layout.
fn jq(v: &Value) -> Value {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => Value::from(f as i64),
            _ => v.clone(),
        },
        Value::Array(a) => Value::Array(a.iter().map(jq).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), jq(x))).collect()),
        other => other.clone(),
    }
}

#[test]
fn check_reads_a_reserialised_baseline_as_the_same_baseline() {
    let dir = temp_dir("gates-jq");
    let (base, again) = (dir.join("base.json"), dir.join("again.json"));
    for p in [&base, &again] {
        let out = hookbench(&["compare", "-d", "1h", "-q", "-o", p.to_str().unwrap()]);
        assert!(out.status.success());
    }
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    let b2 = dir.join("b2.json");
    std::fs::write(&b2, serde_json::to_string(&jq(&v)).unwrap()).unwrap();
    assert!(std::fs::read_to_string(&b2).unwrap().contains("\"duration_s\":3600,"), "20.0 became 20");
    let (a, b, b2) = (again.to_str().unwrap(), base.to_str().unwrap(), b2.to_str().unwrap());
    let original = hookbench(&["check", a, "--baseline", b]);
    let rewritten = hookbench(&["check", a, "--baseline", b2]);
    assert_eq!(original.status.code(), Some(0), "{}", text(&original).1);
    assert_eq!((rewritten.status.code(), text(&rewritten)), (Some(0), text(&original)));
    // As the result too.
    assert_eq!(hookbench(&["check", b2, "--baseline", a]).status.code(), Some(0));
}

#[test]
fn check_refuses_another_schema_and_a_negative_figure_in_one_sentence() {
    let dir = temp_dir("gates-refuse");
    let base = dir.join("base.json");
    assert!(hookbench(&["compare", "-d", "1h", "-q", "-o", base.to_str().unwrap()]).status.success());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    for (name, edit, needle) in [
        ("schema", ("/schema", Value::from(1.0)), "has schema 1.0, but this hookbench reads schema 2"),
        (
            "latency",
            ("/strategies/0/latency_ms/p99", Value::from(-5.0)),
            "negative value at strategies[0].latency_ms.p99 (-5)",
        ),
        (
            "count",
            ("/strategies/1/events/missed", Value::from(-1)),
            "negative value at strategies[1].events.missed (-1)",
        ),
    ] {
        let mut w = v.clone();
        *w.pointer_mut(edit.0).unwrap() = edit.1;
        let p = dir.join(format!("{name}.json"));
        std::fs::write(&p, w.to_string()).unwrap();
        for args in [
            vec!["check", p.to_str().unwrap(), "-b", base.to_str().unwrap()],
            vec!["report", p.to_str().unwrap()],
        ] {
            let out = hookbench(&args);
            let stderr = text(&out).1;
            assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
            assert!(stderr.contains(needle) && stderr.trim_end().lines().count() == 1, "{name}: {stderr}");
        }
    }
    // Schema 2 written as 2.0 is schema 2.
    let mut w = v.clone();
    w["schema"] = Value::from(2.0);
    let p = dir.join("one.json");
    std::fs::write(&p, w.to_string()).unwrap();
    assert_eq!(
        hookbench(&["check", p.to_str().unwrap(), "-b", base.to_str().unwrap()]).status.code(),
        Some(0)
    );
}

#[test]
fn check_speaks_json_and_junit() {
    let dir = temp_dir("gates-check");
    let base = dir.join("base.json");
    assert!(hookbench(&["compare", "-d", "1h", "-q", "-o", base.to_str().unwrap()]).status.success());
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    let p99 = v["strategies"][0]["ready_ms"]["p99"].as_f64().unwrap();
    v["strategies"][0]["ready_ms"]["p99"] = Value::from(p99 * 2.0);
    let worse = dir.join("worse.json");
    std::fs::write(&worse, v.to_string()).unwrap();
    let (w, b) = (worse.to_str().unwrap(), base.to_str().unwrap());
    let out = hookbench(&["check", w, "-b", b, "-f", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let j: Value = serde_json::from_str(&text(&out).0).expect("JSON");
    assert_valid(&validator("schema-check.json"), &j);
    assert_eq!(
        (&j["pass"], &j["regressions"], &j["comparisons"]),
        (&Value::Bool(false), &Value::from(1), &Value::from(42))
    );
    assert_eq!(j["diffs"][2]["metric"], "p99");
    assert_eq!(j["diffs"][2]["regression"], true);
    assert_eq!(j["diffs"][2]["change"]["kind"], "percent");
    let same = hookbench(&["check", b, "-b", b, "-f", "json"]);
    assert_valid(&validator("schema-check.json"), &serde_json::from_str(&text(&same).0).unwrap());
    let out = hookbench(&["check", w, "-b", b, "-f", "junit"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(counts(&text(&out).0), (42, 1));
    assert!(
        text(&out).0.contains("<failure message=\"poll@30s p99 regressed: baseline "),
        "{}",
        text(&out).0
    );
}

#[test]
fn advise_speaks_json_and_markdown() {
    let args = ["advise", "-d", "1h", "--max-latency", "1m", "-i", "30s,1m", "--strategies", "poll,webhook"];
    let out = hookbench(&[&args[..], &["-f", "json"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let v: Value = serde_json::from_str(&text(&out).0).expect("JSON");
    let table = text(&hookbench(&args)).0;
    let pick = v["pick"].as_str().expect("a pick");
    assert!(table.contains(&format!("advice: {pick} —")), "{table}");
    assert_eq!(v["percentile"], "p99");
    assert_eq!(v["rows"].as_array().unwrap().len(), 3);
    let md = text(&hookbench(&[&args[..], &["-f", "markdown"]].concat())).0;
    assert!(
        md.contains(&format!("**advice: `{pick}`**"))
            && md.contains("| row | requests/day | p99 | missed | verdict |"),
        "{md}"
    );
}

/// Every bundled scenario reads back from its JSON as it was: `report` renders from it.
#[test]
fn every_bundled_scenario_reads_back_from_its_json() {
    use hookbench::scenario::Scenario;
    for name in Scenario::bundled_names() {
        let s = Scenario::bundled(name).expect("bundled").expect("valid");
        let written = serde_json::to_value(&s).expect("serializes");
        let back: Scenario =
            serde_json::from_value(written.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(serde_json::to_value(&back).expect("serializes"), written, "{name}");
    }
}
