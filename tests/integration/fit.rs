//! `scenarios fit` (issue 13): a recording as `receive --record` writes it becomes a scenario
//! whose webhook delay is the recorded one and whose replay has exactly the recorded events.

use hookbench::model::dist::{Delay, Rng};
use hookbench::support::units::{Micros, MILLI, SECOND};

use crate::bad_input::one_sentence;
use crate::util::{hookbench, rel, start_server, temp_dir, text};

const HEADER: &str = "timestamp,arrived,delivery,resource,type,attempt,duplicate,status,event_time";

fn rfc(us: Micros) -> String {
    humantime::format_rfc3339_micros(std::time::UNIX_EPOCH + std::time::Duration::from_micros(us)).to_string()
}

/// `n` distinct deliveries (no duplicate rows), Poisson at about 1/s from 2026-03-01, each
/// arriving a log-normal (400 ms, 3 s) after its event.
fn recording(n: usize) -> String {
    let delay = Delay::LogNormal { median: 400 * MILLI, p99: 3 * SECOND };
    let mut rng = Rng::new(11, "fit-recording");
    let mut at: Micros = 1_772_323_200 * SECOND;
    let mut s = format!("{HEADER}\n");
    for i in 0..n {
        at += (rng.exponential(1.0) * SECOND as f64) as Micros + 1;
        let arrived = at + delay.sample(&mut rng);
        s += &format!("{},{},msg_{i},ord_{},order.paid,1,false,200,scheme\n", rfc(at), rfc(arrived), i % 50);
    }
    s
}

#[test]
fn a_fitted_recording_keeps_its_delay_and_replays_its_exact_event_count() {
    let dir = temp_dir("fit-roundtrip");
    let rec = dir.join("rec.csv");
    std::fs::write(&rec, recording(3000)).unwrap();
    let out = dir.join("fitted.toml");
    let o = hookbench(&["scenarios", "fit", rec.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o).1);
    let toml_text = std::fs::read_to_string(&out).unwrap();
    assert!(toml_text.contains("trace = \"rec.csv\""), "{toml_text}");
    assert!(toml_text.contains("3000 deliveries"), "{toml_text}");
    let s = hookbench::scenario::Scenario::from_file(&out, &toml_text).unwrap_or_else(|e| panic!("{e}"));
    let Delay::LogNormal { median, p99 } = s.webhook.delay else { panic!("{:?}", s.webhook.delay) };
    assert!(rel(median as f64, 400_000.0) < 0.1, "median {median}");
    assert!(rel(p99 as f64, 3_000_000.0) < 0.1, "p99 {p99}");

    let o = hookbench(&[
        "compare",
        "--scenario",
        out.to_str().unwrap(),
        "--strategies",
        "poll,webhook,hybrid",
        "--format",
        "json",
    ]);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for r in v["strategies"].as_array().unwrap() {
        assert_eq!(r["events"]["total"], 3000, "{}", r["label"]);
    }
}

#[test]
fn a_synthetic_fit_writes_the_recorded_rate_and_no_trace() {
    let dir = temp_dir("fit-synthetic");
    let rec = dir.join("rec.csv");
    std::fs::write(&rec, recording(2000)).unwrap();
    let o = hookbench(&["scenarios", "fit", rec.to_str().unwrap(), "--synthetic"]);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(!stdout.contains("trace ="), "{stdout}");
    let s = hookbench::scenario::Scenario::from_toml(&stdout, "fitted").unwrap_or_else(|e| panic!("{e}"));
    // About one event a second, over the recording's span.
    assert!(rel(s.expected_events(), 2000.0) < 0.01, "{}", s.expected_events());
}

#[test]
fn a_recording_without_event_times_keeps_the_default_delay_and_says_so() {
    let dir = temp_dir("fit-no-times");
    let rec = dir.join("rec.jsonl");
    let row = |i: u32| {
        format!(
            "{{\"timestamp\":\"2026-03-01T00:00:{i:02}.000000Z\",\"arrived\":\"2026-03-01T00:00:{i:02}.000000Z\",\
             \"delivery\":\"d{i}\",\"resource\":\"r\",\"type\":\"t\",\"attempt\":1,\"duplicate\":false,\
             \"status\":200,\"event_time\":\"arrival\"}}\n"
        )
    };
    std::fs::write(&rec, (0..10).map(row).collect::<String>()).unwrap();
    let o = hookbench(&["scenarios", "fit", rec.to_str().unwrap()]);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(stdout.contains("No delivery carried an event time"), "{stdout}");
    assert!(!stdout.contains("delay ="), "{stdout}");
}

#[test]
fn bad_recordings_are_one_sentence() {
    let dir = temp_dir("fit-bad");
    let write = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_string()
    };
    let empty = write("empty.csv", "");
    one_sentence(&["scenarios", "fit", &empty], &["no deliveries"]);
    let header = write("header.csv", "timestamp,arrived\n");
    one_sentence(&["scenarios", "fit", &header], &["no `delivery` column"]);
    let row = write("row.csv", &format!("{HEADER}\n2026-03-01T00:00:00Z,later,a,,t,1,false,200,scheme\n"));
    one_sentence(&["scenarios", "fit", &row], &["line 2", "`arrived`"]);
    let json = write("bad.jsonl", "not json\n");
    one_sentence(&["scenarios", "fit", &json], &["line 1", "not a JSON object"]);
    one_sentence(&["scenarios", "fit", dir.to_str().unwrap()], &["directory"]);
    one_sentence(
        &["scenarios", "fit", dir.join("missing.csv").to_str().unwrap()],
        &["cannot read recording"],
    );
}

#[test]
fn completions_offer_fit_and_its_flags() {
    let (bash, _) = text(&hookbench(&["completions", "bash"]));
    for word in ["fit", "--synthetic", "--output"] {
        assert!(bash.contains(word), "{word}");
    }
}

/// The served scenario of the round trip: 2,400 events or so in 150 s, each delivered a
/// log-normal (5 s, 20 s) after it happens; a receiver that accepts everything.
const SERVED: &str = r#"name = "served"
duration = "150s"
drain = "90s"
seed = 42
[events]
rate = "57600/h"
[webhook]
delay = { median = "5s", p99 = "20s" }
"#;

#[test]
fn serve_then_receive_record_then_fit_then_compare_reproduces_the_served_scenario() {
    const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const SPEEDUP: &str = "20";
    let dir = temp_dir("fit-live-roundtrip");
    let served = dir.join("served.toml");
    std::fs::write(&served, SERVED).unwrap();
    let rec = dir.join("rec.csv");
    // The receiver records in scenario time (`--speedup` as the sender's); it stops by itself
    // at the latest after 60 s, and is stopped once the sender is done.
    let (mut receiver, _, hook) = start_server(
        "receive",
        &[
            "--addr",
            "127.0.0.1:0",
            "--secret",
            SECRET,
            "--speedup",
            SPEEDUP,
            "--record",
            rec.to_str().unwrap(),
            "--quiet",
            "--stop-after",
            "60s",
        ],
        &[],
    );
    // The window and the drain (240 s) take 12 s of wall time at 20×; the report ends the run.
    let report = dir.join("served.json");
    let webhook = format!("http://{hook}/hooks");
    let (mut sender, _, _) = start_server(
        "serve",
        &[
            "--scenario",
            served.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
            "--webhook-url",
            &webhook,
            "--secret",
            SECRET,
            "--speedup",
            SPEEDUP,
            "--report",
            "--output",
            report.to_str().unwrap(),
            "--stop-after",
            "60s",
        ],
        &[],
    );
    assert!(sender.wait().unwrap().success());
    std::thread::sleep(std::time::Duration::from_millis(500));
    let _ = receiver.kill();
    let _ = receiver.wait();
    let scenario = hookbench::scenario::Scenario::from_file(&served, SERVED).unwrap();
    let events = hookbench::model::source::EventLog::generate(&scenario).len();
    let recorded = std::fs::read_to_string(&rec).unwrap();
    assert_eq!(recorded.lines().count(), events + 1, "every served event recorded once");

    let fitted = dir.join("fitted.toml");
    let o = hookbench(&["scenarios", "fit", rec.to_str().unwrap(), "-o", fitted.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o).1);
    let o = hookbench(&[
        "compare",
        "--scenario",
        fitted.to_str().unwrap(),
        "--strategies",
        "webhook",
        "--format",
        "json",
    ]);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let delay = &v["scenario"]["webhook"]["delay"];
    let (median, p99) = (delay["median_s"].as_f64().unwrap(), delay["p99_s"].as_f64().unwrap());
    eprintln!("served {events} events, delay 5 s / 20 s; fitted: median {median} s, p99 {p99} s");
    assert!(rel(median, 5.0) < 0.1, "median {median}");
    assert!(rel(p99, 20.0) < 0.1, "p99 {p99}");
    assert_eq!(v["strategies"][0]["events"]["total"].as_u64(), Some(events as u64));
}
