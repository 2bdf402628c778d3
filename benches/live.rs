//! Benchmarks of the live engine on loopback:
//!
//! - `live/signed_deliveries`: signed Standard Webhooks deliveries per second, emitter code path
//!   (sign + POST) into the verifying receiver (verify + dedupe + hand-off), 64 in flight;
//! - `live/polls`: `GET /events?after=…&limit=100` answered by the source server and parsed back
//!   by the consumer's client, 64 in flight;
//! - `live/signed_deliveries_{plain,tls}_{keep_alive,new_connection}`: the same deliveries to the
//!   same receiver over plain HTTP and over TLS (rustls, ring, a self-signed certificate the
//!   client trusts), on kept-alive connections and on a new connection (TCP, and the TLS
//!   handshake) per delivery;
//!
//! then, in the same run (printed after criterion's figures):
//! - the ceiling: wrk (if installed: `apt-get install wrk`) against the same two servers — POSTing
//!   one pre-signed delivery, and GETting the same page — and the ratio;
//! - the ceiling over TLS: wrk over https against the same TLS receiver, kept-alive and with
//!   `Connection: close` (a new connection and handshake per delivery), each against our own rate
//!   over TLS the same way, and the ratio;
//! - hookbench's own push latency on loopback with zero modelled delay: event time → verified
//!   delivery at the consumer, p50/p99, through the real emitter at 1× speed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use hdrhistogram::Histogram;
use hookbench::live::client::ApiClient;
use hookbench::live::clock::{unix_now, Clock};
use hookbench::live::emitter::{self, attempt, Destination, Emitting, LiveOutbox};
use hookbench::live::receiver::{self, ReceiverState};
use hookbench::live::source::{self, SourceState};
use hookbench::live::tls::ServerTls;
use hookbench::live::transport::HttpClient;
use hookbench::model::api::Request;
use hookbench::model::emitter::AttemptOutcome;
use hookbench::model::receiver::Receiver;
use hookbench::model::signature::Secret;
use hookbench::model::source::EventLog;
use hookbench::scenario::{Payload, Scenario};
use tokio::runtime::Runtime;

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const IN_FLIGHT: usize = 64;
const BATCH: usize = 8_192;
/// Deliveries per sample of the plain/TLS × keep-alive/new-connection benches.
const CONNECTIONS: usize = 1_024;
/// Rounds of the ratio against wrk, and how long each side runs in a round.
const ROUNDS: usize = 3;
const SIDE: Duration = Duration::from_secs(3);

/// The rate of `batch`, which does `n` of something and says how long they took, repeated for at
/// least [`SIDE`].
fn for_a_side(n: usize, mut batch: impl FnMut() -> Duration) -> f64 {
    let (mut done, mut took) = (0, Duration::ZERO);
    while took < SIDE {
        took += batch();
        done += n;
    }
    done as f64 / took.as_secs_f64()
}

/// The median of `v`, if any.
fn median(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

fn scenario(extra: &str) -> Scenario {
    let text = format!(
        "name = \"bench\"\nduration = \"1h\"\ndrain = \"0s\"\nseed = 1\n[events]\nrate = \"20000/h\"\nresources = 100\n\
         payload_bytes = 512\n[api]\nrtt = \"0s\"\n{extra}"
    );
    Scenario::from_toml(&text, "bench").expect("valid bench scenario")
}

async fn spawn(router: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

async fn receiver() -> std::net::SocketAddr {
    spawn(receiver_router()).await
}

/// The receiver behind the hardened accept loop over TLS.
async fn tls_receiver(tls: ServerTls) -> std::net::SocketAddr {
    use hookbench::live::serve::{serve_over, Limits, Refusals};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = receiver_router();
    tokio::spawn(serve_over(
        listener,
        router,
        Limits::default(),
        Refusals::none(),
        Some(tls),
        std::future::pending(),
    ));
    addr
}

fn receiver_router() -> axum::Router {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let s = scenario("");
    let state = ReceiverState::new(
        Secret::parse(SECRET).expect("secret"),
        300,
        Receiver::new(&s.receiver),
        Clock::start(1.0),
        1,
        vec![tx],
    );
    receiver::router(state)
}

async fn source_server() -> (std::net::SocketAddr, u32) {
    let s = Arc::new(scenario(""));
    let log = Arc::new(EventLog::generate(&s));
    let n = log.len() as u32;
    // A million-fold speed-up: every event is visible at once.
    let state = SourceState::new(s, log, Clock::start(1e6));
    (spawn(source::router(state)).await, n)
}

/// `count` deliveries, `IN_FLIGHT` at a time; returns the elapsed time.
async fn deliveries(client: &HttpClient, target: &Destination, count: usize, base: usize) -> Duration {
    let body = Arc::new(vec![b'x'; 600]);
    let body = Arc::new(
        serde_json::to_vec(
            &serde_json::json!({ "id": "evt_0000000001", "data": String::from_utf8_lossy(&body) }),
        )
        .expect("json"),
    );
    let start = Instant::now();
    let mut workers = Vec::new();
    for w in 0..IN_FLIGHT {
        let (client, target, body) = (client.clone(), target.clone(), body.clone());
        workers.push(tokio::spawn(async move {
            let mut i = w;
            while i < count {
                let msg = format!("msg_{:010}", base + i);
                let out = attempt(&client, &target, &msg, 1, &body, Duration::from_secs(10)).await;
                assert_eq!(out, AttemptOutcome::Success);
                i += IN_FLIGHT;
            }
        }));
    }
    for w in workers {
        w.await.expect("worker");
    }
    start.elapsed()
}

/// `iters` batches of `size` deliveries, each with message ids from `next` on (so none is a
/// duplicate); the time they took.
fn batches(
    rt: &Runtime,
    iters: u64,
    client: &HttpClient,
    target: &Destination,
    size: usize,
    next: &mut usize,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        total += rt.block_on(deliveries(client, target, size, *next));
        *next += size;
    }
    total
}

async fn polls(client: &HttpClient, base: &str, events: u32, count: usize) -> Duration {
    let start = Instant::now();
    let mut workers = Vec::new();
    for w in 0..IN_FLIGHT {
        let api = ApiClient {
            client: client.clone(),
            base: base.to_string(),
            key: "bench".into(),
            limited: false,
            payload_bytes: 512,
        };
        workers.push(tokio::spawn(async move {
            let mut i = w;
            while i < count {
                let cursor = (i as u32 * 37) % events;
                let r = api.fetch(Request::List { cursor, limit: 100, if_none_match: None }).await;
                assert_eq!(r.status, hookbench::model::api::Status::Ok);
                i += IN_FLIGHT;
            }
        }));
    }
    for w in workers {
        w.await.expect("worker");
    }
    start.elapsed()
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

/// wrk's requests per second, if every answer was a 2xx (a refused signature is no ceiling).
fn wrk(args: &[&str]) -> Option<f64> {
    let out = std::process::Command::new("wrk").args(args).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if let Some(bad) = text.lines().find(|l| l.contains("Non-2xx")) {
        println!("wrk {}: {}", args.last().unwrap_or(&""), bad.trim());
        return None;
    }
    text.lines().find_map(|l| l.strip_prefix("Requests/sec:")).and_then(|v| v.trim().parse().ok())
}

fn main() {
    // The allocator set as the `hookbench` binary sets it at start-up.
    hookbench::support::memory::keep_freed_memory();
    let mut c = Criterion::default().configure_from_args();
    let rt = runtime();
    let raddr = rt.block_on(receiver());
    let loopback = format!("http://{raddr}/").parse().expect("url");
    let client = hookbench::live::client::http_client(&loopback, IN_FLIGHT * 2).expect("client");
    let target = Destination {
        url: format!("http://{raddr}/hooks/0"),
        secret: Secret::parse(SECRET).expect("secret"),
        scheme: Default::default(),
        payload: Payload::Fat,
    };
    let (saddr, events) = rt.block_on(source_server());
    let base = format!("http://{saddr}");

    let mut g = c.benchmark_group("live");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(10);
    let mut next = 0usize;
    g.bench_function("signed_deliveries", |b| {
        b.iter_custom(|iters| batches(&rt, iters, &client, &target, BATCH, &mut next))
    });
    g.bench_function("polls", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| rt.block_on(polls(&client, &base, events, BATCH))).sum())
    });
    g.finish();

    // Plain against TLS, kept-alive connections against a new connection per delivery.
    let tls = ServerTls::self_signed(&[]).expect("a self-signed certificate");
    let trusted = [reqwest::Certificate::from_pem(tls.chain_pem.as_bytes()).expect("pem")];
    let taddr = rt.block_on(tls_receiver(tls));
    let mut g = c.benchmark_group("live");
    g.throughput(Throughput::Elements(CONNECTIONS as u64));
    g.sample_size(10);
    let mut over_tls = Vec::new();
    for (name, url, idle) in [
        ("signed_deliveries_plain_keep_alive", format!("http://{raddr}/hooks/0"), IN_FLIGHT * 2),
        ("signed_deliveries_plain_new_connection", format!("http://{raddr}/hooks/0"), 0),
        ("signed_deliveries_tls_keep_alive", format!("https://{taddr}/hooks/0"), IN_FLIGHT * 2),
        ("signed_deliveries_tls_new_connection", format!("https://{taddr}/hooks/0"), 0),
    ] {
        let parsed = url.parse().expect("url");
        let client = hookbench::live::client::http_client_trusting(&parsed, idle, &trusted).expect("client");
        let target = Destination { url, ..target.clone() };
        g.bench_function(name, |b| {
            b.iter_custom(|iters| batches(&rt, iters, &client, &target, CONNECTIONS, &mut next))
        });
        if target.url.starts_with("https") {
            over_tls.push((name, client, target, idle > 0));
        }
    }
    g.finish();
    c.final_summary();

    // The ratio: our own rates outside criterion against wrk's on the same servers, each side
    // for 3 s, in ROUNDS rounds taken in turn (ours, then wrk's), so that a disturbance of the
    // machine falls on both; the medians' ratio is printed with every round's figures.
    if !which_wrk() {
        println!("wrk not found: install it (apt-get install wrk) for the ceiling and the ratio");
    }
    let body = serde_json::to_vec(&serde_json::json!({ "id": "evt_0000000001", "data": "x".repeat(600) }))
        .expect("json");
    let ts = unix_now();
    let sig = target.secret.sign("msg_wrk", ts, &body);
    let script = std::env::temp_dir().join("hookbench-wrk-post.lua");
    let lua = format!(
        "wrk.method = \"POST\"\nwrk.body = '{}'\nwrk.headers[\"content-type\"] = \"application/json\"\n\
         wrk.headers[\"webhook-id\"] = \"msg_wrk\"\nwrk.headers[\"webhook-timestamp\"] = \"{ts}\"\n\
         wrk.headers[\"webhook-signature\"] = \"{sig}\"\n",
        String::from_utf8_lossy(&body)
    );
    std::fs::write(&script, lua).expect("the wrk script is written");
    let script_s = script.to_string_lossy().to_string();
    let page = format!("{base}/events?after=evt_0000000100&limit=100");
    let mut fresh = 1usize << 30;
    let mut deliveries_for =
        |client: &hookbench::live::transport::HttpClient, target: &Destination, n: usize| {
            for_a_side(n, || {
                fresh += n;
                rt.block_on(deliveries(client, target, n, fresh - n))
            })
        };
    let mut rows: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
    let mut hooks = (Vec::new(), Vec::new());
    let mut pages = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        hooks.0.push(deliveries_for(&client, &target, BATCH));
        hooks.1.extend(wrk(&["-t2", "-c64", "-d3s", "-s", &script_s, &target.url]));
        pages.0.push(for_a_side(BATCH, || rt.block_on(polls(&client, &base, events, BATCH))));
        pages.1.extend(wrk(&["-t2", "-c64", "-d3s", &page]));
    }
    rows.push(("signed deliveries (plain, kept alive)".into(), hooks.0, hooks.1));
    rows.push(("polls (pages of 100 x 512 B, parsed)".into(), pages.0, pages.1));
    // Over TLS: wrk over https (it does not check the self-signed certificate) against the same
    // TLS receiver, kept alive and with a new connection (and handshake) per delivery.
    for (name, client, target, keep_alive) in &over_tls {
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            ours.push(deliveries_for(client, target, CONNECTIONS));
            let mut args = vec!["-t2", "-c64", "-d3s", "-s", &script_s];
            if !keep_alive {
                args.extend(["-H", "Connection: close"]);
            }
            args.push(&target.url);
            theirs.extend(wrk(&args));
        }
        rows.push((name.to_string(), ours, theirs));
    }
    println!("\nhookbench against wrk on the same servers, {IN_FLIGHT} in flight / 64 connections, {ROUNDS} rounds of 3 s each:");
    for (name, ours, theirs) in &rows {
        let list = |v: &[f64]| v.iter().map(|x| format!("{x:.0}")).collect::<Vec<_>>().join(", ");
        match (median(ours), median(theirs)) {
            (Some(o), Some(w)) if theirs.len() == ROUNDS => println!(
                "{name}: hookbench {o:.0}/s, wrk {w:.0}/s, ratio {:.0}% of wrk (rounds: ours {}; wrk {})",
                100.0 * o / w,
                list(ours),
                list(theirs)
            ),
            (Some(o), _) => println!("{name}: hookbench {o:.0}/s (rounds {}); no wrk ceiling", list(ours)),
            _ => {}
        }
    }

    // Push latency with zero modelled delay, through the real emitter at 1×.
    let s = Arc::new(Scenario::from_toml(
        "name = \"overhead\"\nduration = \"10s\"\ndrain = \"1s\"\nseed = 3\n[events]\nrate = \"100/s\"\npayload_bytes = 512\n\
         [webhook]\ndelay = \"0s\"\n",
        "bench",
    ).expect("valid"));
    let (hist, lag) = rt.block_on(async {
        let log = Arc::new(EventLog::generate(&s));
        let clock = Clock::start(1.0);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let state = ReceiverState::new(
            Secret::parse(SECRET).expect("secret"),
            300,
            Receiver::new(&s.receiver),
            clock,
            1,
            vec![tx],
        );
        let addr = spawn(receiver::router(state)).await;
        let outbox = LiveOutbox::new(&s, log.len(), "overhead");
        let cx = Emitting {
            scenario: s.clone(),
            log: log.clone(),
            clock,
            client: client.clone(),
            target: Destination {
                url: format!("http://{addr}/hooks/0"),
                secret: Secret::parse(SECRET).expect("secret"),
                scheme: Default::default(),
                payload: Payload::Fat,
            },
            outbox: outbox.clone(),
            end: s.duration + s.drain,
        };
        tokio::spawn(emitter::run(cx));
        // The consumer is a task on the runtime, as the engine's row actors are (not the thread
        // blocked on the runtime, which each delivery would have to wake first).
        let consumer = tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new(3).expect("histogram");
            let mut got = 0;
            while got < log.len() {
                let Some(d) = rx.recv().await else { break };
                let Some(id) = d.event else { continue };
                let _ = hist.record(clock.now().saturating_sub(log.get(id).at));
                got += 1;
            }
            hist
        });
        let hist = consumer.await.expect("consumer");
        let lag = outbox.lock().expect("outbox").lag.summary();
        (hist, lag)
    });
    println!(
        "push latency, zero modelled delay, {} events: p50 {} µs, p99 {} µs, max {} µs \
         (of which the emitter's wake-ups were late by p50 {} µs, p99 {} µs)",
        hist.len(),
        hist.value_at_quantile(0.5),
        hist.value_at_quantile(0.99),
        hist.max(),
        lag.0,
        lag.1
    );
}

fn which_wrk() -> bool {
    std::process::Command::new("wrk").arg("-v").output().is_ok()
}
