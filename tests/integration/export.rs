//! `hookbench export locust` (issue 17): the generated locustfile compiles, repeats byte for
//! byte, signs as hookbench signs, and bad input is one sentence with exit 2. The end-to-end run
//! under Locust (master and two workers against `hookbench receive`) is `.ci/locust-check.sh`.

use std::process::{Command, Stdio};

use hookbench::export::locust::signing_section;
use hookbench::model::signature::Secret;

use crate::util::{hookbench, start_server, temp_dir, text};

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
const TS: u64 = 1_649_367_553;
const BODY: &str = r#"{"email":"test@example.com","username":"test_user"}"#;

/// Whether `python3` runs here; if not, the caller skips with the printed reason.
fn python3() -> bool {
    let ok = Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: python3 is not installed (CI has it)");
    }
    ok
}

/// `export locust` of a short bundled run to standard output, with `extra` flags (and the
/// standard test secret unless they give one).
fn export(extra: &[&str]) -> String {
    let mut args = vec!["export", "locust", "--scenario", "payments", "--duration", "2h", "--webhook-url"];
    args.push("http://127.0.0.1:9090/hooks");
    if !extra.contains(&"--secret") {
        args.extend(["--secret", SECRET]);
    }
    args.extend(extra);
    let out = hookbench(&args);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    stdout
}

/// Runs `code` with python3 and returns its standard output.
fn python(code: &str) -> String {
    let out = Command::new("python3").arg("-c").arg(code).output().expect("python3 runs");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "python3 failed: {stderr}");
    stdout.trim().to_string()
}

/// The headers the exported file's `sign` gives for `scheme`, as `name: value` lines.
fn python_headers(file: &str, scheme: &str, secret: &str, id: &str, ts: u64, body: &str) -> String {
    python_headers_at(file, scheme, secret, (id, ts, 1), body)
}

/// The same for attempt `attempt`.
fn python_headers_at(
    file: &str,
    scheme: &str,
    secret: &str,
    (id, ts, attempt): (&str, u64, u32),
    body: &str,
) -> String {
    let section = signing_section(file).expect("the signing section is marked");
    python(&format!(
        "import base64, hashlib, hmac\n{section}\nh = sign({scheme:?}, {secret:?}, {id:?}, {ts}, {body:?}.encode(), {attempt})\n\
         print('\\n'.join(k + ': ' + v for k, v in sorted(h.items())))\n"
    ))
}

#[test]
fn the_python_standard_signature_is_hookbenchs() {
    if !python3() {
        return;
    }
    let file = export(&[]);
    let rust = Secret::parse(SECRET).unwrap().sign(ID, TS, BODY.as_bytes());
    assert_eq!(rust, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=", "the specification's vector");
    let headers = python_headers(&file, "standard", SECRET, ID, TS, BODY);
    assert_eq!(
        headers,
        format!("webhook-id: {ID}\nwebhook-signature: {rust}\nwebhook-timestamp: {TS}"),
        "Python and Rust disagree"
    );
    // Another body, another secret: still the same as the Rust signer.
    let other = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let body = r#"{"id":"evt_0000000007","data":{"note":"xxxx"}}"#;
    let rust = Secret::parse(other).unwrap().sign("msg_0000000007", 1_700_000_000, body.as_bytes());
    let headers = python_headers(&file, "standard", other, "msg_0000000007", 1_700_000_000, body);
    assert!(headers.contains(&format!("webhook-signature: {rust}\n")), "{headers}");
}

#[test]
fn the_python_signer_sends_the_headers_hookbench_sign_prints_for_every_scheme() {
    if !python3() {
        return;
    }
    let file = export(&[]);
    let dir = temp_dir("export-sign");
    let body_path = dir.join("body.json");
    let body = r#"{"id":"evt_0000000042","event_id":"Ev42","type":"order.paid"}"#;
    std::fs::write(&body_path, body).unwrap();
    let schemes = [
        ("standard", SECRET),
        ("github", "It's a Secret to Everybody"),
        ("stripe", "whsec_test_secret_for_stripe_0001"),
        ("shopify", "shpss_test_secret_for_shopify_01"),
        ("slack", "8f742231b10e8888abcd99yyyzzz85a5"),
    ];
    for (scheme, secret) in schemes {
        for attempt in [1u32, 3] {
            let a = attempt.to_string();
            let out = hookbench(&[
                "sign",
                "--scheme",
                scheme,
                "--secret",
                secret,
                "--body",
                body_path.to_str().unwrap(),
                "--id",
                ID,
                "--timestamp",
                &TS.to_string(),
                "--attempt",
                &a,
            ]);
            let (stdout, stderr) = text(&out);
            assert_eq!(out.status.code(), Some(0), "{scheme}: {stderr}");
            let mut rust: Vec<&str> = stdout.lines().collect();
            rust.sort_unstable();
            let py = python_headers_at(&file, scheme, secret, (ID, TS, attempt), body);
            assert_eq!(
                py,
                rust.join("\n"),
                "{scheme} attempt {attempt}: Python and `hookbench sign` disagree"
            );
        }
    }
}

#[test]
fn the_python_github_signature_passes_githubs_published_example() {
    if !python3() {
        return;
    }
    // GitHub's documentation: secret "It's a Secret to Everybody", body "Hello, World!".
    let file = export(&[]);
    let headers = python_headers(&file, "github", "It's a Secret to Everybody", "d1", 0, "Hello, World!");
    assert!(headers.contains(
        "X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    ));
}

#[test]
fn the_file_compiles_and_the_same_scenario_and_seed_give_the_same_bytes() {
    let a = export(&["--seed", "3"]);
    assert_eq!(a, export(&["--seed", "3"]), "same scenario and seed, different bytes");
    assert_ne!(a, export(&["--seed", "4"]), "the seed changes the event stream");
    let polled = export(&["--pollers", "2", "--api", "http://127.0.0.1:8080", "--interval", "10s"]);
    assert!(polled.contains("POLLERS = 2\n") && polled.contains("POLL_INTERVAL_S = 10.0\n"));
    if !python3() {
        return;
    }
    let dir = temp_dir("export-compile");
    for (name, text) in [("plain.py", &a), ("polled.py", &polled)] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let out = Command::new("python3").arg("-m").arg("py_compile").arg(&path).output().unwrap();
        assert!(out.status.success(), "{name}: {}", text_of(&out.stderr));
    }
    // -o writes the same bytes as standard output.
    let path = dir.join("out.py");
    let out = hookbench(&[
        "export",
        "locust",
        "-s",
        "payments",
        "-d",
        "2h",
        "--seed",
        "3",
        "--webhook-url",
        "http://127.0.0.1:9090/hooks",
        "--secret",
        SECRET,
        "-o",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), a);
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn bad_input_is_one_sentence_and_exit_2() {
    let base = ["export", "locust", "-s", "payments", "-d", "1h"];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--webhook-url", "http://127.0.0.1:1/", "--secret", SECRET, "--scheme", "paypal"],
            "unknown value `paypal`",
        ),
        (vec!["--webhook-url", "ftp://127.0.0.1/hooks", "--secret", SECRET], "not an HTTP URL"),
        (vec!["--webhook-url", "127.0.0.1:9090", "--secret", SECRET], "not an HTTP URL"),
        (vec!["--webhook-url", "http://", "--secret", SECRET], "not an HTTP URL"),
        // The old spelling, still accepted for one release, means the same flag.
        (vec!["--target", "http://", "--secret", SECRET], "--webhook-url `http://` is not an HTTP URL"),
        (vec!["--secret", SECRET], "needs --webhook-url"),
        (vec!["--webhook-url", "http://127.0.0.1:1/"], "needs a signing secret"),
        (
            vec!["--webhook-url", "http://127.0.0.1:1/", "--scheme", "github", "--secret", " "],
            "needs a signing secret",
        ),
        (vec!["--webhook-url", "http://127.0.0.1:1/", "--secret", "hunter2"], "whsec_"),
        (vec!["--webhook-url", "http://127.0.0.1:1/", "--secret", SECRET, "--pollers", "2"], "needs --api"),
        (
            vec!["--webhook-url", "http://127.0.0.1:1/", "--secret", SECRET, "--api", "http://127.0.0.1:2"],
            "--pollers",
        ),
        (vec!["--webhook-url", "http://127.0.0.1:1/", "--secret", SECRET, "--speedup", "0"], "out of range"),
    ];
    for (extra, needle) in cases {
        let mut args = base.to_vec();
        args.extend(&extra);
        let out = Command::new(env!("CARGO_BIN_EXE_hookbench"))
            .args(&args)
            .env_remove("HOOKBENCH_SECRET")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stdout.is_empty(), "{extra:?}: {stdout}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{extra:?}: {stderr}");
        assert!(stderr.contains(needle), "{extra:?}: {stderr}");
        assert!(!stderr.contains("hunter2"), "the secret is never echoed");
    }
}

#[test]
fn an_export_beyond_the_stated_size_is_refused() {
    let out = hookbench(&[
        "export",
        "locust",
        "-s",
        "payments",
        "-d",
        "366d",
        "--webhook-url",
        "http://127.0.0.1:1/",
        "--secret",
        SECRET,
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("more than the 1000000 a locustfile may embed"), "{stderr}");
}

/// Signs one fixed JSON delivery with the exported file's `sign` under `scheme` and POSTs it to
/// `hookbench receive --scheme SCHEME`; the receiver must accept it.
fn receive_accepts_python_signed(scheme: &str, secret: &str) {
    if !python3() {
        return;
    }
    let file = export(&["--scheme", scheme, "--secret", secret]);
    let section = signing_section(&file).unwrap();
    let mut args = vec!["--addr", "127.0.0.1:0", "--secret", secret, "--quiet", "--stop-after", "30s"];
    if scheme != "standard" {
        args.extend(["--scheme", scheme]);
    }
    let (mut child, _out, addr) = start_server("receive", &args, &[]);
    let status = python(&format!(
        "import base64, hashlib, hmac, time, urllib.request\n{section}\n\
         body = b'{{\"id\":\"evt_0000000001\",\"type\":\"payment.paid\",\"occurred_at\":\"2026-01-01T00:00:00.000Z\"}}'\n\
         h = sign({scheme:?}, {secret:?}, 'msg_0000000001', int(time.time()), body)\n\
         h['content-type'] = 'application/json'\n\
         r = urllib.request.urlopen(urllib.request.Request('http://{addr}/hooks', data=body, headers=h, method='POST'))\n\
         print(r.status)\n"
    ));
    let _ = child.kill();
    let _ = child.wait();
    assert!(status.starts_with('2'), "receive --scheme {scheme} answered {status}");
}

#[test]
fn the_python_standard_signature_verifies_in_hookbench_receive() {
    receive_accepts_python_signed("standard", SECRET);
}

#[test]
fn the_python_github_signature_verifies_in_hookbench() {
    receive_accepts_python_signed("github", "It's a Secret to Everybody");
}

#[test]
fn the_python_stripe_signature_verifies_in_hookbench() {
    receive_accepts_python_signed("stripe", "whsec_test_secret_for_stripe_0001");
}

#[test]
fn the_python_shopify_signature_verifies_in_hookbench() {
    receive_accepts_python_signed("shopify", "shpss_test_secret_for_shopify_01");
}

#[test]
fn the_python_slack_signature_verifies_in_hookbench() {
    receive_accepts_python_signed("slack", "8f742231b10e8888abcd99yyyzzz85a5");
}

#[test]
fn without_scheme_the_export_signs_as_the_scenario_does() {
    // The Stripe profile signs with `stripe`: a Stripe secret is enough, no --scheme needed.
    let out = hookbench(&[
        "export",
        "locust",
        "-s",
        "stripe",
        "-d",
        "1h",
        "--webhook-url",
        "http://127.0.0.1:1/",
        "--secret",
        "whsec_test_secret_for_stripe_0001",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("SCHEME = \"stripe\"\n"), "{}", &stdout[..400.min(stdout.len())]);
    // --scheme still wins, and a scenario without one signs with standard.
    let file = export(&["--scheme", "github", "--secret", "It's a Secret to Everybody"]);
    assert!(file.contains("SCHEME = \"github\"\n"));
    assert!(export(&[]).contains("SCHEME = \"standard\"\n"));
}

#[test]
fn completions_and_help_offer_export_locust_and_its_flags() {
    let out = hookbench(&["completions", "bash"]);
    let (script, _) = text(&out);
    for word in ["export", "locust", "--scheme", "--webhook-url", "--pollers", "--api"] {
        assert!(script.contains(word), "bash completions lack {word}");
    }
    let (help, _) = text(&hookbench(&["export", "locust", "--help"]));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("[possible values: standard, github, stripe, shopify, slack]"), "{help}");
}

/// A scenario with an exact retry schedule (no jitter), for the replay logic's test.
const SHORT: &str = r#"name = "short"
duration = "1h"
seed = 5
[events]
rate = "200/h"
resources = 7
resource_type = "order"
states = ["created", "paid", "shipped"]
payload_bytes = 64
[webhook]
retry = ["1s", "2s"]
jitter = 0.0
delay = "0s"
"#;

#[test]
fn the_replay_shares_the_ids_keeps_the_stream_and_retries_on_the_schedule() {
    if !python3() {
        return;
    }
    let dir = temp_dir("export-replay");
    let scenario = dir.join("short.toml");
    std::fs::write(&scenario, SHORT).unwrap();
    let out = hookbench(&[
        "export",
        "locust",
        "-s",
        scenario.to_str().unwrap(),
        "--webhook-url",
        "http://127.0.0.1:1/",
        "--secret",
        SECRET,
        "--speedup",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out.stderr));
    let file = text_of(&out.stdout);
    // The part above the Locust marker is the standard library alone: run it without Locust.
    let (pure, rest) = file.split_once("# --- Locust: from here on ---").expect("the Locust marker");
    assert!(!pure.contains("import gevent") && rest.contains("from locust import"));
    let path = dir.join("pure.py");
    std::fs::write(&path, pure).unwrap();
    let script = format!(
        "exec(open({path:?}).read())\n{}",
        r#"
import json
a, b, c = Book(0, 3, 1000.0), Book(1, 3, 1000.0), Book(2, 3, 1000.0)
ids = sorted(list(a.ids) + list(b.ids) + list(c.ids))
assert ids == list(range(EVENTS_TOTAL)), "every id once, across the shares"
book = Book(0, 1, 1000.0)
first = book.wall(AT_US[0])
assert first == 1000.0 + AT_US[0] / 2e6, "scenario time runs at the speed-up"
job, wait = book.take(first - 0.5)
assert job is None and 0 < wait <= 0.5, (job, wait)
assert book.take(first)[0] == (0, 1)
book.in_flight = 10
book.end(0, 1, "failed", None, 5000.0)
assert book.retries == [(5000.5, 0, 2)], book.retries
book.retries.clear()
book.end(0, 2, "failed", None, 6000.0)
assert book.retries == [(6001.0, 0, 3)], book.retries
book.retries.clear()
book.end(0, 3, "failed", None, 7000.0)
assert book.retries == [] and book.counts["dead_lettered"] == 1, "dead-lettered after the schedule"
book.end(1, 1, "throttled", 30.0, 8000.0)
assert book.retries == [(8015.0, 1, 2)], "Retry-After beyond the schedule is honoured, compressed"
book.retries.clear()
book.end(1, 1, "throttled", 0.2, 8000.0)
assert book.retries == [(8000.5, 1, 2)], "never sooner than the schedule"
book.end(2, 1, "ok", None, 8000.0)
assert book.counts["delivered"] == 1 and book.counts["failed"] == 5
book.end(3, 1, "gone", None, 9000.0)
assert book.disabled and book.counts["dead_lettered"] == 2
for eid in range(EVENTS_TOTAL):
    doc = json.loads(body_of(eid, 1000.0 + AT_US[eid] / 1e6))
    assert list(doc) == ["id", "type", "resource_id", "version", "state", "occurred_at", "occurred_at_us", "data"]
    assert len(doc["data"]["note"]) == PAYLOAD_BYTES
    print(doc["id"], doc["type"], doc["resource_id"], doc["version"], doc["occurred_at_us"])
"#
    );
    let printed = python(&script);
    let s = hookbench::scenario::Scenario::from_file(&scenario, SHORT).unwrap();
    let log = hookbench::model::source::EventLog::generate(&s);
    use hookbench::live::json::{event_id, event_type, resource_id};
    let expected: Vec<String> = (0..log.len() as u32)
        .map(|id| {
            let e = log.get(id);
            format!(
                "{} {} {} {} {}",
                event_id(id),
                event_type(&s, &log, id),
                resource_id(e.resource),
                e.version,
                e.at
            )
        })
        .collect();
    assert!(log.len() > 100, "{}", log.len());
    assert_eq!(printed.lines().collect::<Vec<_>>(), expected, "the Python bodies are not hookbench's events");
}

/// Exports `scenario` (a TOML text, with `files` beside it) at `speedup` and returns the part of
/// the file above the Locust marker, which runs on the standard library alone.
fn pure_part(name: &str, scenario: &str, files: &[(&str, &str)], speedup: &str) -> std::path::PathBuf {
    let dir = temp_dir(name);
    let path = dir.join("scenario.toml");
    std::fs::write(&path, scenario).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    let out = hookbench(&[
        "export",
        "locust",
        "-s",
        path.to_str().unwrap(),
        "--webhook-url",
        "http://127.0.0.1:1/",
        "--secret",
        SECRET,
        "--speedup",
        speedup,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out.stderr));
    let file = text_of(&out.stdout);
    let (pure, _) = file.split_once("# --- Locust: from here on ---").expect("the Locust marker");
    let pure_path = dir.join("pure.py");
    std::fs::write(&pure_path, pure).unwrap();
    pure_path
}

/// Python that drives one process's `Book`s on a simulated wall clock: every attempt is answered
/// `outcome(eid, attempt)` at once; `sent` collects (scenario µs of the send, event, attempt).
const DRIVE: &str = r#"
def drive(books, outcome, limit=1e7):
    sent = []
    now = 1000.0
    while not all(b.settled() for b in books):
        waits = []
        for b in books:
            job, wait = b.take(now)
            if job is None:
                waits.append(wait)
                continue
            eid, attempt = job
            sent.append((b.scenario_us(now), eid, attempt))
            b.end(eid, attempt, outcome(eid, attempt), None, now)
            waits.append(0.0)
        now += max(min(waits), 1e-6)
        assert now < limit, "the replay does not settle"
    return sent
"#;

/// 1,000 events in one second, at 10 ms of scenario time from the start.
fn burst_trace() -> String {
    let mut t = String::from("at\n");
    for i in 0..1000 {
        t += &format!("{:.6}\n", 10.0 + i as f64 * 0.000_999);
    }
    t
}

#[test]
fn the_replay_paces_sends_at_the_providers_throughput_split_across_workers() {
    if !python3() {
        return;
    }
    let scenario = "name = \"burst\"\nduration = \"1h\"\nseed = 1\n[events]\ntrace = \"burst.csv\"\n\
                    [webhook]\nretry = [\"1s\"]\njitter = 0.0\ndelay = \"0s\"\nthroughput = \"10/s\"\nmax_in_flight = 5\n";
    let pure = pure_part("export-pace", scenario, &[("burst.csv", &burst_trace())], "1000");
    let script = format!(
        "exec(open({pure:?}).read())\n{DRIVE}\n{}",
        r#"
assert EVENTS_TOTAL == 1000 and SEND_GAP_US == 100000 and MAX_IN_FLIGHT == 5
ok = lambda eid, attempt: "ok"
for count in (1, 2, 3):
    books = [Book(i, count, 1000.0) for i in range(count)]
    assert sum(b.max_in_flight for b in books) == 5, [b.max_in_flight for b in books]
    sent = drive(books, ok)
    firsts = sorted(t for t, _, a in sent if a == 1)
    assert len(firsts) == 1000
    start = AT_US[0]
    print(count, round((firsts[-1] - start) / 1e6, 3), round((firsts[1] - firsts[0]) / 1e6, 3))
    assert firsts[-1] - start >= 99e6, (count, firsts[-1] - start)
assert [b.max_in_flight for b in (Book(i, 10, 0.0) for i in range(10))] == [1] * 10, "at least 1"
assert [Book(i, 3, 0.0).max_in_flight for i in range(3)] == [2, 2, 1]
"#
    );
    let printed = python(&script);
    eprintln!("workers, last first attempt (s after the burst start), first gap (s):\n{printed}");
    for line in printed.lines() {
        let last: f64 = line.split(' ').nth(1).unwrap().parse().unwrap();
        assert!((99.0..101.0).contains(&last), "{line}");
    }
}

#[test]
fn the_replay_holds_attempts_due_in_a_provider_outage_without_advancing_the_schedule() {
    if !python3() {
        return;
    }
    let scenario = "name = \"held\"\nduration = \"1h\"\nseed = 2\n[events]\ntrace = \"t.csv\"\n\
                    [webhook]\nretry = [\"10s\", \"10s\"]\njitter = 0.0\ndelay = \"0s\"\n\
                    outages = [{ at = \"1m\", duration = \"5m\" }]\n";
    // Event 0 before the outage (its first attempt fails, the retry falls due inside it), event
    // 1 inside it, event 2 after it.
    let trace = "at\n50\n120\n400\n";
    let pure = pure_part("export-held", scenario, &[("t.csv", trace)], "100");
    let script = format!(
        "exec(open({pure:?}).read())\n{DRIVE}\n{}",
        r#"
assert OUTAGES_US == [(60000000, 300000000)]
fail_first = lambda eid, attempt: "failed" if (eid, attempt) == (0, 1) else "ok"
book = Book(0, 1, 1000.0)
sent = drive([book], fail_first)
got = [(round(t / 1e6, 3), eid, attempt) for t, eid, attempt in sent]
print(got)
assert got == [(50.0, 0, 1), (360.0, 0, 2), (360.0, 1, 1), (400.0, 2, 1)], got
assert book.counts["held"] == 2 and book.counts["delivered"] == 3 and book.counts["dead_lettered"] == 0
"#
    );
    python(&script);
}

#[test]
fn the_replay_adds_the_providers_delay_to_every_attempt() {
    if !python3() {
        return;
    }
    let scenario = "name = \"late\"\nduration = \"1h\"\nseed = 3\n[events]\ntrace = \"t.csv\"\n\
                    [webhook]\nretry = [\"10s\"]\njitter = 0.0\ndelay = { median = \"2s\", p99 = \"8s\" }\n";
    let mut trace = String::from("at\n");
    for i in 0..2000 {
        trace += &format!("{}\n", i);
    }
    let pure = pure_part("export-delay", scenario, &[("t.csv", &trace)], "1000");
    let script = format!(
        "exec(open({pure:?}).read())\n{DRIVE}\n{}",
        r#"
import statistics
assert (DELAY, DELAY_US, DELAY_P99_US) == ("lognormal", 2000000, 8000000)
sent = drive([Book(0, 1, 1000.0)], lambda eid, attempt: "ok")
lag = sorted((t - AT_US[eid]) / 1e6 for t, eid, _ in sent)
median, p99 = statistics.median(lag), lag[int(0.99 * len(lag))]
print(round(median, 2), round(p99, 2))
assert 1.8 < median < 2.2 and 6.5 < p99 < 9.5, (median, p99)
assert [delay_us(7, 1)] * 2 == [delay_us(7, 1), delay_us(7, 1)] and delay_us(7, 1) != delay_us(7, 2)
"#
    );
    python(&script);
}
