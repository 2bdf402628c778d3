//! `serve --report`: the user's own pollers measured by the server they poll (issue 16).
//!
//! Each test starts `hookbench serve --report` on loopback with a sped-up scenario, runs small
//! in-test clients against it (plain HTTP/1.1 over `TcpStream`, as any user's code would), and
//! reads the JSON report the server prints when the run ends by itself. Every figure asserted
//! is in scenario time.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::util::{hookbench, rel, temp_dir, text};

/// Starts `serve` whose standard output carries a report (`--format json|csv|…`, no
/// `--output`): the address is on standard error, which a thread drains; standard output holds
/// the report alone.
pub fn start_serve_reporting(args: &[&str]) -> (std::process::Child, std::process::ChildStdout, String) {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hookbench"))
        .arg("serve")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut err = std::io::BufReader::new(child.stderr.take().expect("piped stderr"));
    let mut line = String::new();
    err.read_line(&mut line).expect("the first line");
    let addr = line
        .split("listening on ")
        .nth(1)
        .and_then(|r| r.split("://").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address on stderr: {line:?}"))
        .to_string();
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    let out = child.stdout.take().expect("piped stdout");
    (child, out, addr)
}

/// A scenario with a fixed round trip: 6000 events an hour, a 600/h quota, no webhook faults.
const SCENARIO: &str = r#"
name = "serve-report"
duration = "20m"
seed = 7
[events]
rate = "6000/h"
resources = 50
payload_bytes = 200
[api]
rtt = "100ms"
rate_limit = "600/h"
page_size = 100
[webhook]
delay = "0s"
retry = "svix"
"#;

const SPEEDUP: f64 = 100.0;

/// GET `path` with `X-Api-Key: key`; the status and the body.
fn get(addr: &str, path: &str, key: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nX-Api-Key: {key}\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map_or(String::new(), |(_, b)| b.to_string());
    (status, body)
}

/// A poller every `interval` (scenario time) until `until` (wall); `buggy` never leaves the
/// first page of a backlog (it keeps its cursor while `has_more`), `limit` is its page size.
fn poller(addr: String, key: &'static str, interval: f64, limit: u32, buggy: bool, until: Instant) {
    let tick = Duration::from_secs_f64(interval / SPEEDUP);
    let start = Instant::now();
    let mut cursor: Option<String> = None;
    let mut k = 0u32;
    while Instant::now() < until {
        loop {
            let after = cursor.as_ref().map_or(String::new(), |c| format!("&after={c}"));
            let (status, body) = get(&addr, &format!("/events?limit={limit}{after}"), key);
            if status != 200 {
                break;
            }
            let page: serde_json::Value = serde_json::from_str(&body).expect("a JSON page");
            let more = page["has_more"].as_bool().unwrap_or(false);
            if buggy && more {
                break; // the bug: the rest of the backlog is never read
            }
            if let Some(c) = page["next_cursor"].as_str() {
                cursor = Some(c.to_string());
            }
            if !more {
                break;
            }
        }
        k += 1;
        if let Some(wait) = (start + tick * k).checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
}

/// The report validates against schema.json (its `client` and `endpoint` rows included).
pub fn assert_schema(report: &serde_json::Value) {
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.json"))
        .unwrap();
    let v = jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap();
    let errors: Vec<String> = v.iter_errors(report).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "schema violations: {errors:#?}");
}

pub fn row<'a>(report: &'a serde_json::Value, label: &str) -> &'a serde_json::Value {
    report["strategies"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["label"] == label))
        .unwrap_or_else(|| panic!("no row {label} in {report}"))
}

#[test]
fn pollers_are_measured_per_api_key_and_a_buggy_one_breaches_its_threshold() {
    let dir = temp_dir("serve-report");
    let file = dir.join("s.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    let (mut child, mut out, addr) = start_serve_reporting(&[
        "--scenario",
        file.to_str().unwrap(),
        "--addr",
        "127.0.0.1:0",
        "--speedup",
        "100",
        "--report",
        "--drain",
        "30s",
        "--format",
        "json",
        "--threshold",
        "client:ci-poller.missed==0",
        "--threshold",
        "client:buggy.missed==0",
        "--stop-after",
        "2m",
        "--bucket",
        "1m",
    ]);
    // The window (20 m) and the drain (30 s) take 12.3 s of wall time at 100×.
    let until = Instant::now() + Duration::from_secs_f64((20.0 * 60.0 + 25.0) / SPEEDUP);
    let clients = [("ci-poller", 10.0, 100, false), ("buggy", 10.0, 5, true), ("greedy", 1.0, 100, false)]
        .map(|(key, t, limit, buggy)| {
            let addr = addr.clone();
            std::thread::spawn(move || poller(addr, key, t, limit, buggy, until))
        });
    let stream_addr = addr.clone();
    let streamer = std::thread::spawn(move || {
        // An SSE client: holds `/stream` open until the server goes away.
        let mut s = TcpStream::connect(&stream_addr).expect("connect");
        write!(s, "GET /stream HTTP/1.1\r\nHost: x\r\nX-Api-Key: streamer\r\n\r\n").unwrap();
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    });
    for c in clients {
        c.join().unwrap();
    }
    let mut json = String::new();
    out.read_to_string(&mut json).unwrap();
    let status = child.wait().unwrap();
    streamer.join().unwrap();
    assert_eq!(status.code(), Some(1), "the buggy client breaches missed==0");
    let report: serde_json::Value = serde_json::from_str(&json).expect("a JSON report");
    assert_eq!(report["engine"], "serve");
    assert_schema(&report);
    assert!(report["run"].get("partial").is_none(), "the run ended by itself");

    // The naive poller at T = 10 s: mean latency T/2 + the 100 ms round trip; duration/T requests.
    let ci = row(&report, "client:ci-poller");
    let mean_s = ci["latency_ms"]["mean"].as_f64().unwrap() / 1000.0;
    assert!(rel(mean_s, 5.0 + 0.1) < 0.05, "mean detection latency {mean_s} s, expected 5.1 s");
    let requests = ci["requests"]["total"].as_f64().unwrap();
    eprintln!("client:ci-poller: mean {mean_s} s, {requests} requests, {}", ci["events"]);
    assert!(rel(requests, 1200.0 / 10.0) <= 0.01, "{requests} requests, expected 120");
    assert_eq!(ci["events"]["missed"], 0);
    assert!((ci["rate_limit"]["peak_use"].as_f64().unwrap() - 0.2).abs() < 0.01, "{ci}");

    // The buggy poller misses what lay beyond its first page.
    let buggy = row(&report, "client:buggy");
    assert!(buggy["events"]["missed"].as_u64().unwrap() > 0, "{buggy}");
    // The thresholds are judged into the report, one entry per (threshold, row).
    let judged: Vec<(&str, &str, bool)> = report["thresholds"]
        .as_array()
        .expect("thresholds in the report")
        .iter()
        .map(|t| (t["expr"].as_str().unwrap(), t["row"].as_str().unwrap(), t["pass"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        judged,
        [
            ("client:ci-poller.missed==0", "client:ci-poller", true),
            ("client:buggy.missed==0", "client:buggy", false)
        ]
    );

    // The greedy poller (1 s against a 600/h quota) meets 429s and is held back by them.
    let greedy = row(&report, "client:greedy");
    assert!(greedy["requests"]["throttled"].as_u64().unwrap() > 100, "{greedy}");
    assert!(greedy["rate_limit"]["throttled_s"].as_f64().unwrap() > 60.0, "{greedy}");

    // `check --baseline` takes a serve report: identical files pass.
    let saved = dir.join("result.json");
    std::fs::write(&saved, &json).unwrap();
    let saved = saved.to_str().unwrap();
    let check = hookbench(&["check", saved, "--baseline", saved]);
    assert_eq!(check.status.code(), Some(0), "{:?}", text(&check));
    // `report` renders it again: its rows, and its judged thresholds as JUnit test cases.
    let again = hookbench(&["report", saved, "--format", "junit"]);
    let (xml, err) = text(&again);
    assert_eq!(again.status.code(), Some(0), "{err}");
    assert!(xml.contains("tests=\"2\" failures=\"1\"") && xml.contains("[client:buggy]"), "{xml}");
    assert!(text(&hookbench(&["report", saved])).0.contains("client:ci-poller"));

    // The stream's frames are its detections: one one-way delay (50 ms) after each event.
    let sse = row(&report, "client:streamer");
    assert_eq!(sse["events"]["missed"], 0, "{sse}");
    assert_eq!(sse["requests"]["total"], 1, "{sse}");
    assert!(sse["latency_ms"]["p50"].as_f64().unwrap() < 1000.0, "{sse}");

    // One row per key, and conservation in each; `--bucket 1m` cuts each row's timeline, whose
    // buckets sum to its totals.
    assert_eq!(report["strategies"].as_array().unwrap().len(), 4);
    for r in report["strategies"].as_array().unwrap() {
        let e = &r["events"];
        let sum = ["detected", "missed", "in_flight"].map(|k| e[k].as_u64().unwrap()).iter().sum::<u64>();
        assert_eq!(sum, e["total"].as_u64().unwrap(), "{r}");
        let t = &r["timeline"];
        assert_eq!(t["bucket_s"], 60.0, "{}", r["label"]);
        let total =
            |k: &str| t[k].as_array().expect("a series").iter().map(|v| v.as_u64().unwrap()).sum::<u64>();
        assert_eq!(total("happened"), e["total"].as_u64().unwrap(), "{}", r["label"]);
        assert_eq!(total("detected"), e["detected"].as_u64().unwrap(), "{}", r["label"]);
        assert_eq!(total("requests"), r["requests"]["total"].as_u64().unwrap(), "{}", r["label"]);
        assert_eq!(total("throttled"), r["requests"]["throttled"].as_u64().unwrap(), "{}", r["label"]);
    }
}

#[test]
fn sigterm_ends_the_run_and_still_prints_the_report() {
    let (mut child, mut out, addr) =
        start_serve_reporting(&["--addr", "127.0.0.1:0", "--speedup", "10", "--report", "--format", "json"]);
    let (status, _) = get(&addr, "/events", "early");
    assert_eq!(status, 200);
    let kill = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let mut json = String::new();
    out.read_to_string(&mut json).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let report: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(report["run"]["partial"], true);
    assert_eq!(row(&report, "client:early")["requests"]["total"], 1);
}

#[test]
fn a_report_on_stdout_is_alone_there_and_the_listening_line_goes_to_stderr() {
    let run = |extra: &[&str]| {
        let mut args =
            vec!["serve", "--addr", "127.0.0.1:0", "--report", "--duration", "1s", "--drain", "0s"];
        args.extend(extra);
        let out = hookbench(&args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {stderr}");
        (stdout, stderr)
    };
    // JSON: standard output parses as one document; the address is on standard error.
    let (stdout, stderr) = run(&["--speedup", "10", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(report["engine"], "serve");
    assert!(stderr.contains("hookbench serve: listening on http://127.0.0.1:"), "{stderr}");
    // CSV: the header is the first line.
    let (stdout, stderr) = run(&["--speedup", "10", "--format", "csv"]);
    assert!(!stdout.contains("listening on") && stderr.contains("listening on"), "{stdout}");
    // The table (people read it) keeps the line on standard output, first; so does a report
    // written to a file.
    let (stdout, _) = run(&["--speedup", "10"]);
    assert!(stdout.lines().next().unwrap_or("").contains("listening on http://"), "{stdout}");
    let file = temp_dir("serve-report-stdout").join("r.json");
    let (stdout, _) = run(&["--speedup", "10", "--output", file.to_str().unwrap()]);
    assert!(stdout.lines().next().unwrap_or("").contains("listening on http://"), "{stdout}");
}

#[test]
fn report_flags_are_checked_before_serving() {
    for (args, needle) in [
        (vec!["--format", "json"], "--format applies to `serve --report` only"),
        (vec!["--report", "--threshold", "poll.p99<1s"], "no row `poll`"),
        (vec!["--report", "--threshold", "endpoint.p99<1s"], "no endpoint row without --webhook-url"),
        (vec!["--report", "--drain", "soon"], "--drain"),
        (vec!["--bucket", "1m"], "--bucket applies to `serve --report` only"),
        (vec!["--report", "--bucket", "soon"], "--bucket"),
        (vec!["--report", "--duration", "10ms"], "--duration: `10ms` is shorter than `1s`"),
        (vec!["--report", "--threshold", "client:x.ack_p99<2s"], "`ack_p99` does not apply to a client"),
    ] {
        let mut all = vec!["serve", "--addr", "127.0.0.1:0", "--stop-after", "1s"];
        all.extend(args.iter().copied());
        let out = hookbench(&all);
        let (_, err) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {err}");
        assert!(err.contains(needle), "{all:?}: {err}");
    }
    // `compare`'s rows have no ack latency: refused before anything runs.
    let out = hookbench(&["compare", "--threshold", "webhook.ack_p99<2s"]);
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("`ack_p99` is the ack latency of `serve --report`'s webhook endpoint"), "{err}");
}

#[path = "../../examples/polite_poller.rs"]
#[allow(dead_code)]
pub(crate) mod polite_poller;

/// A tight quota (60 per hour window, per key) and an `X-Poll-Interval` of 90 s; a few
/// resources, so a client reading them sees each one's latest event.
const TIGHT: &str = r#"
name = "serve-report-tight"
duration = "20m"
seed = 11
[events]
rate = "30/h"
resources = 4
payload_bytes = 100
[api]
rtt = "100ms"
rate_limit = "60/h"
page_size = 100
poll_interval_hint = "90s"
"#;

/// Reads every resource each `sweep` (scenario time) until `until`; the ids of the events the
/// 2xx answers named as the one that set each resource's state.
fn resource_reader(addr: String, sweep: f64, until: Instant) -> std::collections::BTreeSet<String> {
    let tick = Duration::from_secs_f64(sweep / SPEEDUP);
    let start = Instant::now();
    let mut seen = std::collections::BTreeSet::new();
    let mut k = 0u32;
    while Instant::now() < until {
        for id in 0..4 {
            let (status, body) = get(&addr, &format!("/resources/res_{id:06}"), "state-reader");
            if status == 200 {
                let r: serde_json::Value = serde_json::from_str(&body).expect("a resource");
                if let Some(e) = r["last_event_id"].as_str() {
                    seen.insert(e.to_string());
                }
            }
        }
        k += 1;
        if let Some(wait) = (start + tick * k).checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    seen
}

#[test]
fn the_polite_poller_meets_no_429s_where_a_naive_one_does_and_a_resource_reader_is_detected() {
    let dir = temp_dir("serve-report-tight");
    let file = dir.join("s.toml");
    std::fs::write(&file, TIGHT).unwrap();
    let (mut child, mut out, addr) = start_serve_reporting(&[
        "--scenario",
        file.to_str().unwrap(),
        "--addr",
        "127.0.0.1:0",
        "--speedup",
        "100",
        "--report",
        "--drain",
        "2m",
        "--format",
        "json",
        "--threshold",
        "client:polite.throttled==0",
        "--stop-after",
        "2m",
    ]);
    // The window (20 m) and the drain (2 m) take 13.2 s of wall time at 100×.
    let until = Instant::now() + Duration::from_secs_f64(21.0 * 60.0 / SPEEDUP);
    let polite_addr = format!("http://{addr}");
    let polite = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        // It asks every 1 s (scenario time) unless told otherwise; it ends when the server does.
        let http = polite_poller::trust::client(None).unwrap();
        let _ = rt.block_on(polite_poller::poll(
            &http,
            &polite_addr,
            "polite",
            Duration::from_secs_f64(1.0 / SPEEDUP),
            SPEEDUP,
        ));
    });
    let naive_addr = addr.clone();
    let naive = std::thread::spawn(move || poller(naive_addr, "naive", 10.0, 100, false, until));
    let reader_addr = addr.clone();
    let reader = std::thread::spawn(move || resource_reader(reader_addr, 240.0, until));
    naive.join().unwrap();
    let seen = reader.join().unwrap();
    let mut json = String::new();
    out.read_to_string(&mut json).unwrap();
    let status = child.wait().unwrap();
    polite.join().unwrap();
    let report: serde_json::Value = serde_json::from_str(&json).expect("a JSON report");
    assert_eq!(status.code(), Some(0), "the polite poller meets client:polite.throttled==0: {report}");
    assert_schema(&report);

    // The naive poller (every 10 s: 120 requests in the window) runs into the 60/h quota.
    let naive = row(&report, "client:naive");
    eprintln!("client:naive {}", naive["requests"]);
    assert!(naive["requests"]["throttled"].as_u64().unwrap() >= 50, "{naive}");
    // The polite one waits the 90 s the server asks for: about 20 m / 90 s requests, no 429.
    let polite = row(&report, "client:polite");
    eprintln!("client:polite {} {}", polite["requests"], polite["latency_ms"]);
    assert_eq!(polite["requests"]["throttled"], 0, "{polite}");
    let requests = polite["requests"]["total"].as_u64().unwrap();
    assert!(
        (11..=15).contains(&requests),
        "{requests} requests, expected about 1200 s / 90 s = 13: {polite}"
    );
    assert_eq!(polite["events"]["missed"], 0, "{polite}");
    assert_eq!(polite["events"]["in_flight"], 0, "{polite}");

    // The resource reader detects exactly the events whose state it saw, by nothing else.
    let reader = row(&report, "client:state-reader");
    eprintln!("client:state-reader {} saw {seen:?}", reader["events"]);
    assert!(!seen.is_empty());
    assert_eq!(reader["events"]["detected"].as_u64(), Some(seen.len() as u64), "{reader}");
    assert_eq!(reader["requests"]["throttled"], 0, "{reader}");
    for r in report["strategies"].as_array().unwrap() {
        let e = &r["events"];
        let sum = ["detected", "missed", "in_flight"].map(|k| e[k].as_u64().unwrap()).iter().sum::<u64>();
        assert_eq!(sum, e["total"].as_u64().unwrap(), "{r}");
    }
}

#[test]
fn the_polite_poller_waits_out_retry_after_where_a_naive_one_keeps_asking() {
    // No X-Poll-Interval, 5 requests a minute: both pollers ask every 5 s (12 a minute).
    let scenario = TIGHT
        .replace("duration = \"20m\"", "duration = \"10m\"")
        .replace("rate_limit = \"60/h\"", "rate_limit = \"5/m\"")
        .replace("poll_interval_hint = \"90s\"\n", "");
    assert!(!scenario.contains("poll_interval_hint") && scenario.contains("5/m"));
    let dir = temp_dir("serve-report-retry-after");
    let file = dir.join("s.toml");
    std::fs::write(&file, scenario).unwrap();
    let (mut child, mut out, addr) = start_serve_reporting(&[
        "--scenario",
        file.to_str().unwrap(),
        "--addr",
        "127.0.0.1:0",
        "--speedup",
        "100",
        "--report",
        "--drain",
        "30s",
        "--format",
        "json",
        "--stop-after",
        "1m",
    ]);
    let until = Instant::now() + Duration::from_secs_f64(10.5 * 60.0 / SPEEDUP);
    let polite_addr = format!("http://{addr}");
    let polite = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let http = polite_poller::trust::client(None).unwrap();
        let _ = rt.block_on(polite_poller::poll(
            &http,
            &polite_addr,
            "polite",
            Duration::from_secs_f64(5.0 / SPEEDUP),
            SPEEDUP,
        ));
    });
    let naive_addr = addr.clone();
    let naive = std::thread::spawn(move || poller(naive_addr, "naive", 5.0, 100, false, until));
    naive.join().unwrap();
    let mut json = String::new();
    out.read_to_string(&mut json).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    polite.join().unwrap();
    let report: serde_json::Value = serde_json::from_str(&json).expect("a JSON report");
    let (naive, polite) = (row(&report, "client:naive"), row(&report, "client:polite"));
    eprintln!("client:naive {}\nclient:polite {}", naive["requests"], polite["requests"]);
    // The polite poller meets the limit once a minute and then waits for the window's reset;
    // the naive one is refused 7 of its 12 requests every minute.
    let polite_429 = polite["requests"]["throttled"].as_u64().unwrap();
    assert!((5..=11).contains(&polite_429), "one 429 per one-minute window: {polite}");
    assert!(naive["requests"]["throttled"].as_u64().unwrap() >= 50, "{naive}");
    assert_eq!(polite["events"]["missed"], 0, "{polite}");
}

#[path = "../../examples/webhook_receiver.rs"]
#[allow(dead_code)]
// It and `polite_poller` each carry the examples' `trust` module, as standalone programs must.
#[allow(clippy::duplicate_mod)]
mod webhook_receiver;

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// A short webhook scenario: a fixed 500 ms delivery delay and 100 ms round trip, svix retries.
const HOOKS: &str = r#"
name = "serve-report-hooks"
duration = "10m"
seed = 3
[events]
rate = "600/h"
resources = 20
payload_bytes = 100
[api]
rtt = "100ms"
[webhook]
delay = "500ms"
timeout = "15s"
retry = "svix"
payload = "thin"
"#;

/// Serves `router` on loopback from a runtime of its own; returns its address.
fn spawn_receiver(router: impl FnOnce(String) -> axum::Router + Send + 'static, api: String) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap().to_string()).unwrap();
            let _ = axum::serve(listener, router(api)).await;
        });
    });
    rx.recv().unwrap()
}

/// How a receiver test runs `serve --report`.
struct HookRun<'a> {
    /// The scenario.
    scenario: &'a str,
    /// `--speedup`.
    speedup: &'a str,
    /// `--drain`.
    drain: &'a str,
    /// `--threshold`s besides `endpoint.missed==0`.
    thresholds: &'a [&'a str],
}

/// What a receiver test's `serve --report` left: its exit code, the JSON report, stdout (the
/// table) and stderr (the breaches).
struct HookResult {
    code: Option<i32>,
    report: serde_json::Value,
    table: String,
    stderr: String,
    /// Where the JSON report was written.
    path: std::path::PathBuf,
}

/// Runs `serve --report` with webhooks to a receiver built by `router` (given the API's
/// address) until it ends by itself.
fn serve_with_receiver(
    run: HookRun<'_>,
    router: impl FnOnce(String) -> axum::Router + Send + 'static,
) -> HookResult {
    let dir = temp_dir(&format!("serve-report-hooks-{}-{}", run.drain, run.thresholds.len()));
    let file = dir.join("s.toml");
    std::fs::write(&file, run.scenario).unwrap();
    let path = dir.join("result.json");
    // The API's port is chosen first so that the receiver knows where to fetch.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let api = format!("127.0.0.1:{port}");
    let hook = spawn_receiver(router, format!("http://{api}"));
    let webhook = format!("http://{hook}/webhook");
    let mut args = vec![
        "serve",
        "--scenario",
        file.to_str().unwrap(),
        "--addr",
        &api,
        "--speedup",
        run.speedup,
        "--webhook-url",
        &webhook,
        "--secret",
        SECRET,
        "--report",
        "--drain",
        run.drain,
        "--output",
        path.to_str().unwrap(),
        "--threshold",
        "endpoint.missed==0",
        "--stop-after",
        "2m",
    ];
    for t in run.thresholds {
        args.extend(["--threshold", t]);
    }
    let out = hookbench(&args);
    let (table, stderr) = text(&out);
    let json = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}: {table}{stderr}"));
    let report = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    HookResult { code: out.status.code(), report, table, stderr, path }
}

#[test]
fn the_hybrid_receiver_is_acked_fast_and_detects_by_its_follow_up_fetch() {
    let run = HookRun { scenario: HOOKS, speedup: "1000", drain: "1m", thresholds: &["endpoint.ack_p99<1m"] };
    let HookResult { code, report, table, stderr, path } = serve_with_receiver(run, |api| {
        webhook_receiver::app(SECRET, api, "receiver".into()).expect("the secret parses")
    });
    assert_eq!(code, Some(0), "{report}{stderr}");
    assert!(stderr.contains("2 thresholds, 2 passed"), "{stderr}");
    assert_eq!(report["thresholds"].as_array().map(Vec::len), Some(2), "{report}");
    // The table has the clients' and the endpoint's rows, and the endpoint's ack figures.
    assert!(table.contains("client:receiver") && table.contains("\nendpoint "), "{table}");
    assert!(table.contains("webhook endpoint: from sending a delivery until its 2xx"), "{table}");
    assert_schema(&report);
    let ep = row(&report, "endpoint");
    let total = ep["events"]["total"].as_u64().unwrap();
    assert!(total > 50);
    assert_eq!(ep["events"]["detected"], total, "{ep}");
    assert!(ep["ack_ms"]["p50"].as_f64().is_some(), "ack latency reported: {ep}");
    eprintln!("endpoint: ack {} latency {}", ep["ack_ms"], ep["latency_ms"]);
    // Detection is the fetch: at least the 500 ms delay plus the fetch's 100 ms round trip.
    assert!(ep["latency_ms"]["p50"].as_f64().unwrap() >= 600.0, "{ep}");
    assert!(ep["latency_ms"]["mean"].as_f64().unwrap() >= 600.0, "{ep}");
    let fetcher = row(&report, "client:receiver");
    assert_eq!(fetcher["events"]["detected"], total, "{fetcher}");
    assert_eq!(ep["webhooks"]["attempts"], ep["webhooks"]["delivered"], "{ep}");

    // `check` compares the endpoint's ack latency too: a baseline whose ack p99 was half as
    // long is a regression named `ack_p99` on the endpoint row.
    let mut faster = report.clone();
    let p99 = ep["ack_ms"]["p99"].as_f64().unwrap();
    faster["strategies"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .filter(|r| r["label"] == "endpoint")
        .for_each(|r| r["ack_ms"]["p99"] = (p99 / 2.0).into());
    let base = path.with_file_name("faster.json");
    std::fs::write(&base, serde_json::to_string(&faster).unwrap()).unwrap();
    let check = hookbench(&["check", path.to_str().unwrap(), "--baseline", base.to_str().unwrap()]);
    let (out, err) = text(&check);
    assert_eq!(check.status.code(), Some(1), "{out}{err}");
    let regressed: Vec<&str> = out.lines().filter(|l| l.contains("REGRESSION")).collect();
    assert!(regressed.len() == 1 && regressed[0].contains("ack_p99"), "{out}");
    let endpoint_rows = &out[out.find("\nendpoint ").expect("an endpoint row")..];
    assert!(endpoint_rows.contains("ack_p99") && !out.contains("client:receiver  ack"), "{out}");
    let same = hookbench(&["check", path.to_str().unwrap(), "--baseline", path.to_str().unwrap()]);
    assert_eq!(same.status.code(), Some(0), "{:?}", text(&same));
}

#[test]
fn an_ack_threshold_on_an_endpoint_that_never_answered_2xx_says_why() {
    let run =
        HookRun { scenario: HOOKS, speedup: "1000", drain: "10s", thresholds: &["endpoint.ack_p99<2s"] };
    let HookResult { code, report, stderr, .. } = serve_with_receiver(run, |_| {
        axum::Router::new().route(
            "/webhook",
            axum::routing::post(|| async { axum::http::StatusCode::INTERNAL_SERVER_ERROR }),
        )
    });
    assert_eq!(code, Some(1), "{stderr}");
    let ep = row(&report, "endpoint");
    assert!(ep["failures"]["server_error"].as_u64().unwrap() > 0 && ep["ack_ms"]["p99"].is_null(), "{ep}");
    assert!(
        stderr.contains("endpoint.ack_p99<2s")
            && stderr
                .contains("endpoint has no ack latency: no webhook delivery to it was answered with a 2xx"),
        "{stderr}"
    );
}

#[test]
fn a_receiver_failing_every_third_delivery_shows_failures_and_retries_and_loses_nothing() {
    use std::sync::atomic::{AtomicU64, Ordering};
    // The drain outlasts svix's whole schedule (5s, 5m, 30m, 2h, 5h, 10h, 10h: 27h35m05s, up to
    // 30h20m36s with its 10% jitter), so every event has had all its attempts by the end. At
    // 10,000× that is 11 s of wall time; the 10 m timeout (60 ms of wall time) keeps a slow
    // loopback answer from reading as a timeout.
    let scenario = HOOKS.replace("timeout = \"15s\"", "timeout = \"10m\"");
    assert!(scenario.contains("timeout = \"10m\""));
    let run = HookRun { scenario: &scenario, speedup: "10000", drain: "31h", thresholds: &[] };
    let HookResult { code, report, .. } = serve_with_receiver(run, |_| {
        let n = std::sync::Arc::new(AtomicU64::new(0));
        axum::Router::new().route(
            "/webhook",
            axum::routing::post(move || {
                let n = n.clone();
                async move {
                    if n.fetch_add(1, Ordering::SeqCst) % 3 == 2 {
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        axum::http::StatusCode::NO_CONTENT
                    }
                }
            }),
        )
    });
    assert_eq!(code, Some(0), "{report}");
    let ep = row(&report, "endpoint");
    let total = ep["events"]["total"].as_u64().unwrap();
    let failed = ep["failures"]["server_error"].as_u64().unwrap();
    assert!(failed > 10, "{ep}");
    assert_eq!(ep["webhooks"]["failed"].as_u64().unwrap(), failed, "{ep}");
    let retried = ep["webhooks"]["retried"].as_u64().unwrap();
    assert!(retried > 10 && retried <= failed, "{ep}");
    let delivered = ep["webhooks"]["delivered"].as_u64().unwrap();
    assert_eq!(ep["webhooks"]["attempts"].as_u64().unwrap(), delivered + failed, "{ep}");
    // Nothing lost with the svix preset: every event delivered and detected by its 2xx, none in
    // flight, missed or dead-lettered.
    assert_eq!(ep["webhooks"]["dead_lettered"], 0, "{ep}");
    assert_eq!(
        (
            ep["events"]["detected"].as_u64(),
            ep["events"]["missed"].as_u64(),
            ep["events"]["in_flight"].as_u64()
        ),
        (Some(total), Some(0), Some(0)),
        "{ep}"
    );
    assert_eq!(delivered, total, "{ep}");
    // Its timeline's attempts, retries and failed attempts are the model's, bucket by bucket.
    let sum =
        |k: &str| ep["timeline"][k].as_array().expect(k).iter().map(|v| v.as_u64().unwrap()).sum::<u64>();
    assert_eq!(
        (sum("webhook_attempts"), sum("webhook_retries"), sum("webhook_failed"), sum("happened")),
        (delivered + failed, retried, failed, total),
        "{ep}"
    );
    eprintln!(
        "endpoint: {total} events, {} attempts, {failed} failed, {retried} retried",
        delivered + failed
    );
}

/// A small sim report of `poll` and `webhook`; with `endpoint`, the `webhook` row carries
/// figures of a `serve --report` endpoint row (ack latency, failures by kind).
fn report_with_endpoint(endpoint: bool) -> hookbench::result::report::Report {
    use hookbench::strategy::StrategyKind;
    let s = crate::util::scenario(HOOKS);
    let mut r = crate::util::run(
        &s,
        &[StrategyKind::Poll, StrategyKind::Webhook],
        &[30 * hookbench::support::units::SECOND],
    );
    r.wall_time_s = 0.0;
    if endpoint {
        let ep = r.strategies.iter_mut().find(|s| s.label == "webhook").unwrap();
        ep.ack_ms = Some(hookbench::result::report::LatencyMs {
            mean: Some(120.5),
            p50: Some(100.0),
            p90: Some(180.0),
            p99: Some(250.0),
            p999: Some(300.0),
            max: Some(310.0),
        });
        ep.failures = Some(hookbench::engine::observer::Failures {
            server_error: 7,
            client_error: 1,
            gone: 0,
            timeout: 2,
            refused: 3,
            tls: 4,
        });
    }
    r
}

#[test]
fn csv_and_markdown_show_the_endpoint_ack_latency_and_failures_only_when_there_is_one() {
    use hookbench::{cli::Format, render};
    // Without an endpoint row: the CSV header is exactly the stable one, Markdown one table.
    let plain = report_with_endpoint(false);
    let csv = render::render(&plain, Format::Csv);
    assert_eq!(csv.lines().next().unwrap(), render::csv::HEADER.join(","));
    let md = render::render(&plain, Format::Markdown);
    assert!(!md.contains("| ack |") && !md.contains("webhook endpoint:"), "{md}");

    let r = report_with_endpoint(true);
    let csv = render::render(&r, Format::Csv);
    let mut rd = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    let n = render::csv::HEADER.len();
    assert_eq!(&header[..n], render::csv::HEADER.as_slice(), "the stable columns first, unchanged");
    assert_eq!(&header[n..], render::csv::ENDPOINT_COLUMNS.as_slice());
    let rows: Vec<csv::StringRecord> = rd.records().collect::<Result<_, _>>().unwrap();
    let cell = |label: &str, col: &str| {
        let row = rows.iter().find(|r| &r[3] == label).unwrap();
        row[header.iter().position(|h| h == col).unwrap()].to_string()
    };
    assert_eq!(
        ["ack_mean_ms", "ack_p99_ms", "ack_max_ms"].map(|c| cell("webhook", c)),
        ["120.5", "250", "310"].map(String::from)
    );
    assert_eq!(
        [
            "failures_server_error",
            "failures_client_error",
            "failures_gone",
            "failures_timeout",
            "failures_refused",
            "failures_tls"
        ]
        .map(|c| cell("webhook", c)),
        ["7", "1", "0", "2", "3", "4"].map(String::from)
    );
    assert!(render::csv::ENDPOINT_COLUMNS.iter().all(|c| cell("poll@30s", c).is_empty()), "{csv}");

    // Markdown: a second table, the terminal's endpoint table, with the same cells.
    let md = render::render(&r, Format::Markdown);
    let at = md.find("webhook endpoint: from sending a delivery until its 2xx").expect("the heading");
    let second = &md[at..];
    assert!(second.contains(
        "| ack | mean | p50 | p99 | max | 5xx | 4xx | 410 | timeout | refused | tls | retried | dead |"
    ));
    assert!(second.contains("| :--- | ---: |"), "{second}");
    let line = second.lines().find(|l| l.starts_with("| `webhook`")).expect("the endpoint's line");
    assert!(
        line.starts_with("| `webhook` | 121ms | 100ms | 250ms | 310ms | 7 | 1 | 0 | 2 | 3 | 4 |"),
        "{line}"
    );
    assert!(!second.lines().any(|l| l.starts_with("| `poll@30s`")), "{second}");
}
