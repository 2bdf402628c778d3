//! Conservation as a property: over random scenarios, every event of every strategy is exactly
//! one of detected, missed or in flight (the engine checks this itself and fails the run on a
//! breach; here the report is checked as well). Every strategy kind runs, the middle-ground ones
//! too, with event streams dropped every 7 minutes.

use proptest::prelude::*;

use hookbench::engine::sim;
use hookbench::scenario::Scenario;
use hookbench::strategy::{Spec, StrategyKind};

#[derive(Debug, Clone)]
struct Knobs {
    rate_per_h: u32,
    resources: u32,
    minutes: u32,
    retry: &'static str,
    failure: f64,
    slow: f64,
    outage: Option<(u32, u32)>,
    quota: Option<u32>,
    visibility_ms: (u32, u32),
    thin: bool,
    interval_s: u32,
    page: u32,
    nm_counts: bool,
    hint_s: Option<u32>,
    drain_min: Option<u32>,
    seed: u64,
}

fn knobs() -> impl Strategy<Value = Knobs> {
    (
        (
            1u32..4000,
            1u32..80,
            10u32..150,
            prop::sample::select(vec!["standard", "svix", "convoy", "outpost", "none"]),
        ),
        (0.0f64..0.4, 0.0f64..0.2, prop::option::of((0u32..120, 1u32..40)), prop::option::of(10u32..3000)),
        ((0u32..2000, 0u32..5000), any::<bool>(), 2u32..400, 1u32..150, any::<bool>()),
        (prop::option::of(5u32..120), prop::option::of(0u32..90), 0u64..(i64::MAX as u64)),
    )
        .prop_map(
            |(
                (rate_per_h, resources, minutes, retry),
                (failure, slow, outage, quota),
                (visibility_ms, thin, interval_s, page, nm_counts),
                (hint_s, drain_min, seed),
            )| Knobs {
                rate_per_h,
                resources,
                minutes,
                retry,
                failure,
                slow,
                outage,
                quota,
                visibility_ms,
                thin,
                interval_s,
                page,
                nm_counts,
                hint_s,
                drain_min,
                seed,
            },
        )
}

fn to_toml(k: &Knobs) -> String {
    let (vm, vp) = (k.visibility_ms.0, k.visibility_ms.0 + k.visibility_ms.1);
    let mut t = format!(
        "name = \"prop\"\nduration = \"{}m\"\nseed = {}\n{}\
         [events]\nrate = \"{}/h\"\nresources = {}\nvisibility_delay = {{ median = \"{vm}ms\", p99 = \"{vp}ms\" }}\n\
         [api]\npage_size = {}\nnot_modified_counts = {}\nsse_drop_every = \"7m\"\nsse_retry = \"20s\"\n",
        k.minutes,
        k.seed,
        k.drain_min.map_or(String::new(), |d| format!("drain = \"{d}m\"\n")),
        k.rate_per_h,
        k.resources,
        k.page,
        k.nm_counts,
    );
    if let Some(q) = k.quota {
        t.push_str(&format!("rate_limit = \"{q}/h\"\n"));
    }
    if let Some(h) = k.hint_s {
        t.push_str(&format!("poll_interval_hint = \"{h}s\"\n"));
    }
    t.push_str(&format!(
        "[webhook]\nretry = \"{}\"\npayload = \"{}\"\ntimeout = \"5s\"\n[receiver]\nfailure_rate = {}\nslow_rate = {}\nslow = \"8s\"\n",
        k.retry,
        if k.thin { "thin" } else { "fat" },
        k.failure,
        k.slow
    ));
    if let Some((at, len)) = k.outage {
        t.push_str(&format!("outages = [{{ at = \"{at}m\", duration = \"{len}m\" }}]\n"));
    }
    t.push_str(&format!("[strategies]\nintervals = [\"{}s\"]\nreconcile_interval = \"5m\"\n", k.interval_s));
    t
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn every_event_is_detected_missed_or_in_flight(k in knobs()) {
        let toml = to_toml(&k);
        let s = Scenario::from_toml(&toml, "prop").map_err(|e| TestCaseError::fail(format!("{e}\n{toml}")))?;
        let specs = Spec::expand(&StrategyKind::ALL, &s.strategies.intervals, s.strategies.reconcile_interval);
        let report = sim::run(&s, &specs).map_err(|e| TestCaseError::fail(format!("{e}\n{toml}")))?;
        for r in &report.strategies {
            let e = &r.events;
            prop_assert_eq!(e.detected + e.missed + e.in_flight, e.total, "{} in\n{}", r.label, toml);
            prop_assert_eq!(e.total, report.run.events);
            if let (Some(mean), Some(max)) = (r.latency_ms.mean, r.latency_ms.max) {
                prop_assert!(mean >= 0.0 && mean <= max + 1e-9);
            }
            // Both null where they do not apply, both counted where they do.
            prop_assert!(r.requests.wasted <= r.requests.total);
            prop_assert!(r.rate_limit.peak_use.unwrap_or(0.0) <= 1.0 + 1e-12);
            prop_assert!(r.webhooks.retried <= r.webhooks.attempts);
            // Only webhook strategies can see a delivery twice.
            if !matches!(r.name.as_str(), "webhook" | "hybrid" | "hybrid-reconcile") {
                prop_assert_eq!(e.duplicates, 0);
            }
            // Cursor polling never loses an event.
            if matches!(
                r.name.as_str(),
                "poll" | "poll-etag" | "hybrid-reconcile" | "poll-adaptive" | "long-poll" | "sse"
            ) {
                prop_assert_eq!(e.missed, 0, "{} in\n{}", r.label, toml);
            }
        }
    }
}
