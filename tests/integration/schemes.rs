//! Issue 13 items 2–4: every signature scheme end to end (the emitter's deliveries verify in the
//! receiver under the same scheme), `receive` accepting any validly signed sender, and
//! `receive --record` writing a recording that replays as a trace.

use std::net::SocketAddr;

use hookbench::live::clock::{unix_now, Clock};
use hookbench::live::emitter::{attempt, Destination};
use hookbench::live::receiver::{self, ReceiverState};
use hookbench::model::emitter::AttemptOutcome;
use hookbench::model::receiver::Receiver;
use hookbench::model::signature::{Message, Scheme, Secret, SCHEMES};
use hookbench::scenario::{Payload, Scenario};

use crate::util::{hookbench, scenario, start_server, temp_dir, text};

const SPEC_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

async fn spawn(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

fn no_faults() -> Receiver {
    Receiver::new(&scenario("name = \"x\"\n[events]\nrate = \"1/h\"\n").receiver)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scheme_emitter_to_receiver_with_ids_duplicates_and_retries() {
    let body = br#"{"id":"evt_0000000004","type":"order.paid","occurred_at":"2024-05-01T09:00:00Z"}"#;
    let client = reqwest::Client::new();
    for scheme in SCHEMES {
        let secret = scheme.secret(SPEC_SECRET).unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let state = ReceiverState::with_scheme(
            scheme,
            secret.clone(),
            300,
            no_faults(),
            Clock::start(1.0),
            1,
            vec![tx],
        );
        let addr = spawn(receiver::router(state.clone())).await;
        let target =
            Destination { url: format!("http://{addr}/hooks/0"), secret, scheme, payload: Payload::Fat };
        let timeout = std::time::Duration::from_secs(5);
        assert_eq!(
            attempt(&client, &target, "msg_4", 1, body, timeout).await,
            AttemptOutcome::Success,
            "{scheme}"
        );
        assert_eq!(
            attempt(&client, &target, "msg_4", 2, body, timeout).await,
            AttemptOutcome::Success,
            "{scheme}"
        );
        let (first, second) = (rx.recv().await.unwrap(), rx.recv().await.unwrap());
        let expected = match scheme {
            Scheme::Standard | Scheme::Github | Scheme::Shopify => "msg_4".to_string(),
            Scheme::Stripe => "evt_0000000004".to_string(),
            Scheme::Slack => hookbench::model::signature::body_id(body),
        };
        assert_eq!((first.message.as_str(), first.event), (expected.as_str(), Some(4)), "{scheme}");
        assert!(!first.duplicate && second.duplicate, "{scheme}: duplicates by delivery id");
        let stats = state.stats();
        assert_eq!((stats.accepted, stats.duplicates, stats.rejected), (2, 1, 0), "{scheme}");
        // Slack says so (X-Slack-Retry-Num); Standard Webhooks by the repeated webhook-id.
        let says = matches!(scheme, Scheme::Slack | Scheme::Standard);
        assert_eq!(stats.retries, u64::from(says), "{scheme}: retries");
        // The same delivery signed under another scheme is refused.
        let other = if scheme == Scheme::Github { Scheme::Shopify } else { Scheme::Github };
        let wrong = Destination { scheme: other, ..target.clone() };
        assert_eq!(
            attempt(&client, &wrong, "msg_5", 1, body, timeout).await,
            AttemptOutcome::Failure,
            "{scheme}"
        );
        assert_eq!(state.stats().rejected, 1, "{scheme}");
    }
}

/// A Standard Webhooks redelivery after a failed attempt is a retry, not a duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_webhook_id_after_a_fault_is_a_retry() {
    let failing = scenario("name = \"x\"\n[events]\nrate = \"1/h\"\n[receiver]\nfailure_rate = 1.0\n");
    let secret = Secret::parse(SPEC_SECRET).unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let state = ReceiverState::new(
        secret.clone(),
        300,
        Receiver::new(&failing.receiver),
        Clock::start(1.0),
        1,
        vec![tx],
    );
    let addr = spawn(receiver::router(state.clone())).await;
    let target = Destination {
        url: format!("http://{addr}/"),
        secret,
        scheme: Scheme::Standard,
        payload: Payload::Fat,
    };
    let client = reqwest::Client::new();
    for n in 1..=3 {
        let out = attempt(&client, &target, "msg_9", n, b"{}", std::time::Duration::from_secs(5)).await;
        assert_eq!(out, AttemptOutcome::Failure);
    }
    let s = state.stats();
    assert_eq!((s.faulted, s.retries, s.duplicates, s.accepted), (3, 2, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spec_conforming_standard_webhooks_payload_without_hookbench_fields_is_accepted() {
    let secret = Secret::parse(SPEC_SECRET).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let state = ReceiverState::new(secret.clone(), 300, no_faults(), Clock::start(1.0), 1, vec![tx]);
    let addr = spawn(receiver::router(state.clone())).await;
    let body = br#"{"type":"order.paid","timestamp":"2022-11-03T20:26:10.344522Z","data":{"order":"ord_1","amount":1200}}"#;
    let now = unix_now();
    let resp = reqwest::Client::new()
        .post(format!("http://{addr}/anything"))
        .header("webhook-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
        .header("webhook-timestamp", now.to_string())
        .header("webhook-signature", secret.sign("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", now, body))
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap_or_default());
    let d = rx.recv().await.unwrap();
    assert_eq!((d.event, d.message.as_str()), (None, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"));
    assert_eq!(d.verified.timestamp, Some(now));
}

fn post(addr: &str, headers: &[(&'static str, String)], body: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    let mut req =
        format!("POST /hook HTTP/1.1\r\nHost: x\r\nConnection: close\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    conn.write_all(req.as_bytes()).unwrap();
    conn.write_all(body).unwrap();
    let mut resp = String::new();
    conn.read_to_string(&mut resp).unwrap();
    resp
}

#[test]
fn receive_records_any_sender_and_the_recording_replays_as_a_trace() {
    let dir = temp_dir("record");
    let file = dir.join("rec.csv");
    let args = ["--addr", "127.0.0.1:0", "--secret", SPEC_SECRET, "--stop-after", "3s", "--quiet"];
    let (child, mut out, addr) = start_server(
        "receive",
        &[&args[..], &["--record", file.to_str().unwrap(), "--resource", "/data/order"]].concat(),
        &[],
    );
    let secret = Secret::parse(SPEC_SECRET).unwrap();
    let sign = |id: &str, body: &[u8]| {
        Scheme::Standard.sign(&secret, &Message { id, timestamp: unix_now(), attempt: 1, body })
    };
    let spec = br#"{"type":"order.paid","timestamp":"2022-11-03T20:26:10.344522Z","data":{"order":"ord_1"}}"#;
    let plain = b"not json at all";
    assert!(post(&addr, &sign("msg_a", spec), spec).starts_with("HTTP/1.1 204"));
    assert!(post(&addr, &sign("msg_b", plain), plain).starts_with("HTTP/1.1 204"), "any body");
    assert!(post(&addr, &sign("msg_a", spec), spec).starts_with("HTTP/1.1 204"), "a redelivery");
    assert!(post(&addr, &sign("msg_c", plain), b"tampered").starts_with("HTTP/1.1 401"));
    let status = { child }.wait().unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(rest.contains("3 deliveries accepted (2 events, 1 duplicates, 1 retries), 1 rejected"), "{rest}");
    let rec = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = rec.lines().collect();
    assert_eq!(lines[0], "timestamp,arrived,delivery,resource,type,attempt,duplicate,status,event_time");
    assert_eq!(lines.len(), 4, "{rec}");
    let cols = |l: &str| l.split(',').map(str::to_string).collect::<Vec<_>>();
    let (a, b, c) = (cols(lines[1]), cols(lines[2]), cols(lines[3]));
    assert_eq!(&a[2..], ["msg_a", "ord_1", "order.paid", "", "false", "204", "scheme"]);
    assert_eq!(&b[2..], ["msg_b", "", "", "", "false", "204", "scheme"]);
    assert_eq!(&c[2..], ["msg_a", "ord_1", "order.paid", "", "true", "204", "scheme"]);
    assert!(a[0].ends_with('Z') && a[0].len() == "2024-05-01T09:00:00.000000Z".len(), "{}", a[0]);
    // Replayed: one event per delivery id (the duplicate row skipped); b has no resource while a
    // does, so b is a resource of its own.
    let t = hookbench::trace::parse("rec.csv", &rec).unwrap();
    assert_eq!((t.rows_total, t.resources), (2, Some(2)));
}

#[test]
fn without_an_event_time_the_latency_says_so_and_pointers_name_one() {
    let dir = temp_dir("no-event-time");
    let file = dir.join("rec.jsonl");
    let secret = "It's a Secret to Everybody";
    let args =
        ["--addr", "127.0.0.1:0", "--scheme", "github", "--secret", secret, "--stop-after", "2s", "--quiet"];
    let (child, mut out, addr) =
        start_server("receive", &[&args[..], &["--record", file.to_str().unwrap()]].concat(), &[]);
    let s = Scheme::Github.secret(secret).unwrap();
    let body = br#"{"action":"opened"}"#;
    let h = Scheme::Github.sign(&s, &Message { id: "72d3162e", timestamp: 0, attempt: 1, body });
    assert!(post(&addr, &h, body).starts_with("HTTP/1.1 204"));
    assert!({ child }.wait().unwrap().success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(rest.contains("latency: no event time"), "{rest}");
    let row: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&file).unwrap().trim()).unwrap();
    assert_eq!((row["delivery"].as_str(), row["event_time"].as_str()), (Some("72d3162e"), Some("arrival")));
    assert_eq!(row["timestamp"], row["arrived"]);

    // With --event-time, the pointer's time (epoch seconds) is the row's timestamp.
    let file = dir.join("rec2.csv");
    let args2 = [&args[..], &["--event-time", "/created", "--record", file.to_str().unwrap()]].concat();
    let (child, _out, addr) = start_server("receive", &args2, &[]);
    let body = br#"{"created":1700000000}"#;
    let h = Scheme::Github.sign(&s, &Message { id: "d2", timestamp: 0, attempt: 1, body });
    assert!(post(&addr, &h, body).starts_with("HTTP/1.1 204"));
    assert!({ child }.wait().unwrap().success());
    let rec = std::fs::read_to_string(&file).unwrap();
    assert!(rec.lines().nth(1).unwrap().starts_with("2023-11-14T22:13:20.000000Z,"), "{rec}");
    assert!(rec.trim_end().ends_with(",pointer"), "{rec}");
}

#[test]
fn bad_scheme_flags_and_keys_are_one_sentence() {
    let out = hookbench(&["receive", "--scheme", "gitlab", "--secret", "x", "--stop-after", "1s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).1.starts_with(
            "error: --scheme: unknown value `gitlab`; use one of standard, github, stripe, shopify, slack (did you mean `github`?)\n"
        ),
        "{}",
        text(&out).1
    );
    let out =
        hookbench(&["receive", "--event-time", "created", "--secret", SPEC_SECRET, "--stop-after", "1s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("is not a JSON pointer"), "{}", text(&out).1);
    let e =
        Scenario::from_toml("name = \"x\"\n[events]\nrate = \"1/h\"\n[webhook]\nscheme = \"GitHub\"\n", "f")
            .unwrap_err();
    assert!(e.0.contains("`webhook.scheme`") && e.0.contains("unknown signature scheme"), "{e}");
    let s = scenario("name = \"x\"\n[events]\nrate = \"1/h\"\n[webhook]\nscheme = \"stripe\"\n");
    assert_eq!(s.webhook.scheme, Scheme::Stripe);
    assert_eq!(scenario("name = \"x\"\n[events]\nrate = \"1/h\"\n").webhook.scheme, Scheme::Standard);
}

#[test]
fn sign_prints_the_documented_github_example() {
    let dir = temp_dir("sign");
    let body = dir.join("body");
    std::fs::write(&body, "Hello, World!").unwrap();
    let out = hookbench(&[
        "sign",
        "--scheme",
        "github",
        "--secret",
        "It's a Secret to Everybody",
        "--body",
        body.to_str().unwrap(),
        "--id",
        "d-1",
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
    assert_eq!(
        text(&out).0,
        "X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17\nX-GitHub-Delivery: d-1\n"
    );
}

/// The live engine's webhook rows sign and verify under the scenario's scheme: every event of a
/// short run is detected under each non-default scheme.
#[test]
fn the_live_engine_rows_use_the_scenario_scheme() {
    let dir = temp_dir("live-scheme");
    for scheme in ["stripe", "slack"] {
        let file = dir.join(format!("{scheme}.toml"));
        std::fs::write(
            &file,
            format!(
                "name = \"s\"\nduration = \"2m\"\ndrain = \"30s\"\nseed = 3\n[events]\nrate = \"600/h\"\n\
                 [webhook]\ndelay = \"50ms\"\nscheme = \"{scheme}\"\n"
            ),
        )
        .unwrap();
        let out = hookbench(&[
            "compare",
            "--engine",
            "live",
            "--speedup",
            "60",
            "--scenario",
            file.to_str().unwrap(),
            "--strategies",
            "webhook",
            "--format",
            "json",
            "--quiet",
        ]);
        assert!(out.status.success(), "{}", text(&out).1);
        let r: serde_json::Value = serde_json::from_str(&text(&out).0).unwrap();
        let row = &r["strategies"][0]["events"];
        assert!(row["detected"].as_u64().unwrap() > 5, "{scheme}: {row}");
        assert_eq!(row["missed"], 0, "{scheme}: {row}");
        assert_eq!(r["scenario"]["webhook"]["scheme"], scheme);
    }
}

/// `serve` signing under a scenario's `webhook.scheme` → `receive --scheme` of the same name with
/// `--record`: every delivery verifies, carries its event time (hookbench's `occurred_at`), and
/// the recording replays as a trace of as many events as distinct deliveries.
#[test]
fn serve_to_receive_record_under_the_github_scheme() {
    let dir = temp_dir("serve-receive");
    let rec = dir.join("rec.csv");
    let scenario = dir.join("gh.toml");
    std::fs::write(
        &scenario,
        "name = \"gh\"\nduration = \"10m\"\nseed = 5\n[events]\nrate = \"1800/h\"\n\
         [webhook]\ndelay = \"100ms\"\nscheme = \"github\"\n",
    )
    .unwrap();
    let secret = "not a whsec secret";
    let (receiver, mut out, addr) = start_server(
        "receive",
        &["--addr", "127.0.0.1:0", "--scheme", "github", "--secret", secret, "--speedup", "60", "--quiet"]
            .into_iter()
            .chain(["--stop-after", "6s", "--record", rec.to_str().unwrap()])
            .collect::<Vec<_>>(),
        &[],
    );
    let served = hookbench(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--scenario",
        scenario.to_str().unwrap(),
        "--webhook-url",
        &format!("http://{addr}/hook"),
        "--secret",
        secret,
        "--speedup",
        "60",
        "--stop-after",
        "3s",
    ]);
    assert!(served.status.success(), "{}", text(&served).1);
    assert!({ receiver }.wait().unwrap().success());
    let mut summary = String::new();
    std::io::Read::read_to_string(&mut out, &mut summary).unwrap();
    assert!(summary.contains(" 0 rejected"), "{summary}");
    let text = std::fs::read_to_string(&rec).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert!(rows.len() > 20, "{text}");
    assert!(
        rows.iter()
            .all(|r| r[2].starts_with("msg_") && r[6] == "false" && r[7] == "204" && r[8] == "pointer"),
        "{text}"
    );
    let trace = hookbench::trace::parse("rec.csv", &text).unwrap();
    assert_eq!(trace.rows_total, rows.len());
}
