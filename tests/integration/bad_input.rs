//! Bad input through the binary: exit 2, one clear sentence, no panic.

use crate::util::{hookbench, temp_dir, text};

pub fn refused(args: &[&str], expect: &[&str]) {
    let out = hookbench(args);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: stdout {stdout} stderr {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{args:?}: {stderr}");
    for e in expect {
        assert!(stderr.contains(e), "{args:?}: expected `{e}` in: {stderr}");
    }
}

pub fn one_sentence(args: &[&str], expect: &[&str]) {
    refused(args, expect);
    let (_, stderr) = text(&hookbench(args));
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: one line, got: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
}

#[test]
fn bad_flags_and_values() {
    refused(&["compare", "--bogus"], &["--bogus"]);
    refused(&["compare", "--format", "xml"], &["xml"]);
    refused(&["compare", "--seed", "-1"], &[]);
    refused(&["frobnicate"], &["frobnicate"]);
    one_sentence(&["compare", "--interval", "30x"], &["30x", "not a duration"]);
    one_sentence(&["compare", "--interval", "30"], &["no unit", "30s"]);
    one_sentence(&["compare", "--interval", "0s"], &["at least `1ms`"]);
    one_sentence(&["compare", "--interval", "30s,,1m"], &["empty item"]);
    one_sentence(&["compare", "--interval=-5s"], &["negative"]);
    one_sentence(
        &["compare", "--strategies", "poll,carrier-pigeon"],
        &["carrier-pigeon", "hybrid-reconcile"],
    );
    one_sentence(&["compare", "--scenario", "nope"], &["nope", "payments"]);
    one_sentence(&["compare", "--duration", "0s"], &["at least `1s`"]);
    one_sentence(&["compare", "--duration", "400d"], &["over a year"]);
    one_sentence(&["compare", "--output", "result.xyz"], &["extension"]);
}

#[test]
fn bad_scenario_files() {
    let dir = temp_dir("bad-scenarios");
    let cases: &[(&str, &str, &[&str])] = &[
        ("syntax.toml", "name = \"x\"\n[events\nrate = \"1/h\"\n", &["line 2, column"]),
        ("unknown.toml", "name = \"x\"\ncolour = \"red\"\n[events]\nrate = \"1/h\"\n", &["colour", "line 2"]),
        ("negative.toml", "name = \"x\"\n[events]\nrate = \"-5/h\"\n", &["events.rate", "negative"]),
        (
            "bare.toml",
            "name = \"x\"\nduration = \"24\"\n[events]\nrate = \"5/h\"\n",
            &["duration", "no unit"],
        ),
        (
            "prob.toml",
            "name = \"x\"\n[events]\nrate = \"5/h\"\n[receiver]\nfailure_rate = 2.0\n",
            &["failure_rate"],
        ),
        (
            "preset.toml",
            "name = \"x\"\n[events]\nrate = \"5/h\"\n[webhook]\nretry = \"forever\"\n",
            &["forever", "svix"],
        ),
        ("page.toml", "name = \"x\"\n[events]\nrate = \"5/h\"\n[api]\npage_size = 0\n", &["page_size"]),
        ("zero.toml", "name = \"x\"\n[events]\nrate = \"0/h\"\n", &["events.rate", "above zero"]),
        ("huge.toml", "name = \"x\"\nduration = \"366d\"\n[events]\nrate = \"1000/s\"\n", &["events"]),
        (
            "delay.toml",
            "name = \"x\"\n[events]\nrate = \"5/h\"\n[api]\nrtt = { median = \"1s\", p99 = \"10ms\" }\n",
            &["p99"],
        ),
        (
            "strategy.toml",
            "name = \"x\"\n[events]\nrate = \"5/h\"\n[strategies]\nlist = [\"carrier-pigeon\"]\n",
            &["carrier-pigeon"],
        ),
        ("missing.toml", "name = \"x\"\n", &["events"]),
        (
            "daily-lag.toml",
            "name = \"x\"\n[events]\nrate = \"5/h\"\nvisibility_delay = { daily = [\"1m\", \"2m\"] }\n",
            &["events.visibility_delay.daily", "has 2 values", "give 24 durations"],
        ),
        (
            "daily-lag-unit.toml",
            "name = \"x\"\n[events]\nrate = \"5/h\"\nvisibility_delay = { daily = [5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5] }\n",
            &["events.visibility_delay.daily[0]", "not a duration"],
        ),
    ];
    for (file, body, expect) in cases {
        let path = dir.join(file);
        std::fs::write(&path, body).unwrap();
        let p = path.to_str().unwrap();
        one_sentence(&["compare", "--scenario", p], expect);
        one_sentence(&["scenarios", "validate", p], expect);
    }
}

#[test]
fn an_unwritable_output_still_prints_the_result() {
    let out = hookbench(&["compare", "--duration", "1h", "--output", "/nonexistent-dir/sub/result.json"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout.contains("\"schema\": 2"), "the result reaches stdout: {stdout}");
    assert!(stderr.contains("cannot write") && stderr.contains("standard output"), "{stderr}");
}

#[test]
fn scenarios_subcommands_work() {
    let out = hookbench(&["scenarios", "list"]);
    assert!(out.status.success());
    let (stdout, _) = text(&out);
    for name in ["payments", "iot-burst", "receiver-outage", "high-churn", "strict-quota"] {
        assert!(stdout.contains(name), "{stdout}");
    }
    let out = hookbench(&["scenarios", "show", "payments"]);
    assert!(text(&out).0.contains("rate_limit = \"5000/h\""));
    let out = hookbench(&["scenarios", "validate", "payments", "high-churn"]);
    assert!(out.status.success(), "{:?}", text(&out));
}

#[test]
fn the_design_documents_example_scenario_runs_as_written() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/design-example.toml");
    let out = hookbench(&["scenarios", "validate", path]);
    assert!(out.status.success(), "{}", text(&out).1);
    let out = hookbench(&[
        "compare",
        "--scenario",
        path,
        "--interval",
        "30s",
        "--duration",
        "6h",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Its poll_interval_hint of 60s is obeyed.
    assert_eq!(v["strategies"][0]["effective_interval_s"], 60.0);
}
