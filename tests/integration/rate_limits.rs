//! Quotas: a poll interval faster than the quota allows is throttled; one inside it is not.

use hookbench::strategy::StrategyKind::{Poll, PollEtag};
use hookbench::support::units::SECOND;

use crate::util::{row, run, scenario};

fn quota_scenario() -> hookbench::scenario::Scenario {
    scenario(
        r#"
        name = "quota"
        duration = "24h"
        [events]
        rate = "30/h"
        [api]
        rate_limit = "60/h"
        not_modified_counts = false
        "#,
    )
}

#[test]
fn polling_faster_than_the_quota_is_throttled() {
    let report = run(&quota_scenario(), &[Poll], &[30 * SECOND, 120 * SECOND]);
    let fast = row(&report, "poll@30s");
    assert!(fast.requests.throttled.expect("calls the API") > 0, "{:?}", fast.requests);
    assert!(fast.rate_limit.throttled_s > 3600.0, "{:?}", fast.rate_limit);
    assert!((fast.rate_limit.peak_use.expect("under a quota") - 1.0).abs() < 1e-9);
    // 120 polls an hour wanted, 60 allowed: about half the day is spent waiting.
    assert!((fast.rate_limit.throttled_s / 86_400.0 - 0.5).abs() < 0.1, "{}", fast.rate_limit.throttled_s);
    assert_eq!(fast.events.missed, 0, "throttling delays, it does not lose");
    // Throttled polls detect late.
    assert!(fast.latency_ms.mean.unwrap() > 60_000.0);

    let slow = row(&report, "poll@2m");
    assert_eq!(slow.requests.throttled.expect("calls the API"), 0);
    assert_eq!(slow.rate_limit.throttled_s, 0.0);
    assert!(
        slow.rate_limit.peak_use.expect("under a quota") <= 0.5 + 1e-9,
        "{}",
        slow.rate_limit.peak_use.expect("under a quota")
    );
}

#[test]
fn free_304s_keep_etag_polling_inside_the_quota() {
    let report = run(&quota_scenario(), &[Poll, PollEtag], &[30 * SECOND]);
    let plain = row(&report, "poll@30s");
    let etag = row(&report, "poll-etag@30s");
    assert!(etag.requests.not_modified.expect("calls the API") > 1000, "{:?}", etag.requests);
    assert!(
        etag.requests.throttled.expect("calls the API") < plain.requests.throttled.expect("calls the API")
    );
    assert!(etag.latency_ms.mean.unwrap() < plain.latency_ms.mean.unwrap() / 4.0);
    // A 304 has no body: fewer bytes per request.
    let per_request = |r: &hookbench::result::report::StrategyReport| {
        r.bytes.received as f64 / r.requests.total.expect("calls the API") as f64
    };
    assert!(per_request(etag) < per_request(plain));
}

#[test]
fn the_poll_interval_hint_is_obeyed() {
    let mut s = quota_scenario();
    s.api.rate_limit = None;
    s.api.poll_interval_hint = Some(60 * SECOND);
    let report = run(&s, &[Poll], &[10 * SECOND]);
    let r = row(&report, "poll@10s");
    assert_eq!(r.effective_interval_s, Some(60.0));
    assert!(
        (r.requests.total.expect("calls the API") as i64 - 1440).abs() <= 6,
        "{}",
        r.requests.total.expect("calls the API")
    );
}

// ---- Rate-limit algorithms (issue 13) ----

use hookbench::model::ratelimit::{header_fields, Algorithm, Quota, RateLimiter};
use proptest::prelude::*;

fn algorithm_scenario(rate_limit: &str, duration: &str) -> hookbench::scenario::Scenario {
    scenario(&format!(
        "name = \"algo\"\nduration = \"{duration}\"\n[events]\nrate = \"60/h\"\n[api]\nrtt = \"0s\"\nrate_limit = {rate_limit}\n"
    ))
}

#[test]
fn a_poller_at_10_per_s_gets_capacity_plus_leak_times_t_from_a_leaky_bucket() {
    // Shopify's REST bucket: 40, leaking 2/s. Successes by t: 40 + 2·t.
    for minutes in [5u64, 20] {
        let s = algorithm_scenario(
            r#"{ algorithm = "leaky-bucket", capacity = 40, leak = "2/s" }"#,
            &format!("{minutes}m"),
        );
        let report = run(&s, &[Poll], &[100 * hookbench::support::units::MILLI]);
        let r = row(&report, "poll@100ms");
        let total = r.requests.total.expect("calls the API");
        let ok = total - r.requests.throttled.expect("calls the API");
        let want = 40.0 + 2.0 * (minutes * 60) as f64;
        assert!(crate::util::rel(ok as f64, want) < 0.01, "{minutes}m: {ok} successes, want {want}");
        assert!((r.rate_limit.peak_use.unwrap() - 1.0).abs() < 1e-9);
        assert_eq!(r.rate_limit.quota, Some(40));
        assert_eq!(r.rate_limit.window_s, Some(20.0));
        assert_eq!(r.events.missed, 0);
    }
}

/// Shopify's GraphQL cost bucket, 1,000 points restoring 100 a second, polled every 10 ms for
/// pages of up to 250: each poll needs room for its requested 252 points and pays 2 plus the
/// events it returned. Saturated, the poller keeps the bucket near 1,000 − 252 = 748 points used
/// and spends exactly what restores: 748 + 100·t points by t.
#[test]
fn a_poller_spends_what_a_cost_bucket_restores() {
    for minutes in [5u64, 20] {
        let mut s = algorithm_scenario(
            r#"{ algorithm = "cost-bucket", capacity = 1000, refill = "100/s" }"#,
            &format!("{minutes}m"),
        );
        s.api.page_size = 250;
        let report = run(&s, &[Poll], &[10 * hookbench::support::units::MILLI]);
        let r = row(&report, "poll@10ms");
        let total = r.requests.total.expect("calls the API");
        let ok = total - r.requests.throttled.expect("calls the API");
        let points = 2 * ok + r.events.detected;
        let want = 748.0 + 100.0 * (minutes * 60) as f64;
        assert!(crate::util::rel(points as f64, want) < 0.01, "{minutes}m: {points} points, want {want}");
        assert!(r.requests.throttled.unwrap() > 0);
        let peak = r.rate_limit.peak_use.unwrap();
        assert!((0.74..=0.76).contains(&peak), "peak use {peak}");
        assert_eq!(r.events.missed, 0);
    }
}

#[test]
fn a_token_bucket_follows_its_closed_form_in_the_model() {
    // 100 tokens refilled at 100/s, asked until refused every millisecond: 100 + 100·t admitted by t.
    let mut rl =
        RateLimiter::new(Quota::bucket(Algorithm::TokenBucket, 100, 10 * hookbench::support::units::MILLI));
    let mut admitted = 0u64;
    for i in 0..=10_000u64 {
        let now = i * hookbench::support::units::MILLI;
        // Asked until refused: everything the bucket allows at `now`.
        while rl.over_quota(now).is_none() {
            rl.consume(now, true);
            admitted += 1;
        }
        assert_eq!(admitted, 100 + now / (10 * hookbench::support::units::MILLI), "at {now} µs");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn a_sliding_window_never_admits_more_than_its_limit_in_any_window(
        limit in 1u64..20,
        window_ms in 10u64..5_000,
        gaps in prop::collection::vec(0u64..400, 1..400),
    ) {
        let window = window_ms * hookbench::support::units::MILLI;
        let mut rl = RateLimiter::new(Quota { limit, window, algorithm: Algorithm::SlidingWindow, costs: None });
        let (mut now, mut admitted) = (0u64, Vec::new());
        for g in gaps {
            now += g * hookbench::support::units::MILLI;
            match rl.over_quota(now) {
                None => { rl.consume(now, true); admitted.push(now); }
                // Refused: the wait is exactly until the request `limit` back leaves the window.
                Some(wait) => {
                    let k = admitted.len() - limit as usize;
                    prop_assert_eq!(now + wait, admitted[k] + window);
                }
            }
            let s = rl.state(now);
            prop_assert_eq!(s.used + s.remaining, limit);
        }
        for (i, &t) in admitted.iter().enumerate() {
            let within = admitted[i..].iter().take_while(|&&u| u < t + window).count() as u64;
            prop_assert!(within <= limit, "{} admitted in [{}, {}+{})", within, t, t, window);
        }
    }
}

#[test]
fn a_sliding_window_throttles_a_poller_to_its_limit() {
    let s = algorithm_scenario(r#"{ algorithm = "sliding-window", limit = "60/h" }"#, "6h");
    let report = run(&s, &[Poll], &[30 * SECOND]);
    let r = row(&report, "poll@30s");
    let ok = r.requests.total.unwrap() - r.requests.throttled.unwrap();
    // At most 60 in any hour: 6 hours admit at most 360 (plus the drain's few).
    assert!(ok <= 6 * 60 + 60, "{ok}");
    assert!(r.requests.throttled.unwrap() > 0);
    assert_eq!(r.events.missed, 0);
}

#[test]
fn a_fixed_window_table_is_the_same_as_the_rate() {
    let plain = run(&algorithm_scenario("\"60/h\"", "6h"), &[Poll], &[30 * SECOND]);
    let table = run(
        &algorithm_scenario(r#"{ algorithm = "fixed-window", limit = "60/h" }"#, "6h"),
        &[Poll],
        &[30 * SECOND],
    );
    assert_eq!(
        serde_json::to_value(&plain.strategies).unwrap(),
        serde_json::to_value(&table.strategies).unwrap()
    );
}

#[test]
fn bad_rate_limit_tables_are_one_sentence() {
    let dir = crate::util::temp_dir("bad-rate-limits");
    let cases: &[(&str, &[&str])] = &[
        (r#"{ algorithm = "gcra", limit = "5/s" }"#, &["gcra", "not a rate-limit algorithm"]),
        (r#"{ algorithm = "token-bucket", refill = "5/s" }"#, &["needs `capacity`"]),
        (r#"{ algorithm = "leaky-bucket", capacity = 40 }"#, &["needs `leak`"]),
        (r#"{ algorithm = "leaky-bucket", capacity = 40, leak = "0/s" }"#, &["leak", "above zero"]),
        (r#"{ algorithm = "token-bucket", capacity = 0, refill = "5/s" }"#, &["capacity"]),
        (r#"{ algorithm = "sliding-window", limit = "0/m" }"#, &["whole number"]),
        (r#"{ algorithm = "sliding-window", capacity = 3, limit = "5/m" }"#, &["capacity", "not a key"]),
        (r#"{ limit = "5/m" }"#, &["no `algorithm`"]),
        ("5", &["a table such as"]),
        (
            r#"{ algorithm = "cost-bucket", capacity = 100, refill = "10/s" }"#,
            &["page_size", "cost 102 points"],
        ),
        (
            r#"{ algorithm = "cost-bucket", capacity = 1000, refill = "10/s", node = -1 }"#,
            &["node", "not a cost"],
        ),
        (r#"{ algorithm = "cost-bucket", capacity = 1000, leak = "10/s" }"#, &["leak", "not a key"]),
    ];
    for (i, (value, expect)) in cases.iter().enumerate() {
        let path = dir.join(format!("rl{i}.toml"));
        std::fs::write(
            &path,
            format!("name = \"x\"\n[events]\nrate = \"5/h\"\n[api]\nrate_limit = {value}\n"),
        )
        .unwrap();
        let mut want = vec!["api.rate_limit"];
        want.extend_from_slice(expect);
        crate::bad_input::one_sentence(&["scenarios", "validate", path.to_str().unwrap()], &want);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_servers_headers_are_the_model_limiters_state() {
    use hookbench::live::clock::Clock;
    use hookbench::live::source::{self, SourceState};
    use hookbench::model::source::EventLog;
    use std::sync::Arc;
    // Real time, and quotas that free nothing for an hour: every answer in the test is in the
    // same state the model's limiter reaches after the same number of requests.
    let tables = [
        r#"{ algorithm = "leaky-bucket", capacity = 4, leak = "1/h" }"#,
        r#"{ algorithm = "token-bucket", capacity = 4, refill = "2/h" }"#,
        r#"{ algorithm = "sliding-window", limit = "4/h" }"#,
        "\"4/h\"",
        // Pages of one ask 41 points (40 + 1) of 200 and pay 40 plus what they returned.
        r#"{ algorithm = "cost-bucket", capacity = 200, refill = "1/h", connection = 40 }"#,
    ];
    let c = reqwest::Client::new();
    for table in tables {
        let s = Arc::new(algorithm_scenario(table, "2h"));
        let q = s.api.rate_limit.expect("a quota");
        let log = Arc::new(EventLog::generate(&s));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = source::router(SourceState::new(s.clone(), log, Clock::start(1.0)));
        let server = tokio::spawn(async move { axum::serve(listener, router).await });
        let mut model = RateLimiter::new(q);
        for i in 0..6 {
            let r = c.get(format!("http://{addr}/events?limit=1")).send().await.unwrap();
            let h = r.headers().clone();
            let status = r.status().as_u16();
            let returned = if status == 200 {
                r.json::<serde_json::Value>().await.unwrap()["data"].as_array().unwrap().len() as u64
            } else {
                0
            };
            // The model at the same count of requests, one second in (all `t` round up alike).
            let now = SECOND;
            let (asked, paid) = match q.costs {
                Some(c) => (c.page(1), c.page(returned)),
                None => (1, 1),
            };
            let refused = model.over_quota_cost(now, asked);
            if refused.is_none() {
                model.consume_cost(now, paid, true);
            }
            let want = model.state(now);
            assert_eq!(status, if refused.is_some() { 429 } else { 200 }, "{table} #{i}");
            for (name, value) in header_fields(&q, &want, now, 0).iter().take(5) {
                assert_eq!(h[*name].to_str().unwrap(), value, "{table} #{i} {name}");
            }
            match refused {
                Some(wait) => assert_eq!(
                    h["retry-after"].to_str().unwrap(),
                    hookbench::model::ratelimit::retry_after_secs(wait).to_string(),
                    "{table} #{i}"
                ),
                None => assert!(h.get("retry-after").is_none()),
            }
        }
        server.abort();
    }
}
