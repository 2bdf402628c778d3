//! The middle-ground strategies (long polling, server-sent events, adaptive polling) and
//! recorded traces, in the sim engine, against closed forms and hand-computed figures.
//!
//! Long polling with Poisson arrivals at rate λ and wait limit W: a held request is answered as
//! soon as an event is visible, so (when λ·rtt ≪ 1) each event's latency is one round trip;
//! each gap between events of length g costs ⌊g/W⌋ timed-out requests besides the one that
//! carries the event, so the requests are N / (1 − e^(−λW)), which is ≈ N when λW ≫ 1 and
//! ≈ duration / W when λW ≪ 1: max(events, duration / W).

use hookbench::model::source::EventLog;
use hookbench::scenario::Scenario;
use hookbench::strategy::StrategyKind::{LongPoll, Poll, PollAdaptive, Sse, Webhook};
use hookbench::support::units::{MILLI, SECOND};

use crate::util::{hookbench, rel, row, run, scenario, temp_dir, text};

fn long_poll_scenario(rate: &str, duration: &str, rtt: &str) -> Scenario {
    scenario(&format!(
        "name = \"lp\"\nduration = \"{duration}\"\nseed = 7\n[events]\nrate = \"{rate}\"\n\
         [api]\nrtt = {rtt}\n[strategies]\nlong_poll_wait = \"20s\"\n"
    ))
}

#[test]
fn long_poll_latency_is_the_round_trip_and_requests_follow_the_wait() {
    // Few events (λW = 0.02): requests ≈ duration / W, latency ≈ E[rtt].
    let s = long_poll_scenario("3.6/h", "30d", "{ median = \"80ms\", p99 = \"400ms\" }");
    let r = run(&s, &[LongPoll], &[]);
    let lp = row(&r, "long-poll");
    let n = lp.events.total as f64;
    assert!(n > 2000.0, "{n} events");
    assert_eq!((lp.events.missed, lp.events.duplicates), (0, 0));
    let rtt_ms = s.api.rtt.mean() / MILLI as f64;
    let mean = lp.latency_ms.mean.unwrap();
    assert!(rel(mean, rtt_ms) < 0.05, "mean {mean:.1} ms, E[rtt] {rtt_ms:.1} ms");
    let (w, d) = (20.0, s.duration as f64 / SECOND as f64);
    let req = lp.requests.total.expect("calls the API") as f64;
    let exact = n / (1.0 - (-n / d * w).exp());
    assert!(rel(req, exact) < 0.02, "{req} requests, closed form {exact:.0}");
    assert!(rel(req, (d / w).max(n)) < 0.03, "{req} requests vs duration/W {}", d / w);

    // Many events (λW = 10) and a short round trip: requests ≈ events.
    let s = long_poll_scenario("1800/h", "6h", "\"5ms\"");
    let r = run(&s, &[LongPoll, Poll], &[30 * SECOND]);
    let lp = row(&r, "long-poll");
    let n = lp.events.total as f64;
    let req = lp.requests.total.expect("calls the API") as f64;
    assert!(rel(req, n.max(6.0 * 3600.0 / 20.0)) < 0.03, "{req} requests for {n} events");
    let mean = lp.latency_ms.mean.unwrap();
    assert!(mean < 6.0, "mean {mean} ms with a 5 ms round trip");
    // Nothing like the 15 s a 30 s poll waits on average.
    assert!(row(&r, "poll@30s").latency_ms.mean.unwrap() > 100.0 * mean);
}

#[test]
fn sse_resumes_after_drops_with_last_event_id_and_delivers_each_event_once() {
    let s = scenario(
        "name = \"sse\"\nduration = \"6h\"\nseed = 3\n[events]\nrate = \"3600/h\"\n\
         [api]\nrtt = { median = \"80ms\", p99 = \"400ms\" }\nsse_retry = \"30s\"\nsse_drops = [\"1h\", \"2h30m\"]\nsse_drop_every = \"2h\"\n",
    );
    let log = EventLog::generate(&s);
    let r = run(&s, &[Sse], &[]);
    let sse = row(&r, "sse");
    // Drops at 1h, 2h, 2h30m, 4h: five connections.
    assert_eq!(sse.requests.total.expect("calls the API"), 5);
    assert_eq!(sse.requests.wasted.expect("calls the API"), 0);
    assert_eq!(sse.events.detected, sse.events.total);
    assert_eq!((sse.events.missed, sse.events.duplicates, sse.events.out_of_order), (0, 0, 0));
    // Events visible while the stream was down (≈ 30 s after each drop) were replayed, late.
    let in_gaps =
        log.events().iter().filter(|e| e.visible_at > 3600 * SECOND && e.visible_at < 3630 * SECOND);
    assert!(in_gaps.count() > 10);
    assert!(sse.latency_ms.max.unwrap() > 29_000.0, "max {:?}", sse.latency_ms.max);
    // Otherwise an event takes a one-way trip: half the mean round trip, give or take.
    let p50 = sse.latency_ms.p50.unwrap();
    assert!(p50 > 30.0 && p50 < 60.0, "p50 {p50} ms");
}

#[test]
fn adaptive_polling_is_cheaper_than_its_fastest_and_quicker_than_its_slowest() {
    let s = scenario(
        "name = \"bursty\"\nduration = \"24h\"\nseed = 11\n[events]\nrate = \"6/h\"\n\
         bursts = [{ at = \"3h\", duration = \"15m\", rate = \"3600/h\" }, { at = \"11h\", duration = \"30m\", rate = \"1800/h\" }, { at = \"17h\", duration = \"10m\", rate = \"6000/h\" }]\n\
         [strategies]\nadaptive = { min = \"1s\", max = \"2m\", backoff = 2.0 }\n",
    );
    let r = run(&s, &[PollAdaptive, Poll], &[SECOND, 120 * SECOND]);
    let (a, fast, slow) = (row(&r, "poll-adaptive"), row(&r, "poll@1s"), row(&r, "poll@2m"));
    assert_eq!(a.events.missed, 0);
    assert!(
        (a.requests.total.expect("calls the API") as f64)
            < 0.2 * fast.requests.total.expect("calls the API") as f64,
        "adaptive {} requests, poll@1s {}",
        a.requests.total.expect("calls the API"),
        fast.requests.total.expect("calls the API")
    );
    let (am, sm) = (a.latency_ms.mean.unwrap(), slow.latency_ms.mean.unwrap());
    assert!(am < 0.5 * sm, "adaptive mean {am:.0} ms, poll@2m {sm:.0} ms");
    assert_eq!(a.interval_s, None);
}

#[test]
fn adaptive_polling_obeys_x_poll_interval_as_a_floor() {
    let s = scenario(
        "name = \"hint\"\nduration = \"2h\"\n[events]\nrate = \"600/h\"\n[api]\npoll_interval_hint = \"10s\"\n\
         [strategies]\nadaptive = { min = \"1s\", max = \"1m\" }\n",
    );
    let r = run(&s, &[PollAdaptive], &[]);
    let a = row(&r, "poll-adaptive");
    // At most one poll per 10 s (plus page follow-ups, which a 600/h stream never needs).
    assert!(
        a.requests.total.expect("calls the API") <= 2 * 360 + 1,
        "{} requests",
        a.requests.total.expect("calls the API")
    );
    assert!(
        a.requests.total.expect("calls the API") >= 360,
        "{} requests",
        a.requests.total.expect("calls the API")
    );
}

const TRACE: &str = "\
# a hand-made trace: four orders changing state
timestamp,resource,type
1,ord_a,order.created
2.5,ord_b,order.created
15s,ord_a,order.paid
29,ord_b,order.paid
";

fn trace_scenario(dir: &std::path::Path, extra: &str) -> (std::path::PathBuf, Scenario) {
    std::fs::write(dir.join("orders.csv"), TRACE).unwrap();
    let toml = format!(
        "name = \"trace\"\ndrain = \"1m\"\n[events]\ntrace = \"orders.csv\"\n\
         [api]\nrtt = \"100ms\"\n[webhook]\ndelay = \"300ms\"\n{extra}"
    );
    let path = dir.join("trace.toml");
    std::fs::write(&path, &toml).unwrap();
    let s = Scenario::from_file(&path, &toml).unwrap_or_else(|e| panic!("{e}"));
    (path, s)
}

#[test]
fn trace_replay_gives_the_latencies_computed_by_hand() {
    let dir = temp_dir("trace-replay");
    let (_, s) = trace_scenario(&dir, "");
    // The duration defaults to the trace's span, rounded up to the next second.
    assert_eq!(s.duration, 30 * SECOND);
    assert_eq!(s.events.resources, 2);
    let r = run(&s, &[Poll, Webhook, LongPoll], &[10 * SECOND]);
    assert_eq!(r.run.events, 4);
    // Polls at 0, 10, 20, 30 s answer 100 ms later: 10.1 − 1, 10.1 − 2.5, 20.1 − 15, 30.1 − 29.
    let poll = row(&r, "poll@10s");
    assert_eq!(poll.latency_ms.mean, Some((9100.0 + 7600.0 + 5100.0 + 1100.0) / 4.0));
    assert_eq!(poll.latency_ms.max, Some(9100.0));
    assert_eq!(poll.events.out_of_order, 0);
    // A webhook arrives its fixed 300 ms after each event; a held long poll its 100 ms round trip.
    assert_eq!(row(&r, "webhook").latency_ms.mean, Some(300.0));
    assert_eq!(row(&r, "long-poll").latency_ms.max, Some(100.0));
}

#[test]
fn trace_scenarios_run_from_the_command_line_and_bad_rows_name_their_line() {
    let dir = temp_dir("trace-cli");
    let (path, _) = trace_scenario(&dir, "");
    let p = path.to_str().unwrap();
    let out = hookbench(&["compare", "--scenario", p, "--interval", "10s", "--format", "json", "--quiet"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("\"rows_total\": 4"), "{stdout}");
    std::fs::write(dir.join("orders.csv"), "timestamp\n1\nlater\n").unwrap();
    let out = hookbench(&["compare", "--scenario", p]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("orders.csv") && stderr.contains("line 3"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    let out = hookbench(&["scenarios", "validate", "examples/scenarios/trace.toml"]);
    assert!(out.status.success(), "{}", text(&out).1);
}

#[test]
fn daily_curves_put_the_events_in_business_hours() {
    let s = scenario(
        "name = \"daily\"\nduration = \"7d\"\n[events]\nrate = \"100/h\"\n\
         daily = [0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 2, 1, 0, 0, 0, 0, 0, 0]\n",
    );
    let log = EventLog::generate(&s);
    let hour = |h: u64| log.events().iter().filter(|e| (e.at / 3_600_000_000) % 24 == h).count();
    assert_eq!(hour(3), 0);
    // The weights sum to 27: 100/h × 3 / (27/24) ≈ 267/h in a peak hour, 7 days of them.
    assert!(rel(hour(11) as f64, 7.0 * 100.0 * 3.0 * 24.0 / 27.0) < 0.1, "{}", hour(11));
    assert!(rel(log.len() as f64, 7.0 * 24.0 * 100.0) < 0.05, "{}", log.len());
}

#[test]
fn live_long_poll_sse_and_adaptive_agree_with_the_sim() {
    let s = scenario(
        "name = \"live-middle\"\nduration = \"10m\"\ndrain = \"1m\"\nseed = 5\n[events]\nrate = \"600/h\"\nresources = 20\n\
         payload_bytes = 64\n[api]\nrtt = \"100ms\"\nsse_retry = \"10s\"\nsse_drops = [\"4m\"]\n\
         [strategies]\nlong_poll_wait = \"20s\"\nadaptive = { min = \"2s\", max = \"1m\" }\n",
    );
    let kinds = [LongPoll, Sse, PollAdaptive];
    let sim = run(&s, &kinds, &[]);
    let specs = hookbench::strategy::Spec::expand(&kinds, &[], s.strategies.reconcile_interval);
    let opts = hookbench::live::engine::LiveOptions { speedup: 120.0, progress: false, tls: false };
    let live = hookbench::live::engine::run(&s, &specs, opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sim.run.events, live.run.events);
    for name in ["long-poll", "sse", "poll-adaptive"] {
        let (a, b) = (row(&sim, name), row(&live, name));
        for r in [a, b] {
            assert_eq!((r.events.missed, r.events.duplicates), (0, 0), "{name}: {:?}", r.events);
            assert_eq!(r.events.detected + r.events.in_flight, r.events.total, "{name}");
        }
        let (sm, lm) = (a.latency_ms.mean.unwrap(), b.latency_ms.mean.unwrap());
        // Compression adds the real loopback round trip (×120) and timer slack on top.
        assert!(lm < sm * 1.5 + 150.0, "{name}: sim mean {sm:.0} ms, live {lm:.0} ms");
        let (sr, lr) = (
            a.requests.total.expect("calls the API") as f64,
            b.requests.total.expect("calls the API") as f64,
        );
        assert!(rel(lr, sr) < 0.15, "{name}: sim {sr} requests, live {lr}");
    }
    // One connection, one reconnect after the drop at 4 m, every event delivered once.
    let sse = row(&live, "sse");
    assert_eq!(sse.requests.total.expect("calls the API"), 2);
    assert_eq!(sse.events.detected, sse.events.total);
}
