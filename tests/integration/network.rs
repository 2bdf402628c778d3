//! The network model against its closed forms: what a handshake adds, and when it is paid.
//!
//! A new connection costs 1 round trip of `[network] rtt` for TCP plus 1 for TLS 1.3 or 2 for
//! TLS 1.2 before its request. With every delay fixed, each attempt or answer on a new connection
//! lands exactly k·RTT later than on a warm one, so a row's mean latency moves by exactly k·RTT
//! times the share of events detected through a new connection. A scenario without `[network]`
//! models no handshake at all (the golden results hold that).

use hookbench::scenario::Scenario;
use hookbench::strategy::StrategyKind::{Poll, Webhook};
use hookbench::support::units::SECOND;

use crate::bad_input::one_sentence;
use crate::util::{hookbench, rel, row, run, scenario, temp_dir, text};

const RTT_MS: f64 = 100.0;

/// Webhooks at a fixed 300 ms delay to a receiver that never fails; `network` is appended.
fn webhooks(network: &str) -> Scenario {
    scenario(&format!(
        r#"
        name = "net-webhook"
        duration = "2h"
        seed = 11
        [events]
        rate = "600/h"
        [webhook]
        delay = "300ms"
        {network}
        "#
    ))
}

/// (mean latency ms, detected events) of the webhook row.
fn webhook_mean(s: &Scenario) -> (f64, u64) {
    let report = run(s, &[Webhook], &[]);
    let r = row(&report, "webhook");
    (r.latency_ms.mean.expect("detected"), r.events.detected)
}

#[test]
fn a_new_connection_per_attempt_adds_tcp_plus_tls_round_trips_exactly() {
    let (base, n) = webhook_mean(&webhooks(""));
    assert_eq!(base, 300.0, "no [network]: today's fixed delay");
    assert!(n > 1_000, "{n} events");
    for (tls, k) in [("none", 1.0), ("1.3", 2.0), ("1.2", 3.0)] {
        let s = webhooks(&format!("connection = \"new\"\n[network]\nrtt = \"100ms\"\ntls = \"{tls}\""));
        let (mean, detected) = webhook_mean(&s);
        assert_eq!(detected, n, "{tls}");
        assert!(
            (mean - base - k * RTT_MS).abs() < 1e-9,
            "TLS {tls}: mean {mean} ms, base {base} ms, k = {k}"
        );
    }
}

#[test]
fn keep_alive_and_new_differ_by_two_round_trips_on_every_attempt_but_the_first() {
    let tail = "[network]\nrtt = \"100ms\"\ntls = \"1.3\"\nidle_timeout = \"1d\"";
    let (new, n) = webhook_mean(&webhooks(&format!("connection = \"new\"\n{tail}")));
    let (alive, m) = webhook_mean(&webhooks(&format!("connection = \"keep-alive\"\n{tail}")));
    assert_eq!(n, m);
    // Keep-alive opens its one connection for the first attempt and never again (an attempt is
    // answered at once, so the next finds it idle and warm).
    let expected = 2.0 * RTT_MS * (n - 1) as f64 / n as f64;
    assert!(
        (new - alive - expected).abs() < 1e-9,
        "new {new} ms, keep-alive {alive} ms, expected {expected}"
    );
    assert!((new - 300.0 - 2.0 * RTT_MS).abs() < 1e-9, "every new attempt pays 2 RTT: {new}");
    // Without a `connection` key, `[network]` keeps connections alive.
    let (default, _) = webhook_mean(&webhooks(tail));
    assert_eq!(default, alive);
}

#[test]
fn keep_alive_pays_again_after_the_idle_timeout() {
    // Events 6 s apart on average: an idle timeout of 1 ms closes the connection between any two.
    let s = webhooks("connection = \"keep-alive\"\n[network]\nrtt = \"100ms\"\nidle_timeout = \"1ms\"");
    let (mean, n) = webhook_mean(&s);
    let (new, _) = webhook_mean(&webhooks("connection = \"new\"\n[network]\nrtt = \"100ms\""));
    // Only an attempt due within 1 ms of the last one's answer finds it warm (an event 200 to
    // 201 ms after the one before: rare at this rate); every other attempt pays 2 RTT again.
    let warm = (new - mean) * n as f64 / (2.0 * RTT_MS);
    assert!((warm - warm.round()).abs() < 1e-6, "whole attempts saved: {warm}");
    assert!(warm.round() <= 2.0, "idled out all but {warm} times: {mean} vs {new}");
    let (long, _) = webhook_mean(&webhooks("connection = \"keep-alive\"\n[network]\nrtt = \"100ms\""));
    assert!(new - long > 1.9 * RTT_MS, "the default 90 s keeps it warm: {long} vs {new}");
}

/// A poller at 30 s against an API with a fixed 250 ms round trip; `api` and `network` appended
/// to their sections.
fn poller(api: &str, network: &str) -> Scenario {
    scenario(&format!(
        r#"
        name = "net-poll"
        duration = "24h"
        seed = 5
        [events]
        rate = "600/h"
        [api]
        rtt = "250ms"
        page_size = 10000
        {api}
        {network}
        "#
    ))
}

/// (mean latency ms, requests) of `poll@30s`.
fn poll_mean(s: &Scenario) -> (f64, u64) {
    let report = run(s, &[Poll], &[30 * SECOND]);
    let r = row(&report, "poll@30s");
    (r.latency_ms.mean.expect("detected"), r.requests.total.expect("calls the API"))
}

#[test]
fn a_poller_on_new_connections_pays_the_handshake_on_every_poll() {
    let (base, polls) = poll_mean(&poller("", ""));
    assert!(rel(base, 15_000.0 + 250.0) < 0.01, "closed form T/2 + rtt: {base}");
    for (tls, k) in [("none", 1.0), ("1.3", 2.0), ("1.2", 3.0)] {
        let net = format!("[network]\nrtt = \"100ms\"\ntls = \"{tls}\"");
        let (mean, n) = poll_mean(&poller("connection = \"new\"", &net));
        assert_eq!(n, polls, "the handshake does not change the schedule");
        // T/2 + api rtt + k·RTT: every answer lands k round trips later.
        assert!((mean - base - k * RTT_MS).abs() < 1e-6, "TLS {tls}: {mean} vs {base} + {k}·RTT");
    }
}

#[test]
fn a_keep_alive_poller_pays_every_poll_when_the_idle_timeout_is_shorter_than_the_interval() {
    let (base, _) = poll_mean(&poller("", ""));
    let (new, _) = poll_mean(&poller("connection = \"new\"", "[network]\nrtt = \"100ms\""));
    let short = "[network]\nrtt = \"100ms\"\nidle_timeout = \"10s\"";
    let (idled, _) = poll_mean(&poller("connection = \"keep-alive\"", short));
    assert!((idled - new).abs() < 1e-6, "idle 10 s < 30 s: every poll reconnects: {idled} vs {new}");
    // Longer than the interval: only the very first poll (at 0 s, with nothing to fetch yet)
    // opens the connection, so no event waits on a handshake.
    let long = "[network]\nrtt = \"100ms\"\nidle_timeout = \"90s\"";
    let (warm, _) = poll_mean(&poller("connection = \"keep-alive\"", long));
    assert!((warm - base).abs() < 1e-6, "idle 90 s > 30 s: paid once: {warm} vs {base}");
}

#[test]
fn the_echo_gains_the_network_keys_only_when_set() {
    let plain = serde_json::to_value(poller("", "")).expect("serializes");
    assert!(plain.get("network").is_none(), "{plain}");
    assert!(plain["api"].get("connection").is_none() && plain["webhook"].get("connection").is_none());
    let set =
        serde_json::to_value(poller("connection = \"new\"", "[network]\nrtt = \"100ms\"\ntls = \"1.2\""))
            .expect("serializes");
    assert_eq!(set["network"]["rtt"]["fixed_s"], 0.1);
    assert_eq!(set["network"]["tls"], "1.2");
    assert_eq!(set["network"]["idle_timeout_s"], 90.0);
    assert_eq!(set["api"]["connection"], "new");
    assert_eq!(set["webhook"]["connection"], "keep-alive", "the default once [network] is set");
    // And it reads back (a saved result's scenario).
    let back: Scenario = serde_json::from_value(set.clone()).expect("reads back");
    assert_eq!(serde_json::to_value(back).expect("serializes"), set);
}

/// Writes `body` as a scenario file and returns its path.
fn file(name: &str, body: &str) -> String {
    let dir = temp_dir(&format!("network-{name}"));
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, format!("name = \"{name}\"\nduration = \"1h\"\n[events]\nrate = \"60/h\"\n{body}"))
        .expect("writes");
    path.display().to_string()
}

#[test]
fn unknown_values_are_one_sentence_naming_the_allowed_ones() {
    let f = file("tls", "[network]\nrtt = \"100ms\"\ntls = \"1.1\"\n");
    one_sentence(&["compare", "--scenario", &f], &["network.tls", "`1.1`", "\"1.3\", \"1.2\" or \"none\""]);
    let f = file("conn", "[webhook]\nconnection = \"reuse\"\n[network]\nrtt = \"100ms\"\n");
    one_sentence(
        &["compare", "--scenario", &f],
        &["webhook.connection", "`reuse`", "\"keep-alive\" or \"new\""],
    );
    let f = file("apiconn", "[api]\nconnection = \"close\"\n");
    one_sentence(&["compare", "--scenario", &f], &["api.connection", "`close`", "\"keep-alive\" or \"new\""]);
    let f = file("nonet", "[webhook]\nconnection = \"new\"\n");
    one_sentence(&["compare", "--scenario", &f], &["webhook.connection", "[network]", "rtt"]);
    let f = file("nortt", "[network]\ntls = \"1.2\"\n");
    one_sentence(&["compare", "--scenario", &f], &["network.rtt", "is missing"]);
    let f = file("idle", "[network]\nrtt = \"100ms\"\nidle_timeout = \"0s\"\n");
    one_sentence(&["compare", "--scenario", &f], &["network.idle_timeout"]);
}

#[test]
fn scenarios_show_prints_the_network_keys() {
    let f = file("show", "[webhook]\nconnection = \"new\"\n[network]\nrtt = \"90ms\"\ntls = \"1.2\"\n");
    let out = hookbench(&["scenarios", "show", &f]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    for key in ["[network]", "rtt = \"90ms\"", "tls = \"1.2\"", "connection = \"new\""] {
        assert!(stdout.contains(key), "{key} in {stdout}");
    }
}

/// Live: the modelled handshake is waited as a delay before each new connection's request (the
/// webhook's POST, the API's answer), and the header's distortion line says so.
#[test]
fn the_live_engine_waits_the_modelled_handshakes() {
    let s = scenario(
        r#"
        name = "net-live"
        duration = "2m"
        drain = "1m"
        seed = 3
        [events]
        rate = "600/h"
        resources = 20
        [api]
        rtt = "50ms"
        connection = "new"
        [webhook]
        delay = "200ms"
        connection = "new"
        [network]
        rtt = "1s"
        tls = "1.3"
        "#,
    );
    let specs =
        hookbench::strategy::Spec::expand(&[Poll, Webhook], &[10 * SECOND], s.strategies.reconcile_interval);
    let opts = hookbench::live::engine::LiveOptions { speedup: 100.0, progress: false, tls: false };
    let live = hookbench::live::engine::run(&s, &specs, opts).expect("runs");
    let info = live.live.as_ref().expect("a live run");
    assert!(info.distortion.contains("2 round trips of [network] rtt"), "{}", info.distortion);
    // Every attempt and every answer waited 2 × 1 s more than its modelled delay (the header's
    // loopback overhead only adds to it), so even the median is past it.
    for (label, floor_ms) in [("webhook", 2_200.0), ("poll@10s", 2_050.0)] {
        let r = row(&live, label);
        assert!(r.events.detected > 0, "{label}");
        let p50 = r.latency_ms.p50.expect("detected");
        assert!(p50 >= floor_ms * 0.99, "{label}: p50 {p50} ms under the handshake's {floor_ms} ms");
    }
}

/// The JSON result of a run with `[network]` validates against schema.json, which knows the keys.
#[test]
fn a_result_with_the_network_keys_validates_against_the_schema() {
    let f = file(
        "schema",
        "[api]\nconnection = \"new\"\n[webhook]\nconnection = \"keep-alive\"\n[network]\nrtt = { median = \"80ms\", p99 = \"400ms\" }\ntls = \"1.2\"\nidle_timeout = \"5s\"\n",
    );
    let out = hookbench(&["compare", "--scenario", &f, "--format", "json", "--strategies", "poll,webhook"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let mut v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let schema = crate::gates::validator("schema.json");
    crate::gates::assert_valid(&schema, &v);
    assert_eq!(v["scenario"]["network"]["idle_timeout_s"], 5.0, "{}", v["scenario"]);
    v["scenario"]["network"]["tls"] = "1.1".into();
    assert!(!schema.is_valid(&v), "the schema names the TLS versions");
}
