//! `serve` and `receive` under hostile and unusual clients (issue 11): silent, half-sent and idle
//! connections, redirects, proxies, huge headers values, many clients, loopback spelled
//! otherwise, conditional requests and the one error shape. Traffic stays on loopback; every
//! wait is bounded, and no wall-clock time is asserted as a performance figure.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::util::{hookbench, start_server, text};

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// How long a test waits for an answer that must come: a guard against hanging, not a measure.
const GUARD: Duration = Duration::from_secs(20);

/// Reads one HTTP/1.1 answer (head and a `Content-Length` body) without waiting for the close.
fn read_response(s: &mut TcpStream) -> String {
    s.set_read_timeout(Some(GUARD)).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string())
                })
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return text;
            }
        }
        match s.read(&mut chunk) {
            Ok(0) => return String::from_utf8_lossy(&buf).to_string(),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => panic!("no answer within {GUARD:?}: {e}; got {:?}", String::from_utf8_lossy(&buf)),
        }
    }
}

/// Sends a request that closes the connection after its answer, and reads the answer.
fn request(addr: &str, head: &str, body: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "{head}\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}", body.len())
        .unwrap();
    read_response(&mut s)
}

/// Whether the server closed `s` (end of stream or a reset) within the guard.
pub fn closed_by_server(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(GUARD)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => {
                return !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
            }
        }
    }
}

#[test]
fn silent_connections_at_the_cap_do_not_lock_out_a_fresh_client() {
    let (mut child, _out, addr) = start_server(
        "serve",
        &[
            "--addr",
            "127.0.0.1:0",
            "--max-connections",
            "5",
            "--header-timeout",
            "500ms",
            "--stop-after",
            "60s",
        ],
        &[],
    );
    // Five connections take every slot: three silent, one with part of the HTTP/2 preface, one
    // with half a request head.
    let mut silent: Vec<TcpStream> = (0..5).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    silent[3].write_all(b"PRI * HTTP/2.0\r\n").unwrap();
    silent[4].write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n").unwrap();
    // A fresh client waits in the backlog until the header timeout frees a slot, then is served.
    let answer = request(&addr, "GET /openapi.json HTTP/1.1", "");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    for (i, s) in silent.iter_mut().enumerate() {
        assert!(closed_by_server(s), "silent connection {i} was not cut off");
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn an_unfinished_body_or_chunked_stream_does_not_hold_the_receiver() {
    let (mut child, _out, addr) = start_server(
        "receive",
        &[
            "--addr",
            "127.0.0.1:0",
            "--secret",
            SECRET,
            "--max-connections",
            "2",
            "--body-timeout",
            "500ms",
            "--stop-after",
            "60s",
            "--quiet",
        ],
        &[],
    );
    let mut short = TcpStream::connect(&addr).unwrap();
    write!(short, "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{\"id\":").unwrap();
    let mut chunked = TcpStream::connect(&addr).unwrap();
    write!(chunked, "POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{{\"id\r\n")
        .unwrap();
    // Both slots are taken; a fresh (unsigned) delivery is answered once the body timeout frees
    // one.
    let answer = request(&addr, "POST /hook HTTP/1.1", "{}");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("\"error\""), "{answer}");
    for s in [&mut short, &mut chunked] {
        let answer = read_response(s);
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(closed_by_server(s));
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let (mut child, _out, addr) = start_server(
        "serve",
        &[
            "--addr",
            "127.0.0.1:0",
            "--max-connections",
            "1",
            "--header-timeout",
            "1h",
            "--idle-timeout",
            "500ms",
            "--stop-after",
            "60s",
        ],
        &[],
    );
    let mut idle = TcpStream::connect(&addr).unwrap();
    write!(idle, "GET /events?limit=1 HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let answer = read_response(&mut idle);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The kept-alive connection holds the only slot until it has idled for the idle timeout.
    let answer = request(&addr, "GET /openapi.json HTTP/1.1", "");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(closed_by_server(&mut idle));
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn server_limits_out_of_range_exit_2_with_one_sentence() {
    for (flag, value) in [
        ("--max-connections", "18446744073709551615"),
        ("--max-connections", "100001"),
        ("--max-connections", "0"),
        ("--max-connections", "99999999999999999999999"),
        ("--header-timeout", "0s"),
        ("--body-timeout", "0s"),
        ("--idle-timeout", "soon"),
    ] {
        for cmd in ["serve", "receive"] {
            let out = hookbench(&[
                cmd,
                "--addr",
                "127.0.0.1:0",
                "--secret",
                SECRET,
                flag,
                value,
                "--stop-after",
                "1s",
            ]);
            let (_, stderr) = text(&out);
            assert_eq!(out.status.code(), Some(2), "{cmd} {flag} {value}: {stderr}");
            assert!(stderr.contains(flag) && !stderr.contains("panicked"), "{cmd} {flag} {value}: {stderr}");
        }
    }
}

#[test]
fn loopback_spelled_as_a_name_or_v4_mapped_is_loopback() {
    for addr in ["localhost:0", "[::ffff:127.0.0.1]:0"] {
        let out = hookbench(&["serve", "--addr", addr, "--stop-after", "500ms"]);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{addr}: {stderr}");
        assert!(stdout.contains("listening on http://"), "{addr}: {stdout}");
        assert!(!stderr.contains("warning"), "{addr} is loopback: {stderr}");
    }
    let out = hookbench(&["serve", "--addr", "[::ffff:10.0.0.1]:0", "--stop-after", "500ms"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("not a loopback address"), "{}", text(&out).1);
    let out = hookbench(&["serve", "--addr", "localhost", "--stop-after", "500ms"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("not an address"), "{}", text(&out).1);
}

/// The `webhooks: …` figures of `serve`'s summary line: attempts and delivered.
pub fn webhook_summary(stdout: &str) -> (u64, u64) {
    let part = stdout.split("webhooks: ").nth(1).unwrap_or_else(|| panic!("no webhook summary in {stdout}"));
    let words: Vec<&str> = part.split_whitespace().map(|w| w.trim_end_matches(',')).collect();
    let n = |what: &str| {
        words
            .windows(2)
            .find(|w| w[1] == what)
            .and_then(|w| w[0].parse().ok())
            .unwrap_or_else(|| panic!("{part}"))
    };
    (n("attempts"), n("delivered"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_failed_attempts_never_followed() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    // Where a followed redirect would land: it counts every request.
    let landed = Arc::new(AtomicU64::new(0));
    let l = landed.clone();
    let sink = axum::Router::new().fallback(move || {
        let l = l.clone();
        async move {
            l.fetch_add(1, Ordering::SeqCst);
            axum::http::StatusCode::NO_CONTENT
        }
    });
    let sink_addr = spawn(sink).await;
    // The webhook URL answers 301 and 307 in turn, pointing at the sink.
    let seen = Arc::new(AtomicU64::new(0));
    let s = seen.clone();
    let redirecting = axum::Router::new().fallback(move || {
        let s = s.clone();
        async move {
            let n = s.fetch_add(1, Ordering::SeqCst);
            let code = if n.is_multiple_of(2) { 301 } else { 307 };
            axum::http::Response::builder()
                .status(code)
                .header("location", format!("http://{sink_addr}/stolen"))
                .body(axum::body::Body::empty())
                .unwrap()
        }
    });
    let hook = spawn(redirecting).await;
    let url = format!("http://{hook}/hook");
    let out = tokio::task::spawn_blocking(move || {
        hookbench(&[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--webhook-url",
            &url,
            "--secret",
            SECRET,
            "--speedup",
            "200",
            "--stop-after",
            "3s",
        ])
    })
    .await
    .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let (attempts, delivered) = webhook_summary(&stdout);
    assert!(attempts >= 2 && seen.load(Ordering::SeqCst) >= 2, "{stdout}");
    assert_eq!(delivered, 0, "a 3xx is not a delivery: {stdout}");
    assert_eq!(landed.load(Ordering::SeqCst), 0, "a redirect was followed");
}

async fn spawn(router: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

#[test]
fn proxy_variables_do_not_hijack_loopback_traffic() {
    // A proxy that is not there: any request sent through it fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let proxy = format!("http://{closed}");
    let vars = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"];
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hookbench"))
        .args(["compare", "--engine", "live", "--speedup", "2000", "--duration", "10m"])
        .args(["--strategies", "poll,webhook", "--format", "json"])
        .envs(vars.iter().map(|v| (v, proxy.as_str())))
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for r in v["strategies"].as_array().unwrap() {
        let e = &r["events"];
        assert!(e["total"].as_u64().unwrap() > 0);
        assert_eq!(e["detected"], e["total"], "{}: {e}", r["label"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_table_stays_bounded_however_many_keys_call() {
    use hookbench::live::clock::Clock;
    use hookbench::live::source::{self, SourceState};
    use hookbench::model::source::EventLog;
    use std::sync::Arc;
    let c = reqwest::Client::new();
    let get = |addr: std::net::SocketAddr, key: String| {
        c.get(format!("http://{addr}/events?limit=1")).header("x-api-key", key).send()
    };
    let remaining = |r: &reqwest::Response| -> u64 {
        r.headers()["x-ratelimit-remaining"].to_str().unwrap().parse().unwrap()
    };
    // Windows of an hour at real time: no client's window ends during the test, so past the
    // cap new keys share the anonymous quota.
    let s = Arc::new(crate::util::scenario(
        "name = \"clients\"\nduration = \"1h\"\n[events]\nrate = \"60/h\"\n[api]\nrtt = \"0s\"\nrate_limit = \"1000/h\"\n",
    ));
    let log = Arc::new(EventLog::generate(&s));
    let state = SourceState::with_max_clients(s.clone(), log.clone(), Clock::start(1.0), 50);
    let addr = spawn(source::router(state.clone())).await;
    for i in 0..50 {
        let r = get(addr, format!("key-{i}")).await.unwrap();
        assert_eq!(remaining(&r), 999, "key-{i} has its own quota");
    }
    let mut shared = Vec::new();
    for i in 50..120 {
        shared.push(remaining(&get(addr, format!("key-{i}")).await.unwrap()));
    }
    assert_eq!(shared, (0..70).map(|n| 999 - n).collect::<Vec<_>>(), "keys past the cap share one quota");
    assert_eq!(state.clients(), 51, "50 keys and anonymous");
    // A known key keeps its own quota.
    assert_eq!(remaining(&get(addr, "key-7".into()).await.unwrap()), 998);

    // Windows of a second at a thousandfold speed-up: windows end within milliseconds, and the
    // clients whose window ended make room for new keys.
    let s = Arc::new(crate::util::scenario(
        "name = \"clients\"\nduration = \"1h\"\n[events]\nrate = \"60/h\"\n[api]\nrtt = \"0s\"\nrate_limit = \"1000/s\"\n",
    ));
    let log = Arc::new(EventLog::generate(&s));
    let state = SourceState::with_max_clients(s, log, Clock::start(1000.0), 50);
    let addr = spawn(source::router(state.clone())).await;
    for i in 0..500 {
        let r = get(addr, format!("key-{i}")).await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(state.clients() <= 51, "{} clients tracked after {i} keys", state.clients());
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    let r = get(addr, "key-new".into()).await.unwrap();
    assert_eq!(remaining(&r), 999, "a new key gets its own quota once old windows are over");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_none_match_star_lists_and_weak_tags_get_304() {
    use hookbench::live::clock::Clock;
    use hookbench::live::source::{self, SourceState};
    use hookbench::model::source::EventLog;
    use std::sync::Arc;
    // One event an hour at real time: the page does not change during the test.
    let s = Arc::new(crate::util::scenario(
        "name = \"inm\"\nduration = \"1h\"\n[events]\nrate = \"1/h\"\n[api]\nrtt = \"0s\"\n",
    ));
    let log = Arc::new(EventLog::generate(&s));
    let addr = spawn(source::router(SourceState::new(s, log, Clock::start(1.0)))).await;
    let c = reqwest::Client::new();
    let url = format!("http://{addr}/events?limit=5");
    let first = c.get(&url).send().await.unwrap();
    let tag = first.headers()["etag"].to_str().unwrap().to_string();
    let weak = format!("W/{tag}");
    let list = format!("\"x\", W/\"0000000000000000\", {tag}");
    let cases: [(&[&str], u16); 8] = [
        (&["*"], 304),
        (&[&list], 304),
        (&["\"x\"", &tag], 304),
        (&[&weak], 304),
        (&[&tag], 304),
        (&["\"x\", \"y\""], 200),
        (&["\"0000000000000000\""], 200),
        (&["not a tag"], 200),
    ];
    for (lines, want) in cases {
        let mut rb = c.get(&url);
        for l in lines {
            rb = rb.header("if-none-match", *l);
        }
        let r = rb.send().await.unwrap();
        assert_eq!(r.status().as_u16(), want, "If-None-Match: {lines:?}");
        if want == 304 {
            assert_eq!(r.headers()["etag"].to_str().unwrap(), tag);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_receiver_error_is_json_and_a_large_body_is_a_counted_rejection() {
    use axum::body::Body;
    use hookbench::live::clock::Clock;
    use hookbench::live::receiver::{self, ReceiverState, MAX_BODY};
    use hookbench::model::receiver::Receiver;
    use hookbench::model::signature::Secret;
    use tower::ServiceExt;
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let faults = Receiver::new(&crate::util::scenario("name = \"r\"\n[events]\nrate = \"1/h\"\n").receiver);
    let state =
        ReceiverState::new(Secret::parse(SECRET).unwrap(), 300, faults, Clock::start(1.0), 1, vec![tx]);
    let router = receiver::router(state.clone());
    let call = |req: axum::http::Request<Body>| {
        let router = router.clone();
        async move {
            let r = router.oneshot(req).await.unwrap();
            let (parts, body) = r.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_else(|_| {
                panic!("{} is not JSON: {:?}", parts.status, String::from_utf8_lossy(&body))
            });
            assert_eq!(json["error"]["status"], parts.status.as_u16(), "{json}");
            (parts.status.as_u16(), parts.headers)
        }
    };
    let post = |uri: &str| axum::http::Request::post(uri.to_string());
    let huge = vec![b'x'; MAX_BODY + 1];
    // Declared too large, and sent chunked without a length.
    let (code, _) =
        call(post("/hooks/0").header("content-length", huge.len()).body(Body::from(huge.clone())).unwrap())
            .await;
    assert_eq!(code, 413);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        huge.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let (code, _) =
        call(post("/any/path").body(Body::from_stream(futures_util::stream::iter(chunks))).unwrap()).await;
    assert_eq!(code, 413);
    assert_eq!(state.stats().rejected, 2, "a body over 1 MiB is a rejected delivery");
    // Other refusals keep the same shape.
    let (code, headers) = call(axum::http::Request::get("/hooks/0").body(Body::empty()).unwrap()).await;
    assert_eq!((code, headers["allow"].to_str().unwrap()), (405, "POST"));
    let (code, _) = call(post("/hooks/nope").body(Body::from("{}")).unwrap()).await;
    assert_eq!(code, 404);
    let (code, _) = call(post("/hooks/0").body(Body::from("{}")).unwrap()).await;
    assert_eq!(code, 400, "missing signature headers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_the_server_that_runs() {
    use hookbench::live::clock::Clock;
    use hookbench::live::source::{self, SourceState};
    use hookbench::model::source::EventLog;
    use std::sync::Arc;
    // A millionfold speed-up: the hour is visible at once, and long polls return at once.
    let s = Arc::new(crate::util::scenario(
        "name = \"doc\"\nduration = \"1h\"\n[events]\nrate = \"600/h\"\nresources = 20\n[api]\nrtt = \"0s\"\nsse_drop_every = \"1m\"\n",
    ));
    let log = Arc::new(EventLog::generate(&s));
    let addr = spawn(source::router(SourceState::new(s, log, Clock::start(1e6)))).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let c = reqwest::Client::new();
    let doc: serde_json::Value =
        c.get(format!("http://{addr}/openapi.json")).send().await.unwrap().json().await.unwrap();
    // The key is optional: requests without one share the anonymous quota.
    assert!(doc["security"].as_array().unwrap().contains(&serde_json::json!({})), "{}", doc["security"]);
    let params = |path: &str| doc["paths"][path]["get"]["parameters"].as_array().unwrap().clone();
    let schema_of = |path: &str, name: &str| {
        params(path).into_iter().find(|p| p["name"] == name).map(|p| p["schema"].clone()).unwrap()
    };
    assert_eq!(schema_of("/events", "wait")["pattern"], "^[1-9][0-9]{0,8}(ms|s|m|h)$");
    assert_eq!(schema_of("/events", "after")["pattern"], "^evt_[0-9]{1,10}$");
    assert_eq!(schema_of("/stream", "Last-Event-ID")["pattern"], "^evt_[0-9]{1,10}$");
    assert_eq!(schema_of("/resources/{id}", "id")["pattern"], "^res_[0-9]{1,10}$");
    let stream = &doc["paths"]["/stream"]["get"]["responses"]["200"]["content"]["text/event-stream"];
    assert_eq!(stream["schema"]["$ref"], "#/components/schemas/StreamMessage");
    assert!(doc["components"]["schemas"]["StreamMessage"]["properties"]["data"].is_object());

    // What the schema allows is accepted; what it forbids gets 400.
    let status = |path: String, last_event_id: Option<&'static str>| {
        let mut rb = c.get(format!("http://{addr}{path}"));
        if let Some(v) = last_event_id {
            rb = rb.header("last-event-id", v);
        }
        async move { rb.send().await.unwrap().status().as_u16() }
    };
    for (path, want) in [
        ("/events?after=evt_0000000005", 200),
        ("/events?after=evt_9999999999", 200),
        ("/events?limit=4294967296", 200),
        ("/events?limit=99999999999999999999999", 200),
        ("/events?wait=999999999h", 200),
        ("/events?wait=250ms", 200),
        ("/events/evt_0000000001", 200),
        ("/events/evt_9999999999", 404),
        ("/resources/res_000003", 200),
        ("/resources/res_9999999999", 404),
        ("/events?after=", 400),
        ("/events?after=5", 400),
        ("/events?after=evt_00000000001", 400),
        ("/events?limit=0", 400),
        ("/events?limit=+5", 400),
        ("/events?wait=1m30s", 400),
        ("/events?wait=0s", 400),
        ("/events?wait=20", 400),
        ("/events/0", 400),
        ("/resources/0", 400),
    ] {
        assert_eq!(status(path.to_string(), None).await, want, "{path}");
    }
    assert_eq!(status("/stream".into(), Some("0")).await, 400, "Last-Event-ID: 0");
    assert_eq!(status("/stream".into(), Some("evt_0000000003")).await, 200);
    let r = c.post(format!("http://{addr}/events")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["allow"].to_str().unwrap()), (405, "GET, HEAD"));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["status"], 405);
}
