//! Faults on the provider's side: API 5xx answers and outages, a delivery pipeline that stops,
//! and the circuit breaker.

use hookbench::strategy::StrategyKind::{Hybrid, LongPoll, Poll, PollEtag, PollState, Sse, Webhook};

use crate::capacity::live;
use crate::util::{rel, row, run, scenario};

const SECOND: u64 = 1_000_000;
const MINUTE: f64 = 60_000.0; // ms

fn outage_scenario(extra: &str) -> hookbench::scenario::Scenario {
    scenario(&format!(
        r#"
        name = "api-outage-test"
        duration = "6h"
        seed = 9
        [events]
        rate = "600/h"
        [api]
        rtt = "100ms"
        outages = [{{ at = "2h", duration = "20m" }}]
        [webhook]
        delay = "300ms"
        {extra}
        "#
    ))
}

/// A 20-minute API outage: the cursor poller loses nothing; events of the outage wait for its
/// end, and are fetched within one interval plus the backoff's 5-minute bound of it.
#[test]
fn a_cursor_poller_catches_up_after_an_api_outage() {
    let s = outage_scenario("");
    let r = run(&s, &[Poll], &[30 * SECOND]);
    let p = row(&r, "poll@30s");
    assert_eq!((p.events.missed, p.events.in_flight), (0, 0));
    let max = p.latency_ms.max.unwrap();
    assert!(max >= 19.5 * MINUTE, "max {max} ms: the outage's first events wait it out");
    assert!(max <= 20.0 * MINUTE + 30_000.0 + 300_000.0, "max {max} ms");
    assert!(p.requests.failed > 0);
}

/// The hybrid's fetches fail during the outage and are retried: nothing is missed, and the
/// events behind them wait for the outage's end.
#[test]
fn the_hybrid_fetch_stalls_while_the_api_is_down() {
    let s = outage_scenario("");
    let r = run(&s, &[Hybrid], &[]);
    let h = row(&r, "hybrid");
    assert_eq!((h.events.missed, h.events.in_flight), (0, 0));
    assert!(h.requests.failed > 0);
    assert!(h.latency_ms.max.unwrap() >= 19.0 * MINUTE, "{:?}", h.latency_ms);
}

/// A 30-minute provider outage: webhooks wait it out (max ≥ 30 min), lose nothing and count no
/// retry; the pollers are byte-identical to a run without it.
#[test]
fn a_provider_outage_delays_webhooks_and_leaves_pollers_alone() {
    let plain = scenario("name = \"p\"\nduration = \"6h\"\nseed = 9\n[events]\nrate = \"600/h\"\n");
    let down = scenario(
        "name = \"p\"\nduration = \"6h\"\nseed = 9\n[events]\nrate = \"600/h\"\n\
         [webhook]\noutages = [{ at = \"4h\", duration = \"30m\" }]\n",
    );
    let kinds = [Poll, PollEtag, PollState, Webhook];
    let (a, b) = (run(&plain, &kinds, &[30 * SECOND]), run(&down, &kinds, &[30 * SECOND]));
    let w = row(&b, "webhook");
    // The first event due in the window waits for its end: 30 minutes less the few seconds
    // between the window's start and that event (600/h: seconds apart).
    let max = w.latency_ms.max.unwrap();
    assert!((29.0 * MINUTE..=30.1 * MINUTE).contains(&max), "{:?}", w.latency_ms);
    assert_eq!(
        (
            w.events.missed,
            w.webhooks.retried.expect("takes webhooks"),
            w.webhooks.failed.expect("takes webhooks")
        ),
        (0, 0, 0)
    );
    for label in ["poll@30s", "poll-etag@30s", "poll-state@30s"] {
        let (x, y) =
            (serde_json::to_string(row(&a, label)).unwrap(), serde_json::to_string(row(&b, label)).unwrap());
        assert_eq!(x, y, "{label} is untouched by the provider's outage");
    }
}

/// `failure_rate = 0.1`: a tenth of every poll row's calls fail; every event is accounted for.
#[test]
fn a_failure_rate_fails_that_share_of_calls() {
    // 86,400 calls a row at 1 s (≈ 288,000 for poll-state at 30 s over 100 resources): the
    // share's sampling error is about 1% of 10%, so 3% is three of them.
    let s = scenario(
        "name = \"f\"\nduration = \"24h\"\nseed = 2\n[events]\nrate = \"600/h\"\n[api]\nfailure_rate = 0.1\n",
    );
    let mut r = run(&s, &[Poll, PollEtag], &[SECOND]);
    r.strategies.extend(run(&s, &[PollState], &[30 * SECOND]).strategies);
    for row in &r.strategies {
        let share = row.requests.failed as f64 / row.requests.total.expect("calls the API") as f64;
        assert!(
            rel(share, 0.1) < 0.03,
            "{}: {share:.4} of {} calls",
            row.label,
            row.requests.total.expect("calls the API")
        );
        let e = &row.events;
        assert_eq!(e.detected + e.missed + e.in_flight, e.total);
    }
}

/// A circuit breaker (5 failures open it for 30 s) turns a 1 s poller's 20-minute outage into a
/// probe every 30 s, not 1,200 failed calls.
#[test]
fn a_circuit_breaker_probes_instead_of_hammering() {
    let s = outage_scenario("[strategies]\ncircuit_breaker = { failures = 5, open = \"30s\" }");
    let r = run(&s, &[Poll], &[SECOND]);
    let p = row(&r, "poll@1s");
    assert!(p.requests.failed <= 1200 / 30 + 5 + 2, "{} failed calls", p.requests.failed);
    assert!(p.requests.breaker_openings >= 30, "{} openings", p.requests.breaker_openings);
    assert!(p.requests.breaker_saved > 1000, "{} saved", p.requests.breaker_saved);
    assert_eq!((p.events.missed, p.events.in_flight), (0, 0));
}

/// A 20-minute API outage in which the live server refuses connections (`refuse = true`).
fn refusing_outage(extra: &str) -> hookbench::scenario::Scenario {
    scenario(&format!(
        r#"
        name = "refusing-outage"
        duration = "40m"
        drain = "15m"
        seed = 9
        [events]
        rate = "600/h"
        [api]
        rtt = "100ms"
        outages = [{{ at = "10m", duration = "20m", refuse = true }}]
        [webhook]
        delay = "300ms"
        {extra}
        "#
    ))
}

/// Issue 15, live: the API refuses connections for 20 minutes. The poller counts every refused
/// connection as a failed call, backs off, keeps its cursor and loses nothing; the events of the
/// outage wait it out (max latency at least the outage, within 5%) and are fetched within one
/// interval plus the backoff's 5-minute bound of its end.
#[test]
fn a_live_poller_rides_out_refused_connections() {
    let s = refusing_outage("");
    let r = live(&s, &[Poll], 600.0);
    let p = row(&r, "poll@30s");
    assert_eq!((p.events.missed, p.events.in_flight), (0, 0), "{:?}", p.events);
    assert_eq!(p.events.detected, p.events.total);
    let max = p.latency_ms.max.unwrap();
    assert!(max >= 0.95 * 20.0 * MINUTE, "max {max} ms: the outage's first events wait it out");
    assert!(max <= 20.0 * MINUTE + 30_000.0 + 300_000.0, "max {max} ms");
    assert!(p.requests.failed > 0, "{:?}", p.requests);
}

/// Issue 15, live against sim: with a circuit breaker (3 failures, 30 s open) the refused
/// outage costs a probe every 30 s in both engines, so the catch-up does not hang on the
/// backoff's random draws, and the live figures agree with the sim's: max and mean latency within
/// 5%, failed calls within a few probes.
#[test]
fn a_refused_outage_costs_the_same_live_and_in_the_sim() {
    let s = refusing_outage("[strategies]\ncircuit_breaker = { failures = 3, open = \"30s\" }");
    let (sim, live) = (run(&s, &[Poll], &[30 * SECOND]), live(&s, &[Poll], 600.0));
    let (a, b) = (row(&sim, "poll@30s"), row(&live, "poll@30s"));
    assert_eq!((b.events.missed, b.events.in_flight), (0, 0), "{:?}", b.events);
    let (sm, lm) = (a.latency_ms.max.unwrap(), b.latency_ms.max.unwrap());
    let (sa, la) = (a.latency_ms.mean.unwrap(), b.latency_ms.mean.unwrap());
    let (sf, lf) = (a.requests.failed as f64, b.requests.failed as f64);
    eprintln!(
        "refused 20-minute outage, poll@30s with a breaker: max sim {sm:.0} ms, live {lm:.0} ms; mean sim {sa:.0} ms, live {la:.0} ms; failed sim {sf}, live {lf}"
    );
    assert!(sm >= 19.5 * MINUTE && lm >= 0.95 * 20.0 * MINUTE, "max: sim {sm} ms, live {lm} ms");
    assert!(rel(lm, sm) < 0.05, "max: sim {sm:.0} ms, live {lm:.0} ms");
    assert!(rel(la, sa) < 0.05, "mean: sim {sa:.0} ms, live {la:.0} ms");
    // A probe every 30 s over 20 minutes: the two engines may differ by a probe at either edge of
    // the outage (a few milliseconds of wall time decide it), not by more.
    assert!((lf - sf).abs() <= 3.0, "failed calls: sim {sf}, live {lf}");
}

/// Issue 15, live: a long poll held open and an event stream open when the API starts refusing
/// are cut; both reconnect with their own rules (the stream with `Last-Event-ID`) once it is back
/// and lose nothing.
#[test]
fn long_polls_and_event_streams_reconnect_across_a_refused_outage() {
    let s = refusing_outage("[strategies]\nlong_poll_wait = \"20s\"");
    let r = live(&s, &[LongPoll, Sse], 600.0);
    for label in ["long-poll", "sse"] {
        let x = row(&r, label);
        assert_eq!((x.events.missed, x.events.in_flight), (0, 0), "{label}: {:?}", x.events);
        assert_eq!(x.events.detected, x.events.total, "{label}");
        assert!(x.requests.failed > 0, "{label} met the outage: {:?}", x.requests);
        let max = x.latency_ms.max.unwrap();
        assert!(max >= 0.95 * 20.0 * MINUTE, "{label}: max {max} ms");
    }
}

/// Issue 15, live: a 30-minute provider delivery outage holds every webhook due in it until it
/// ends — max latency the outage's length within 5%, nothing missed, no retry counted. (At 120
/// events an hour the ~60 held deliveries that go out together at its end stay within what
/// loopback sends in a few wall-clock milliseconds at 600×, and a 1-minute timeout — 100 ms of
/// wall time — keeps a busy machine's scheduling from failing one of them.)
#[test]
fn a_live_provider_outage_holds_webhooks_until_it_ends() {
    let s = scenario(
        "name = \"p\"\nduration = \"45m\"\ndrain = \"5m\"\nseed = 9\n[events]\nrate = \"120/h\"\n\
         [webhook]\ndelay = \"300ms\"\ntimeout = \"1m\"\noutages = [{ at = \"10m\", duration = \"30m\" }]\n",
    );
    let r = live(&s, &[Webhook], 600.0);
    let w = row(&r, "webhook");
    let max = w.latency_ms.max.unwrap();
    assert!((0.95 * 30.0 * MINUTE..=1.05 * 30.0 * MINUTE).contains(&max), "{:?}", w.latency_ms);
    assert_eq!((w.events.missed, w.events.in_flight), (0, 0), "{:?}", w.events);
    assert_eq!(w.webhooks.retried.expect("takes webhooks"), 0, "{:?}", w.webhooks);
}

/// Issue 15, live: in a window with `refuse = true` the server answers nothing — a new
/// connection is reset and a request held open when the window begins (a long poll) is cut —
/// and serves again once it ends. (A 503 would be an answer; the client must see none.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_server_answers_nothing_in_its_window() {
    use hookbench::live::clock::Clock;
    use hookbench::live::serve::{serve_refusing, Limits, Refusals};
    use hookbench::model::window::Window;
    use std::time::{Duration, Instant};

    let router = axum::Router::new().route("/", axum::routing::get(|| async { "ok" })).route(
        "/hold",
        axum::routing::get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "held"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // At 100×, scenario seconds 30 to 60 are wall-clock 0.3 s to 0.6 s.
    let clock = Clock::start(100.0);
    let refusals = Refusals::new(clock, vec![Window { at: 30 * SECOND, duration: 30 * SECOND }]);
    tokio::spawn(serve_refusing(listener, router, Limits::default(), refusals, std::future::pending()));
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let get = |path: &str| client.get(format!("http://{addr}{path}")).send();

    assert_eq!(get("/").await.unwrap().status(), 200, "served before the window");
    let held = Instant::now();
    let cut = get("/hold").await;
    assert!(cut.is_err(), "a request held open when the window began is cut, not answered: {cut:?}");
    assert!(held.elapsed() < Duration::from_secs(2), "cut when the window began, not at the handler's end");
    tokio::time::sleep_until(tokio::time::Instant::from_std(clock.instant_at(40 * SECOND))).await;
    let refused = get("/").await;
    assert!(refused.is_err(), "no answer inside the window: {refused:?}");
    tokio::time::sleep_until(tokio::time::Instant::from_std(clock.instant_at(61 * SECOND))).await;
    assert_eq!(get("/").await.unwrap().status(), 200, "served again after it");
}

/// Issue 15: `hookbench serve` refuses connections in a `refuse = true` outage (it answered 503
/// before), and serves once the window is over.
#[test]
fn serve_refuses_connections_in_a_refusing_outage() {
    use crate::util::{start_serve, temp_dir};
    use std::time::Duration;

    let dir = temp_dir("serve-refuses");
    let file = dir.join("refuse.toml");
    std::fs::write(
        &file,
        "name = \"refuse\"\nduration = \"1h\"\nseed = 3\n[events]\nrate = \"60/h\"\n\
         [api]\noutages = [{ at = \"0s\", duration = \"2s\", refuse = true }]\n",
    )
    .unwrap();
    let (mut child, _out, addr) =
        start_serve(&["--scenario", file.to_str().unwrap(), "--addr", "127.0.0.1:0", "--stop-after", "20s"]);
    let get = || {
        let mut s = std::net::TcpStream::connect(&addr)?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        std::io::Write::write_all(&mut s, b"GET /events HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")?;
        let mut answer = String::new();
        std::io::Read::read_to_string(&mut s, &mut answer)?;
        Ok::<String, std::io::Error>(answer)
    };
    let inside = get();
    assert!(
        inside.as_ref().map_or(true, |a| a.is_empty()),
        "no HTTP answer inside the window (not even a 503): {inside:?}"
    );
    std::thread::sleep(Duration::from_millis(2500));
    let after = get().expect("served after the window");
    assert!(after.starts_with("HTTP/1.1 200"), "{after}");
    let _ = child.kill();
    let _ = child.wait();
}
