//! Provider profiles (issue 13): the bundled `github`, `stripe`, `shopify` and `slack` scenarios
//! load, set what their provider documents, run every strategy, and conserve every event.

use hookbench::model::ratelimit::Algorithm;
use hookbench::scenario::Scenario;
use hookbench::strategy::StrategyKind;
use hookbench::support::units::{HOUR, SECOND};

use crate::util::run;

const PROFILES: [&str; 4] = ["github", "stripe", "shopify", "slack"];

fn profile(name: &str) -> Scenario {
    Scenario::bundled(name).expect("bundled").unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_profile_runs_every_strategy_and_conserves_its_events() {
    for name in PROFILES {
        let s = profile(name);
        let report = run(&s, &StrategyKind::ALL, &s.strategies.intervals);
        assert!(!report.strategies.is_empty());
        for r in &report.strategies {
            let e = &r.events;
            assert!(e.total > 0, "{name} {}", r.label);
            assert_eq!(e.detected + e.missed + e.in_flight, e.total, "{name} {}: {e:?}", r.label);
        }
    }
}

#[test]
fn each_profile_sets_its_providers_documented_figures() {
    let gh = profile("github");
    assert_eq!(gh.webhook.timeout, 10 * SECOND);
    assert!(gh.webhook.retry.schedule.is_empty(), "GitHub does not redeliver");
    let q = gh.api.rate_limit.expect("a quota");
    assert_eq!((q.limit, q.window, q.algorithm), (5000, HOUR, Algorithm::FixedWindow));
    assert_eq!(gh.api.poll_interval_hint, Some(60 * SECOND));
    assert_eq!(gh.api.page_size, 100);

    let shop = profile("shopify");
    assert_eq!(shop.webhook.timeout, 5 * SECOND);
    assert_eq!(shop.webhook.retry.schedule.len(), 8);
    let span: u64 = shop.webhook.retry.schedule.iter().sum();
    assert!(span.abs_diff(4 * HOUR) <= 5 * 60 * SECOND, "8 retries over about 4 hours: {span}");
    // GraphQL Admin API: a cost bucket of 1,000 points restoring 100 a second; a page of 250
    // asks 252 points.
    let q = shop.api.rate_limit.expect("a quota");
    assert_eq!((q.limit, q.cell(), q.algorithm), (1000, SECOND / 100, Algorithm::CostBucket));
    assert_eq!(q.costs.map(|c| c.page(250)), Some(252));
    assert_eq!(shop.api.page_size, 250);
    // The REST Admin API (legacy) is the named variant: the same provider, a leaky bucket of 40
    // leaking 2 a second.
    let rest = profile("shopify-rest");
    let q = rest.api.rate_limit.expect("a quota");
    assert_eq!((q.limit, q.cell(), q.algorithm, q.costs), (40, SECOND / 2, Algorithm::LeakyBucket, None));
    assert_eq!((rest.webhook.timeout, rest.webhook.retry.schedule.len()), (5 * SECOND, 8));

    let stripe = profile("stripe");
    let span: u64 = stripe.webhook.retry.schedule.iter().sum();
    assert!(span <= 72 * HOUR && span > 48 * HOUR, "up to 3 days: {span}");
    let q = stripe.api.rate_limit.expect("a quota");
    // The per-endpoint default (25/s) binds a poller of GET /v1/events, not the global 100/s.
    assert_eq!((q.limit, q.cell(), q.algorithm), (25, SECOND / 25, Algorithm::TokenBucket));
    assert_eq!(stripe.api.page_size, 100);

    let slack = profile("slack");
    assert_eq!(slack.webhook.timeout, 3 * SECOND);
    assert_eq!(slack.webhook.retry.schedule.len(), 3);
    let q = slack.api.rate_limit.expect("a quota");
    assert_eq!((q.limit, q.window, q.algorithm), (50, 60 * SECOND, Algorithm::SlidingWindow));

    for name in ["stripe", "shopify", "slack"] {
        assert_eq!(profile(name).api.poll_interval_hint, None, "{name} sends no X-Poll-Interval");
    }
}

#[test]
fn every_profile_cites_its_sources_and_signs_with_its_providers_scheme() {
    for name in PROFILES {
        let text = hookbench::scenario::BUNDLED.iter().find(|(n, _)| *n == name).expect("bundled").1;
        assert!(text.contains("https://"), "{name} cites no page");
        assert!(text.contains(&format!("\nscheme = \"{name}\"\n")), "{name}");
        assert!(!text.contains("enabled at merge"), "{name}");
        let signs =
            text.lines().find(|l| l.contains("signs its deliveries: https://")).expect("a signature page");
        assert!(signs.starts_with('#'), "{name}: {signs}");
        assert_eq!(profile(name).webhook.scheme.name(), name, "{name}");
    }
}
