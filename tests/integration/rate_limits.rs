//! Quotas: a poll interval faster than the quota allows is throttled; one inside it is not.

use hookbench::strategy::StrategyKind::{Poll, PollEtag};
use hookbench::units::SECOND;

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
    let per_request = |r: &hookbench::report::StrategyReport| {
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
