//! Each row's `timeline`: its buckets add up to the row's totals exactly, and the buckets of a
//! known outage show it.

use hookbench::result::report::StrategyReport;
use hookbench::result::timeline::Timeline;
use hookbench::scenario::Scenario;
use hookbench::strategy::StrategyKind;
use hookbench::support::units::SECOND;

const MINUTE: u64 = 60 * SECOND;

use crate::util::{hookbench, row, run, text};

fn timeline(r: &StrategyReport) -> &Timeline {
    r.timeline.as_ref().unwrap_or_else(|| panic!("{}: no timeline", r.label))
}

/// Every series' sum against the row's total, for every row of `s`.
fn check_sums(s: &Scenario) {
    check_report(s, &run(s, &StrategyKind::ALL, &s.strategies.intervals));
}

/// Every series' sum against the row's total, for every row of `report`, a run of `s`.
fn check_report(s: &Scenario, report: &hookbench::result::report::Report) {
    for r in &report.strategies {
        let t = timeline(r);
        let sum = |v: &[u64]| v.iter().sum::<u64>();
        let at = format!("{} {}", s.name, r.label);
        assert_eq!(sum(&t.happened), r.events.total, "{at}: happened");
        assert_eq!(sum(&t.detected), r.events.detected, "{at}: detected");
        let ready = r.processing.as_ref().map_or(r.events.detected, |p| p.processed);
        assert_eq!(sum(&t.ready), ready, "{at}: ready");
        assert_eq!(sum(&t.requests), r.requests.total.unwrap_or(0), "{at}: requests");
        assert_eq!(sum(&t.throttled), r.requests.throttled.unwrap_or(0), "{at}: 429s");
        assert_eq!(sum(&t.failed), r.requests.failed, "{at}: failed calls");
        assert_eq!(sum(&t.webhook_attempts), r.webhooks.attempts.unwrap_or(0), "{at}: attempts");
        assert_eq!(sum(&t.webhook_retries), r.webhooks.retried.unwrap_or(0), "{at}: retries");
        assert_eq!(sum(&t.webhook_failed), r.webhooks.failed.unwrap_or(0), "{at}: failed attempts");
        assert_eq!(t.backlog_peak.is_some(), r.processing.is_some(), "{at}: backlog only when finite");
        if let (Some(b), Some(p)) = (&t.backlog_peak, &r.processing) {
            assert_eq!(b.iter().copied().max().unwrap_or(0), p.peak_backlog, "{at}: peak backlog");
        }
        let n = t.len();
        assert!(n <= 10_000 && n as f64 * t.bucket_s >= s.duration as f64 / 1e6, "{at}: {n} buckets");
        for v in [&t.happened, &t.detected, &t.ready, &t.requests, &t.webhook_attempts] {
            assert_eq!(v.len(), n, "{at}: one entry per bucket");
        }
        assert_eq!((t.ready_p50_ms.len(), t.ready_p99_ms.len()), (n, n), "{at}");
    }
}

#[test]
fn bucket_sums_equal_the_row_totals_in_every_bundled_scenario() {
    for name in Scenario::bundled_names() {
        let mut s = Scenario::bundled(name).expect("bundled").expect("valid");
        if s.duration > 2 * 24 * 3600 * SECOND {
            s.duration = 24 * 3600 * SECOND; // keep the debug build quick
        }
        check_sums(&s);
    }
}

/// `api-outage` cut into minutes: while the API is down (02:00–02:20) the poller detects nothing
/// and its calls fail; the events of the outage's first minute wait for its end; minutes after
/// it the poller is back to normal. The provider's delivery outage (04:00–04:30) holds every
/// webhook attempt, and the events of its first minute wait about half an hour.
#[test]
fn the_outages_of_api_outage_show_in_their_buckets() {
    let mut s = Scenario::bundled("api-outage").expect("bundled").expect("valid");
    s.bucket = Some(MINUTE);
    let report = run(&s, &[StrategyKind::Poll, StrategyKind::Webhook], &[30 * SECOND]);
    let poll = timeline(row(&report, "poll@30s"));
    assert_eq!(poll.bucket_s, 60.0);
    for m in 121..140 {
        assert_eq!(poll.detected[m], 0, "minute {m}: the API is down");
        assert!(poll.happened[m] > 0, "minute {m}: events go on happening");
    }
    assert!(poll.failed[120..140].iter().sum::<u64>() > 0, "calls fail during the outage");
    assert_eq!(poll.failed[..120].iter().sum::<u64>(), 0, "and not before");
    let waited = poll.ready_p99_ms[120].expect("the first minute's events are ready later");
    assert!(waited >= 19.0 * 60_000.0, "p99 {waited} ms: they wait for the outage to end");
    assert!(poll.detected[140] + poll.detected[141] > 150, "the backlog is caught up at once");
    let after = poll.ready_p99_ms[142].expect("events after the outage");
    assert!(after <= 60_000.0, "p99 {after} ms two minutes after: back to normal");

    let hook = timeline(row(&report, "webhook"));
    for m in 241..270 {
        assert_eq!(hook.webhook_attempts[m], 0, "minute {m}: the pipeline is down");
    }
    let held = hook.ready_p50_ms[240].expect("ready after the outage");
    assert!(held >= 29.0 * 60_000.0, "p50 {held} ms: held until 04:30");
    assert!(hook.webhook_attempts[270] + hook.webhook_attempts[271] > 250, "the held attempts go out");
}

/// `compare --bucket 1m --format json` carries a timeline per row with one-minute buckets; a
/// width that would cut the run into too many buckets is refused.
#[test]
fn compare_takes_the_bucket_width() {
    let out = hookbench(&["compare", "--duration", "2h", "--bucket", "1m", "--format", "json"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("valid JSON");
    for r in v["strategies"].as_array().expect("rows") {
        assert_eq!(r["timeline"]["bucket_s"], 60.0, "{}", r["label"]);
        assert!(r["timeline"]["happened"].as_array().expect("series").len() >= 120);
    }
    let out = hookbench(&["compare", "--duration", "30d", "--bucket", "1s", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out).1);
}

/// `flash-sale`: the webhook row's receiver backlog at the buckets' ends climbs during the
/// burst, is at its highest within the burst or the retries it causes, and is back to 0 by the
/// run's end; the end of a bucket never holds more than its peak or the previous end (the
/// backlog only grows by arrivals); the retries of the burst's buckets are the row's retries.
#[test]
fn the_flash_sale_backlog_climbs_in_the_burst_and_drains_to_zero() {
    let mut s = Scenario::bundled("flash-sale").expect("bundled").expect("valid");
    s.bucket = Some(MINUTE);
    let report = run(&s, &[StrategyKind::Webhook, StrategyKind::Poll], &[30 * SECOND]);
    let burst = &s.events.bursts[0];
    let (from, to) = ((burst.at / MINUTE) as usize, ((burst.at + burst.duration) / MINUTE) as usize);
    let hook = timeline(row(&report, "webhook"));
    let end = hook.backlog_end.as_ref().expect("a finite receiver");
    let peak = hook.backlog_peak.as_ref().expect("a finite receiver");
    assert_eq!(end.len(), hook.len());
    assert!(end[from..to].iter().any(|&b| b > 100), "the burst piles deliveries up: {:?}", &end[from..to]);
    assert!(end[..from].iter().all(|&b| b < 10), "before the burst the workers keep up");
    assert_eq!(*end.last().expect("buckets"), 0, "drained by the end");
    for j in 1..end.len() {
        assert!(
            end[j] <= peak[j].max(end[j - 1]),
            "minute {j}: {} > max({}, {})",
            end[j],
            peak[j],
            end[j - 1]
        );
    }
    let retries: u64 = hook.webhook_retries.iter().sum();
    assert_eq!(retries, row(&report, "webhook").webhooks.retried.unwrap_or(0));
    assert!(hook.webhook_retries[from..].iter().sum::<u64>() == retries, "every retry is the burst's");
    let poll = timeline(row(&report, "poll@30s"));
    assert!(poll.backlog_end.as_ref().expect("finite")[..from].iter().all(|&b| b < 10));
}

/// `sweep --bucket` cuts every row's timeline as `compare --bucket` does; without it the width
/// is a readable one (2h and its drain over about 200 buckets: 1 minute).
#[test]
fn sweep_takes_the_bucket_width_and_defaults_to_a_readable_one() {
    let args =
        ["sweep", "--duration", "2h", "--intervals", "30s,1m", "--no-chart", "--format", "json", "--quiet"];
    for (bucket, want) in [(Some("10m"), 600.0), (None, 60.0)] {
        let mut a = args.to_vec();
        a.extend(bucket.iter().flat_map(|b| ["--bucket", *b]));
        let out = hookbench(&a);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        let v: serde_json::Value = serde_json::from_str(&stdout).expect("valid JSON");
        for r in v["strategies"].as_array().expect("rows") {
            assert_eq!(r["timeline"]["bucket_s"], want, "{bucket:?} {}", r["label"]);
        }
    }
    let out = hookbench(&["sweep", "--duration", "2h", "--no-chart", "--bucket", "soon"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out).1);
}

/// The live engine fills the timelines from the same row core: a short loopback run of a
/// finite receiver's scenario sums to its rows' totals exactly, as the sim does.
#[test]
fn live_timelines_sum_to_the_row_totals() {
    let _one = crate::capacity::one_live_run();
    let mut s = Scenario::bundled("flash-sale").expect("bundled").expect("valid");
    s.duration = 10 * MINUTE;
    s.events.bursts.clear();
    s.drain = 2 * MINUTE;
    s.bucket = Some(MINUTE);
    let kinds = [StrategyKind::Poll, StrategyKind::Webhook, StrategyKind::Hybrid];
    let specs = hookbench::strategy::Spec::expand(&kinds, &[30 * SECOND], s.strategies.reconcile_interval);
    let opts = hookbench::live::engine::LiveOptions { speedup: 200.0, progress: false, tls: false };
    let live = hookbench::live::engine::run(&s, &specs, opts).expect("a live run");
    assert_eq!(live.engine, "live");
    check_report(&s, &live);
    for r in &live.strategies {
        assert!(timeline(r).happened.iter().sum::<u64>() > 0, "{}: events happened", r.label);
    }
}
