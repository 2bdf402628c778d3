//! The live engine over real loopback HTTP: signatures against an independent implementation,
//! the API's headers, 304s, 429s and pagination, the OpenAPI document, faults, and agreement
//! with the sim engine.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use hookbench::live::client::http_client;
use hookbench::live::clock::{unix_now, Clock};
use hookbench::live::emitter::{self, Destination, Emitting, LiveOutbox};
use hookbench::live::receiver::{self, ReceiverState};
use hookbench::live::source::{self, SourceState};
use hookbench::model::emitter::DeliveryState;
use hookbench::model::receiver::Receiver;
use hookbench::model::signature::Secret;
use hookbench::model::source::EventLog;
use hookbench::scenario::{Payload, Scenario};
use hookbench::strategy::StrategyKind::{Poll, Webhook};
use hookbench::support::units::SECOND;

use crate::util::{hookbench, rel, row, scenario, start_serve, text};

const SPEC_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

async fn spawn(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

fn standard_headers(id: &str, ts: u64, sig: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("webhook-id", id.parse().unwrap());
    h.insert("webhook-timestamp", ts.to_string().parse().unwrap());
    h.insert("webhook-signature", sig.parse().unwrap());
    h
}

#[test]
fn signatures_agree_with_the_standard_webhooks_library_both_ways() {
    let ours = Secret::parse(SPEC_SECRET).unwrap();
    let reference = standardwebhooks::Webhook::new(SPEC_SECRET).unwrap();
    let now = unix_now();
    for i in 0..200u32 {
        let id = format!("msg_{i:010}");
        let body = format!("{{\"id\":\"evt_{i}\",\"pad\":\"{}\"}}", "é".repeat(i as usize % 17));
        let sig = ours.sign(&id, now, body.as_bytes());
        reference
            .verify(body.as_bytes(), &standard_headers(&id, now, &sig))
            .expect("the library accepts our signature");
        let theirs = reference.sign(&id, now as i64, body.as_bytes()).unwrap();
        assert_eq!(theirs, sig);
        ours.verify(&id, &now.to_string(), &theirs, body.as_bytes(), now, 300)
            .expect("we accept the library's");
    }
}

fn small(rate: &str, minutes: u32, extra: &str) -> Scenario {
    scenario(&format!(
        "name = \"live-test\"\nduration = \"{minutes}m\"\ndrain = \"1m\"\nseed = 8\n[events]\nrate = \"{rate}\"\nresources = 20\n\
         payload_bytes = 64\n{extra}"
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_signature_the_emitter_makes_verifies_with_the_standard_webhooks_library() {
    let s = Arc::new(small("1200/h", 5, "[webhook]\ndelay = \"100ms\"\n"));
    let log = Arc::new(EventLog::generate(&s));
    let seen = Arc::new(Mutex::new((0u32, 0u32)));
    let counter = seen.clone();
    let capture = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let counter = counter.clone();
            async move {
                let reference = standardwebhooks::Webhook::new(SPEC_SECRET).unwrap();
                let mut c = counter.lock().unwrap();
                match reference.verify(&body, &headers) {
                    Ok(()) => c.0 += 1,
                    Err(_) => c.1 += 1,
                }
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let addr = spawn(capture).await;
    let clock = Clock::start(600.0);
    let outbox = LiveOutbox::new(&s, log.len(), "sig");
    let end = s.duration + s.drain;
    emitter::run(Emitting {
        scenario: s.clone(),
        log: log.clone(),
        clock,
        client: http_client(&format!("http://{addr}/hook").parse().unwrap(), usize::MAX).unwrap(),
        target: Destination {
            url: format!("http://{addr}/hook"),
            secret: Secret::parse(SPEC_SECRET).unwrap(),
            scheme: Default::default(),
            payload: Payload::Fat,
        },
        outbox: outbox.clone(),
        end,
    })
    .await;
    clock.sleep_until(end).await;
    let (ok, bad) = *seen.lock().unwrap();
    assert!(log.len() > 50);
    assert_eq!((ok as usize, bad), (log.len(), 0));
    assert_eq!(outbox.lock().unwrap().outbox.counts.delivered as usize, log.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_rejects_what_it_must() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let secret = Secret::parse(SPEC_SECRET).unwrap();
    let s = small("60/h", 5, "");
    let state =
        ReceiverState::new(secret.clone(), 300, Receiver::new(&s.receiver), Clock::start(1.0), 1, vec![tx]);
    let addr = spawn(receiver::router(state.clone())).await;
    let client = reqwest::Client::new();
    let body = br#"{"id":"evt_0000000007","type":"x.y"}"#.to_vec();
    let now = unix_now();
    let good = secret.sign("msg_7", now, &body);
    let post = |id: &str, ts: u64, sig: &str, body: Vec<u8>| {
        client
            .post(format!("http://{addr}/hooks/0"))
            .header("webhook-id", id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", sig)
            .body(body)
            .send()
    };
    assert_eq!(post("msg_7", now, &good, body.clone()).await.unwrap().status(), 204);
    let tampered = br#"{"id":"evt_0000000008","type":"x.y"}"#.to_vec();
    assert_eq!(post("msg_7", now, &good, tampered).await.unwrap().status(), 401, "tampered body");
    let other = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    assert_eq!(
        post("msg_7", now, &other.sign("msg_7", now, &body), body.clone()).await.unwrap().status(),
        401
    );
    let old = now - 400;
    assert_eq!(
        post("msg_7", old, &secret.sign("msg_7", old, &body), body.clone()).await.unwrap().status(),
        401
    );
    assert_eq!(post("msg_7", now, "v1,", body.clone()).await.unwrap().status(), 401, "empty signature");
    assert_eq!(
        post("msg_7", now, &good[..good.len() - 6], body.clone()).await.unwrap().status(),
        401,
        "truncated"
    );
    let missing = client.post(format!("http://{addr}/hooks/0")).body(body.clone()).send().await.unwrap();
    assert_eq!(missing.status(), 400);
    let huge = vec![b'x'; receiver::MAX_BODY + 1];
    let big = post("msg_9", now, &secret.sign("msg_9", now, &huge), huge).await.unwrap();
    assert_eq!(big.status(), 413);
    // A redelivery of the same webhook-id is accepted (2xx, so the sender stops) and flagged.
    assert_eq!(post("msg_7", now, &good, body.clone()).await.unwrap().status(), 204);
    let first = rx.recv().await.unwrap();
    let second = rx.recv().await.unwrap();
    assert_eq!((first.event, first.duplicate, second.duplicate), (Some(7), false, true));
    let st = state.stats();
    assert_eq!((st.accepted, st.duplicates, st.rejected), (2, 1, 7), "the 413 is a rejection too");
}

async fn source_server(s: Scenario, speedup: f64) -> (SocketAddr, Arc<SourceState>) {
    let s = Arc::new(s);
    let log = Arc::new(EventLog::generate(&s));
    let state = SourceState::new(s, log, Clock::start(speedup));
    (spawn(source::router(state.clone())).await, state)
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etag_then_304_and_quota_then_429_with_counting_headers() {
    // One event an hour and real time: nothing is visible during the test.
    let (addr, _) = source_server(small("1/h", 60, "[api]\nrtt = \"0s\"\nrate_limit = \"3/h\"\n"), 1.0).await;
    let c = reqwest::Client::new();
    let get = |inm: Option<String>| {
        let mut rb = c.get(format!("http://{addr}/events?limit=10")).header("x-api-key", "alice");
        if let Some(e) = inm {
            rb = rb.header("if-none-match", e);
        }
        rb.send()
    };
    let first = get(None).await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = header(&first, "etag");
    assert!(etag.starts_with('"') && etag.len() > 2, "{etag}");
    assert_eq!(header(&first, "x-ratelimit-remaining"), "2");
    assert_eq!(header(&first, "x-ratelimit-used"), "1");
    assert_eq!(header(&first, "ratelimit-policy"), "\"default\";q=3;w=3600");
    assert!(header(&first, "ratelimit").starts_with("\"default\";r=2;t="), "{}", header(&first, "ratelimit"));
    let page: serde_json::Value = first.json().await.unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 0);
    assert_eq!(page["has_more"], false);

    // 304s use no quota here (not_modified_counts = false).
    for _ in 0..3 {
        let r = get(Some(etag.clone())).await.unwrap();
        assert_eq!(r.status(), 304);
        assert_eq!(header(&r, "x-ratelimit-remaining"), "2");
    }
    let r = get(None).await.unwrap();
    assert_eq!((r.status().as_u16(), header(&r, "x-ratelimit-remaining")), (200, "1".into()));
    let r = get(None).await.unwrap();
    assert_eq!((r.status().as_u16(), header(&r, "x-ratelimit-remaining")), (200, "0".into()));
    let reset: u64 = header(&r, "x-ratelimit-reset").parse().unwrap();
    assert!(reset >= unix_now() + 3590 && reset <= unix_now() + 3601, "{reset}");
    let limited = get(None).await.unwrap();
    assert_eq!(limited.status(), 429);
    let retry: u64 = header(&limited, "retry-after").parse().unwrap();
    assert!((3590..=3600).contains(&retry), "{retry}");
    assert_eq!(header(&limited, "x-ratelimit-remaining"), "0");
    // Another client has its own quota.
    let bob = c.get(format!("http://{addr}/events")).header("x-api-key", "bob").send().await.unwrap();
    assert_eq!(bob.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_follow_has_more_and_next_cursor_to_the_end() {
    // A million-fold speed-up: the whole hour is visible after a few milliseconds.
    let (addr, state) = source_server(small("600/h", 60, "[api]\nrtt = \"0s\"\npage_size = 7\n"), 1e6).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let total = state.log.len();
    assert!(total > 400);
    let c = reqwest::Client::new();
    let (mut ids, mut after, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let url = match &after {
            Some(a) => format!("http://{addr}/events?limit=50&after={a}"),
            None => format!("http://{addr}/events?limit=50"),
        };
        let page: serde_json::Value = c.get(url).send().await.unwrap().json().await.unwrap();
        pages += 1;
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 7, "the server caps the page");
        ids.extend(data.iter().map(|e| e["id"].as_str().unwrap().to_string()));
        after = page["next_cursor"].as_str().map(str::to_string);
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(ids.len(), total);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), total, "no event twice");
    assert_eq!(ids.first().unwrap(), "evt_0000000000");
    assert_eq!(pages, total.div_ceil(7));
    let bad = c.get(format!("http://{addr}/events?after=nope")).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let bad = c.get(format!("http://{addr}/events?limit=0")).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let snap: serde_json::Value =
        c.get(format!("http://{addr}/resources/res_000003")).send().await.unwrap().json().await.unwrap();
    assert!(snap["version"].as_u64().unwrap() > 0 && snap["last_event_id"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_every_route() {
    let (addr, _) = source_server(small("60/h", 5, ""), 1.0).await;
    let doc: serde_json::Value =
        reqwest::get(format!("http://{addr}/openapi.json")).await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for route in ["/events", "/events/{id}", "/resources/{id}", "/dead-letters", "/openapi.json"] {
        assert!(paths.contains_key(route), "{route} missing");
        assert!(paths[route]["get"]["responses"]["200"].is_object(), "{route} has no 200");
    }
    for route in ["/events", "/events/{id}", "/resources/{id}"] {
        assert!(paths[route]["get"]["responses"]["429"].is_object(), "{route} documents 429");
    }
    // Every documented GET route answers (not the router's 404 fallback).
    for route in
        ["/events", "/events/evt_0000000000", "/resources/res_000000", "/dead-letters", "/openapi.json"]
    {
        let r = reqwest::get(format!("http://{addr}{route}")).await.unwrap();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        assert!(!body["error"]["message"].as_str().unwrap_or("").starts_with("no such route"), "{route}");
    }
}

/// An emitter at 100× aimed at endpoint 0 of a verifying receiver, with no connection reuse
/// (so a stopped or resetting receiver meets every attempt).
struct Delivering {
    s: Arc<Scenario>,
    log: Arc<EventLog>,
    clock: Clock,
    state: Arc<ReceiverState>,
    rx: tokio::sync::mpsc::UnboundedReceiver<receiver::ReceivedDelivery>,
    outbox: Arc<Mutex<LiveOutbox>>,
    end: u64,
}

impl Delivering {
    fn new(s: Scenario) -> Self {
        let s = Arc::new(s);
        let log = Arc::new(EventLog::generate(&s));
        let clock = Clock::start(100.0);
        let secret = Secret::parse(SPEC_SECRET).unwrap();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let state = ReceiverState::new(secret, 300, Receiver::new(&s.receiver), clock, 1, vec![tx]);
        let outbox = LiveOutbox::new(&s, log.len(), "fault");
        let end = s.duration + s.drain;
        Delivering { s, log, clock, state, rx, outbox, end }
    }

    fn emitting(&self, addr: SocketAddr) -> Emitting {
        Emitting {
            scenario: self.s.clone(),
            log: self.log.clone(),
            clock: self.clock,
            client: http_client(&format!("http://{addr}/hooks/0").parse().unwrap(), 0).unwrap(),
            target: Destination {
                url: format!("http://{addr}/hooks/0"),
                secret: Secret::parse(SPEC_SECRET).unwrap(),
                scheme: Default::default(),
                payload: Payload::Fat,
            },
            outbox: self.outbox.clone(),
            end: self.end,
        }
    }

    fn received(&mut self) -> HashSet<u32> {
        let mut got = HashSet::new();
        while let Ok(d) = self.rx.try_recv() {
            if d.answer.processed() {
                got.extend(d.event);
            }
        }
        got
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_stopped_and_restarted_mid_run_loses_track_of_nothing() {
    let mut d = Delivering::new(small(
        "1800/h",
        20,
        "[webhook]\ndelay = \"200ms\"\ntimeout = \"5s\"\nretry = [\"10s\", \"30s\", \"1m\", \"2m\", \"5m\"]\n",
    ));
    let (clock, end) = (d.clock, d.end);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = receiver::router(d.state.clone());
    let first = tokio::spawn(async move { axum::serve(listener, router).await });
    let em = tokio::spawn(emitter::run(d.emitting(addr)));
    // Down from minute 5 to minute 7 of the scenario.
    clock.sleep_until(300 * SECOND).await;
    first.abort();
    let _ = first.await;
    clock.sleep_until(420 * SECOND).await;
    let listener = tokio::net::TcpListener::bind(addr).await.expect("the port can be taken again");
    let router = receiver::router(d.state.clone());
    let _second = tokio::spawn(async move { axum::serve(listener, router).await });
    em.await.unwrap();
    clock.sleep_until(end).await;

    let received = d.received();
    let ob = &d.outbox.lock().unwrap().outbox;
    let (mut delivered, mut dead, mut pending) = (0, 0, 0);
    for id in 0..d.log.len() as u32 {
        match ob.emitter.state(id) {
            DeliveryState::Delivered => {
                delivered += 1;
                assert!(received.contains(&id), "event {id} delivered but never received");
            }
            DeliveryState::DeadLettered => dead += 1,
            DeliveryState::Pending => pending += 1,
            DeliveryState::NotSubscribed => panic!("event {id} of an untyped scenario unsubscribed"),
        }
    }
    assert_eq!(delivered + dead + pending, d.log.len());
    assert!(ob.counts.failed > 0, "the outage was felt: {:?}", ob.counts);
    assert_eq!(dead, 0, "the retries outlast a 2-minute outage");
    assert_eq!(received.len(), delivered, "each delivered event reached the consumer once");
    assert_eq!(delivered, d.log.len(), "everything arrives once the receiver is back");
}

pub fn agreement_scenario() -> Scenario {
    scenario(
        r#"
        name = "agreement"
        duration = "20m"
        drain = "1m"
        seed = 31
        [events]
        rate = "1500/h"
        resources = 40
        payload_bytes = 200
        [api]
        rtt = "100ms"
        [webhook]
        delay = "300ms"
        retry = "svix"
        [strategies]
        intervals = ["30s"]
        "#,
    )
}

#[test]
fn sim_and_live_agree() {
    let _one = crate::capacity::one_live_run();
    let s = agreement_scenario();
    let sim = crate::util::run(&s, &[Poll, Webhook], &[30 * SECOND]);
    let specs =
        hookbench::strategy::Spec::expand(&[Poll, Webhook], &[30 * SECOND], s.strategies.reconcile_interval);
    let opts = hookbench::live::engine::LiveOptions { speedup: 60.0, progress: false, tls: false };
    let live = hookbench::live::engine::run(&s, &specs, opts).unwrap();
    assert_agreement(&sim, &live);
}

/// The bounds within which a live run of [`agreement_scenario`] agrees with the sim: poll mean
/// latency and requests within 5%, every webhook event detected, the same event stream.
pub fn assert_agreement(sim: &hookbench::result::report::Report, live: &hookbench::result::report::Report) {
    assert_eq!(live.engine, "live");
    let (sp, lp) = (row(sim, "poll@30s"), row(live, "poll@30s"));
    let (sm, lm) = (sp.latency_ms.mean.unwrap(), lp.latency_ms.mean.unwrap());
    assert!(rel(lm, sm) < 0.05, "poll mean: sim {sm:.0} ms, live {lm:.0} ms");
    assert!(
        rel(
            lp.requests.total.expect("calls the API") as f64,
            sp.requests.total.expect("calls the API") as f64
        ) < 0.05,
        "{} vs {}",
        lp.requests.total.expect("calls the API"),
        sp.requests.total.expect("calls the API")
    );
    for r in [row(sim, "webhook"), row(live, "webhook")] {
        assert_eq!((r.events.missed, r.events.in_flight), (0, 0), "{:?}", r.events);
        assert_eq!(r.events.detected, r.events.total);
    }
    assert_eq!(sim.run.events, live.run.events, "the same event stream");
}

/// Both engines size every message with the one wire model: per row, bytes agree within 5%,
/// with a rate limit (rate-limit headers on every answer) and without one (none).
#[test]
fn sim_and_live_bytes_agree_with_and_without_a_rate_limit() {
    let _one = crate::capacity::one_live_run();
    use hookbench::strategy::StrategyKind::{Hybrid, LongPoll, PollEtag, Sse};
    let kinds = [Poll, PollEtag, Webhook, Hybrid, LongPoll, Sse];
    for limit in ["", "rate_limit = \"100000/h\""] {
        let s = scenario(&format!(
            r#"
            name = "bytes"
            duration = "6m"
            drain = "1m"
            seed = 5
            [events]
            rate = "1500/h"
            resources = 40
            payload_bytes = 300
            [api]
            rtt = "100ms"
            {limit}
            [webhook]
            delay = "300ms"
            [strategies]
            intervals = ["30s"]
            long_poll_wait = "20s"
            "#
        ));
        let sim = crate::util::run(&s, &kinds, &[30 * SECOND]);
        let specs =
            hookbench::strategy::Spec::expand(&kinds, &[30 * SECOND], s.strategies.reconcile_interval);
        let opts = hookbench::live::engine::LiveOptions { speedup: 60.0, progress: false, tls: false };
        let live = hookbench::live::engine::run(&s, &specs, opts).unwrap();
        for (a, b) in sim.strategies.iter().zip(&live.strategies) {
            let (sb, lb) =
                ((a.bytes.received + a.bytes.sent) as f64, (b.bytes.received + b.bytes.sent) as f64);
            assert!(rel(lb, sb) < 0.05, "{} with limit `{limit}`: sim {sb} B, live {lb} B", a.label);
        }
    }
}

#[test]
fn serve_binds_loopback_prints_its_address_and_stops_with_a_summary() {
    use std::io::{Read, Write};
    let (mut child, mut out, addr) =
        start_serve(&["--addr", "127.0.0.1:0", "--speedup", "100", "--stop-after", "3s"]);
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    write!(conn, "GET /events?limit=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut resp = String::new();
    conn.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.to_ascii_lowercase().contains("x-ratelimit-remaining: 4999"), "{resp}");
    let status = child.wait().unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(status.success());
    assert!(rest.contains("stopped after") && rest.contains("1 request answered"), "{rest}");

    let (_, stderr) = text(&hookbench(&["serve", "--addr", "0.0.0.0:0", "--stop-after", "1s"]));
    assert!(stderr.contains("not a loopback address") && stderr.contains("--allow-remote"), "{stderr}");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let out = hookbench(&["serve", "--addr", &format!("127.0.0.1:{port}"), "--stop-after", "1s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("already in use"), "{}", text(&out).1);
    let out = hookbench(&["serve", "--webhook-url", "http://127.0.0.1:9/x", "--stop-after", "1s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("--secret"), "{}", text(&out).1);
    let out = hookbench(&[
        "serve",
        "--webhook-url",
        "http://127.0.0.1:9/x",
        "--secret",
        SPEC_SECRET,
        "--addr",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("cannot reach"), "{}", text(&out).1);
}

#[test]
fn compare_live_through_the_binary() {
    let out = hookbench(&[
        "compare",
        "--engine",
        "live",
        "--speedup",
        "2000",
        "--duration",
        "10m",
        "--strategies",
        "poll,hybrid",
        "--format",
        "json",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["engine"], "live");
    assert_eq!(v["live"]["speedup"], 2000.0);
    for q in ["p50", "p99", "max"] {
        assert!(v["live"]["lag_ms"][q].as_f64().is_some_and(|x| x >= 0.0), "{}", v["live"]);
    }
    assert!(v["run"].get("partial").is_none() && v["run"].get("covered_s").is_none());
    for r in v["strategies"].as_array().unwrap() {
        let e = &r["events"];
        let sum = e["detected"].as_u64().unwrap()
            + e["missed"].as_u64().unwrap()
            + e["in_flight"].as_u64().unwrap();
        assert_eq!(sum, e["total"].as_u64().unwrap());
    }
    let out = hookbench(&["compare", "--speedup", "10"]);
    assert_eq!(out.status.code(), Some(2), "--speedup needs --engine live");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_server_restarted_mid_run_costs_time_not_events() {
    use hookbench::live::client::ApiClient;
    use hookbench::live::consumer::{self, RowTask};
    use hookbench::strategy::{Spec, StrategyKind};
    let s = Arc::new(small("1200/h", 20, "[api]\nrtt = \"50ms\"\n"));
    let log = Arc::new(EventLog::generate(&s));
    let clock = Clock::start(100.0);
    let state = SourceState::new(s.clone(), log.clone(), clock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = source::router(state.clone());
    let first = tokio::spawn(async move { axum::serve(listener, router).await });
    let client = http_client(&format!("http://{addr}/").parse().unwrap(), 0).unwrap();
    let (_dtx, drx) = tokio::sync::mpsc::unbounded_channel();
    let api = ApiClient {
        client,
        base: format!("http://{addr}"),
        key: "row-0".into(),
        limited: s.api.rate_limit.is_some(),
        payload_bytes: s.events.payload_bytes,
    };
    let row = RowTask {
        spec: Spec { kind: StrategyKind::Poll, interval: Some(10 * SECOND) },
        api,
        outbox: None,
        deliveries: drx,
        processing: None,
    };
    let end = s.duration + s.drain;
    let consumer = tokio::spawn(consumer::run(s.clone(), log.clone(), clock, end, row));
    // Down from minute 5 to minute 8.
    clock.sleep_until(300 * SECOND).await;
    first.abort();
    let _ = first.await;
    clock.sleep_until(480 * SECOND).await;
    let listener = tokio::net::TcpListener::bind(addr).await.expect("the port can be taken again");
    let router = source::router(state.clone());
    let _second = tokio::spawn(async move { axum::serve(listener, router).await });
    let done = consumer.await.unwrap().expect("conservation holds");
    let o = done.outcome;
    let e = o.events;
    assert_eq!(e.detected + e.missed + e.in_flight, e.total);
    assert_eq!((e.missed, e.in_flight), (0, 0), "the cursor picks up where it left off");
    // Events of the outage waited for the server: the max latency shows the 3 minutes.
    assert!(o.max_us > 150 * SECOND, "max {} µs", o.max_us);
    assert!(o.requests.wasted > 0, "failed polls are counted as wasted requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_query_strings_get_4xx_never_5xx() {
    let (addr, _) = source_server(small("600/h", 60, "[api]\nrtt = \"0s\"\n"), 1e6).await;
    let c = reqwest::Client::new();
    let queries = [
        "after=",
        "after=evt_",
        "after=evt_-1",
        "after=evt_99999999999999999999",
        "after=%00",
        "after=evt_1&after=evt_2",
        "limit=-1",
        "limit=0",
        "limit=4294967296",
        "limit=1e3",
        "limit=%20",
        "wait=forever",
        "after=evt_0000000001&limit=1",
        "a=b&c=d",
        "after=evt_4294967295",
        "limit=99999999",
        "%ZZ",
        "&&&",
        "after=evt_0000000003%00",
    ];
    for q in queries {
        let r = c.get(format!("http://{addr}/events?{q}")).send().await.unwrap();
        let code = r.status().as_u16();
        assert!(code == 200 || code == 400, "{q}: {code}");
        if code == 200 {
            let page: serde_json::Value = r.json().await.unwrap();
            assert!(page["data"].is_array(), "{q}");
        }
    }
    for path in
        ["/events/evt_", "/events/../../etc/passwd", "/resources/res_9999999", "/resources/-1", "/nope"]
    {
        let code = c.get(format!("http://{addr}{path}")).send().await.unwrap().status().as_u16();
        assert!((400..500).contains(&code), "{path}: {code}");
    }
}

#[test]
fn a_slow_client_is_cut_off_and_does_not_block_others() {
    use std::io::{Read, Write};
    let (mut child, _out, addr) =
        start_serve(&["--addr", "127.0.0.1:0", "--header-timeout", "300ms", "--stop-after", "5s"]);
    // Slowloris: half a request head, then silence.
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    write!(slow, "GET /events HTTP/1.1\r\nHost: x\r\n").unwrap();
    // Another client is served meanwhile.
    let mut fast = std::net::TcpStream::connect(&addr).unwrap();
    write!(fast, "GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut resp = String::new();
    fast.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    // The slow one is closed by the server well before the test's own limit.
    slow.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut buf = [0u8; 256];
    let n = slow.read(&mut buf);
    assert!(
        matches!(n, Ok(0)) || n.as_ref().is_ok_and(|n| buf[..*n].starts_with(b"HTTP/1.1 408")) || n.is_err(),
        "{n:?}"
    );
    assert!(!matches!(&n, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock), "not closed within 3 s");
    assert!(child.wait().unwrap().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_reset_by_the_receiver_are_retried_until_delivered() {
    let mut d = Delivering::new(small(
        "1800/h",
        10,
        "[webhook]\ndelay = \"100ms\"\ntimeout = \"5s\"\nretry = [\"2s\", \"5s\", \"10s\", \"20s\", \"40s\", \"1m\", \"2m\"]\n",
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = hookbench::live::serve::Limits { reset_rate: 0.3, ..Default::default() };
    let router = receiver::router(d.state.clone());
    tokio::spawn(hookbench::live::serve::serve(listener, router, limits, std::future::pending()));
    emitter::run(d.emitting(addr)).await;
    d.clock.sleep_until(d.end).await;
    let received = d.received();
    let ob = &d.outbox.lock().unwrap().outbox;
    let failed = ob.counts.failed as f64 / ob.counts.attempts as f64;
    assert!((0.15..0.45).contains(&failed), "about 30% of attempts reset: {:?}", ob.counts);
    assert_eq!(ob.counts.dead_lettered, 0);
    // Each event is delivered (and was received) or still has a retry ahead: none is lost.
    let mut pending = 0;
    for id in 0..d.log.len() as u32 {
        match ob.emitter.state(id) {
            DeliveryState::Delivered => {
                assert!(received.contains(&id), "event {id} delivered, never received")
            }
            DeliveryState::Pending => pending += 1,
            DeliveryState::DeadLettered => panic!("event {id} dead-lettered"),
            DeliveryState::NotSubscribed => panic!("event {id} of an untyped scenario unsubscribed"),
        }
    }
    assert!(pending <= d.log.len() / 50, "{pending} of {} still pending at the end", d.log.len());
    assert!(received.len() + pending >= d.log.len());
}

#[test]
fn slow_answers_past_the_timeout_show_as_duplicates_live_too() {
    let _one = crate::capacity::one_live_run();
    let dir = crate::util::temp_dir("slow-live");
    let path = dir.join("slow.toml");
    std::fs::write(
        &path,
        "name = \"slow\"\nduration = \"10m\"\ndrain = \"2m\"\nseed = 4\n[events]\nrate = \"1800/h\"\n\
         [webhook]\ndelay = \"100ms\"\ntimeout = \"5s\"\nretry = [\"10s\", \"30s\"]\n[receiver]\nslow_rate = 0.05\nslow = \"8s\"\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let out = hookbench(&[
        "compare",
        "--scenario",
        p,
        "--engine",
        "live",
        "--speedup",
        "100",
        "--strategies",
        "webhook",
        "-f",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = &v["strategies"][0]["events"];
    assert_eq!(e["missed"], 0);
    assert!(e["duplicates"].as_u64().unwrap() > 0, "{e}");
    let sum =
        e["detected"].as_u64().unwrap() + e["missed"].as_u64().unwrap() + e["in_flight"].as_u64().unwrap();
    assert_eq!(sum, e["total"].as_u64().unwrap());
}

/// Issue 10 item 11: past the window a row stops as soon as nothing is in flight, so a run whose
/// configured drain is an hour ends minutes into it, with every event accounted for.
#[test]
fn a_live_run_ends_its_drain_once_every_row_is_settled() {
    let _one = crate::capacity::one_live_run();
    let s = scenario(
        r#"
        name = "short-drain"
        duration = "2m"
        drain = "1h"
        seed = 3
        [events]
        rate = "600/h"
        resources = 20
        [api]
        rtt = "50ms"
        [webhook]
        delay = "200ms"
        [strategies]
        intervals = ["10s"]
        "#,
    );
    let specs =
        hookbench::strategy::Spec::expand(&[Poll, Webhook], &[10 * SECOND], s.strategies.reconcile_interval);
    let opts = hookbench::live::engine::LiveOptions { speedup: 100.0, progress: false, tls: false };
    let live = hookbench::live::engine::run(&s, &specs, opts).unwrap();
    let info = live.live.as_ref().unwrap();
    assert!(info.ended_s >= 120.0, "not before the window's end: {}", info.ended_s);
    assert!(info.ended_s < 300.0, "the drain ended once settled, not after an hour: {}", info.ended_s);
    assert!(!live.run.partial && live.run.covered_s.is_none());
    for r in &live.strategies {
        assert_eq!((r.events.missed, r.events.in_flight), (0, 0), "{}: {:?}", r.label, r.events);
        assert_eq!(r.events.detected, r.events.total, "{}", r.label);
    }
}

/// Issue 10 item 6: a run the engine cannot keep up with fails (exit 2) naming a slower speed-up;
/// a run that keeps up reports its lag in the JSON.
#[test]
fn an_overloaded_live_run_fails_naming_a_slower_speedup() {
    let dir = crate::util::temp_dir("overloaded");
    let path = dir.join("over.toml");
    std::fs::write(
        &path,
        r#"
        name = "overloaded"
        duration = "1m"
        drain = "1m"
        seed = 7
        [events]
        rate = "300000/h"
        resources = 100
        payload_bytes = 200
        [webhook]
        delay = "0s"
        [strategies]
        list = ["webhook", "poll"]
        intervals = ["1s"]
        "#,
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let out = hookbench(&["compare", "--engine", "live", "--speedup", "5000", "--scenario", path]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stdout.is_empty(), "no numbers from a run that fell behind: {stdout}");
    assert!(stderr.contains("fell behind at --speedup 5000"), "{stderr}");
    let suggested: f64 = stderr
        .split("`--speedup ")
        .nth(1)
        .and_then(|r| r.split('`').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("names a speed-up: {stderr}"));
    assert!((1.0..=2500.0).contains(&suggested), "{suggested}");
    assert_eq!(stderr.trim().lines().count(), 1, "one sentence: {stderr}");
}

/// Runs `hookbench` with `args`, sends it `signal` after `after`, and returns its output.
fn interrupted(args: &[&str], signal: &str, after: Duration) -> std::process::Output {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_hookbench"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let killed = std::process::Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait_with_output().unwrap()
}

/// Issue 10 item 9: Ctrl-C or SIGTERM during a live run prints and writes the span that ran,
/// marked partial, every row settled at the time it stopped, then exits 130.
#[test]
fn sigint_and_sigterm_keep_what_a_live_run_measured() {
    let dir = crate::util::temp_dir("partial");
    for signal in ["INT", "TERM"] {
        let file = dir.join(format!("{signal}.json"));
        let args = [
            "compare",
            "--engine",
            "live",
            "--speedup",
            "20",
            "--duration",
            "30m",
            "--strategies",
            "poll,webhook",
            "--output",
            file.to_str().unwrap(),
        ];
        let out = interrupted(&args, signal, Duration::from_secs(3));
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(130), "SIG{signal}: {stderr}");
        assert!(stdout.contains("PARTIAL: stopped after"), "SIG{signal}: {stdout}");
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(v["run"]["partial"], true);
        let covered = v["run"]["covered_s"].as_f64().unwrap();
        assert!(covered > 0.0 && covered < 1800.0, "covered {covered} s of a 30m window");
        let events = v["run"]["events"].as_u64().unwrap();
        for r in v["strategies"].as_array().unwrap() {
            let e = &r["events"];
            let sum = e["detected"].as_u64().unwrap()
                + e["missed"].as_u64().unwrap()
                + e["in_flight"].as_u64().unwrap();
            assert_eq!(sum, e["total"].as_u64().unwrap(), "{r}");
            assert_eq!(e["total"].as_u64().unwrap(), events, "only the events that happened");
        }
    }
    // serve prints its summary on SIGTERM as on Ctrl-C.
    let (child, mut out, _) = start_serve(&["--addr", "127.0.0.1:0"]);
    std::thread::sleep(Duration::from_millis(300));
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = child.wait_with_output().unwrap().status;
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(status.success(), "{status:?}");
    assert!(rest.contains("stopped after"), "{rest}");
}

/// Issue 10 item 12: behind `serve --speedup N`, `receive --speedup N` reports latency in
/// scenario time and says so.
#[test]
fn receive_reports_latency_in_scenario_time_behind_a_speedup() {
    use std::io::BufRead;
    let out = hookbench(&["receive", "--speedup", "0", "--secret", SPEC_SECRET, "--stop-after", "1s"]);
    assert_eq!(out.status.code(), Some(2), "validated like serve's");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hookbench"))
        .args(["receive", "--addr", "127.0.0.1:0", "--secret", SPEC_SECRET, "--speedup", "300"])
        .args(["--stop-after", "3s", "--quiet"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line.split("http://").nth(1).and_then(|r| r.split_whitespace().next()).unwrap().to_string();
    // Sent 10 ms (wall) after it occurred: 3 s of scenario time at 300×.
    let occurred = std::time::SystemTime::now() - Duration::from_millis(10);
    let body = serde_json::json!({
        "id": "evt_1",
        "occurred_at": humantime::format_rfc3339_millis(occurred).to_string(),
    })
    .to_string();
    let ts = unix_now();
    let sig = Secret::parse(SPEC_SECRET).unwrap().sign("msg_1", ts, body.as_bytes());
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    let request = format!(
        "POST /hook HTTP/1.1\r\nHost: x\r\nConnection: close\r\ncontent-type: application/json\r\n\
         webhook-id: msg_1\r\nwebhook-timestamp: {ts}\r\nwebhook-signature: {sig}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    std::io::Write::write_all(&mut conn, request.as_bytes()).unwrap();
    let mut resp = String::new();
    std::io::Read::read_to_string(&mut conn, &mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 2"), "{resp}");
    assert!(child.wait().unwrap().success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(rest.contains("scenario time = wall × 300"), "{rest}");
    let p50 = rest.split("p50 ").nth(1).and_then(|r| r.split(',').next()).unwrap();
    assert!(p50.ends_with('s') && !p50.ends_with("ms") && !p50.ends_with("µs"), "seconds, not ms: {rest}");
}

/// Issue 10 item 10: without a terminal, a live run that takes a while prints a plain progress
/// line every 10% (or 10 s); `--quiet` silences it.
#[test]
fn a_live_run_without_a_terminal_prints_plain_progress_lines() {
    let args =
        ["compare", "--engine", "live", "--speedup", "100", "--duration", "10m", "--strategies", "poll"];
    let out = hookbench(&args);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("poll@"), "{stdout}");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("live run: ")).collect();
    assert!(!lines.is_empty(), "progress lines on stderr: {stderr}");
    assert!(lines[0].contains("% · ") && lines[0].contains("simulated"), "{}", lines[0]);
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "plain lines, no terminal codes: {stderr:?}"
    );
    let quiet = hookbench(&[&args[..], &["--quiet"]].concat());
    assert!(quiet.status.success());
    assert!(text(&quiet).1.is_empty(), "--quiet silences progress: {}", text(&quiet).1);
}
