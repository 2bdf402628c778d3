use super::*;

#[test]
fn fixed_window_resets_and_reports_the_wait() {
    let mut rl = RateLimiter::new(Quota::fixed(3, 10 * SECOND));
    for t in 0..3 {
        assert_eq!(rl.over_quota(t * SECOND), None);
        rl.consume(t * SECOND, true);
    }
    assert_eq!(rl.over_quota(4 * SECOND), Some(6 * SECOND));
    assert_eq!(rl.state(4 * SECOND).remaining, 0);
    assert_eq!(rl.over_quota(10 * SECOND), None);
    rl.consume(10 * SECOND, true);
    let s = rl.state(11 * SECOND);
    assert_eq!((s.used, s.remaining, s.reset_at), (1, 2, 20 * SECOND));
    assert!((rl.peak_use() - 1.0).abs() < 1e-12);
    assert_eq!(retry_after_secs(1), 1);
    assert_eq!(retry_after_secs(6 * SECOND + 1), 7);
}

#[test]
fn a_sliding_window_frees_quota_as_its_oldest_request_leaves() {
    let mut rl = RateLimiter::new(Quota {
        limit: 3,
        window: 10 * SECOND,
        algorithm: Algorithm::SlidingWindow,
        costs: None,
    });
    for t in [0, 2, 4] {
        assert_eq!(rl.over_quota(t * SECOND), None);
        rl.consume(t * SECOND, true);
    }
    // Full: the request at 0 s leaves the window at 10 s.
    assert_eq!(rl.over_quota(5 * SECOND), Some(5 * SECOND));
    let s = rl.state(5 * SECOND);
    assert_eq!((s.used, s.remaining, s.reset_at), (3, 0, 10 * SECOND));
    // At 10 s one slot is free, not three (a fixed window would have reset).
    assert_eq!(rl.over_quota(10 * SECOND), None);
    rl.consume(10 * SECOND, true);
    assert_eq!(rl.over_quota(11 * SECOND), Some(SECOND));
    assert!(!rl.window_over(19 * SECOND));
    assert!(rl.window_over(20 * SECOND));
    assert_eq!(rl.state(20 * SECOND).reset_at, 20 * SECOND);
}

#[test]
fn a_token_bucket_admits_its_capacity_then_its_refill_rate() {
    // 10 tokens, one every 100 ms (10/s); asked until refused every 10 ms for 5 s.
    let q = Quota::bucket(Algorithm::TokenBucket, 10, 100 * crate::support::units::MILLI);
    assert_eq!((q.window, q.cell()), (SECOND, 100 * crate::support::units::MILLI));
    let mut rl = RateLimiter::new(q);
    let mut admitted = 0u64;
    let step = 10 * crate::support::units::MILLI;
    for i in 0..=500u64 {
        let now = i * step;
        // Asked until refused: everything the bucket allows at `now`.
        while rl.over_quota(now).is_none() {
            rl.consume(now, true);
            admitted += 1;
        }
        // Closed form: capacity + floor(t / cell).
        assert_eq!(admitted, 10 + now / (100 * crate::support::units::MILLI), "at {now}");
    }
    let s = rl.state(500 * step);
    assert_eq!((s.used, s.remaining), (10, 0));
    // The next token comes one cell after the last one was spent.
    assert_eq!(rl.over_quota(500 * step + 1), Some(100 * crate::support::units::MILLI - 1));
    assert!(rl.window_over(500 * step + SECOND));
    assert_eq!(rl.state(500 * step + SECOND).remaining, 10);
}

#[test]
fn a_leaky_bucket_reports_its_level_and_next_leak() {
    let q = Quota::bucket(Algorithm::LeakyBucket, 4, 500 * crate::support::units::MILLI);
    let mut rl = RateLimiter::new(q);
    for _ in 0..4 {
        assert_eq!(rl.over_quota(0), None);
        rl.consume(0, true);
    }
    assert_eq!(rl.over_quota(0), Some(500 * crate::support::units::MILLI));
    // 0.7 s later one cell has leaked, and the next leaks at 1 s.
    let s = rl.state(700 * crate::support::units::MILLI);
    assert_eq!((s.used, s.remaining, s.reset_at), (3, 1, SECOND));
    let h = header_fields(&q, &s, 700 * crate::support::units::MILLI, 1_700_000_000);
    assert_eq!(h[0], ("ratelimit-policy", "\"default\";q=4;w=2".to_string()));
    assert_eq!(h[1], ("ratelimit", "\"default\";r=1;t=1".to_string()));
    assert_eq!(h[4], ("x-ratelimit-used", "3".to_string()));
}

#[test]
fn fixed_window_header_fields_are_githubs() {
    let q = Quota::fixed(5000, 3600 * SECOND);
    let mut rl = RateLimiter::new(q);
    rl.consume(0, true);
    let s = rl.state(1800 * SECOND);
    let h = header_fields(&q, &s, 1800 * SECOND, 42);
    let text: Vec<String> = h.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    assert_eq!(
        text,
        [
            "ratelimit-policy: \"default\";q=5000;w=3600",
            "ratelimit: \"default\";r=4999;t=1800",
            "x-ratelimit-limit: 5000",
            "x-ratelimit-remaining: 4999",
            "x-ratelimit-used: 1",
            "x-ratelimit-reset: 42",
        ]
    );
}

/// Shopify's GraphQL cost bucket against a schedule of query costs worked by hand: 100 points
/// restoring 10 a second (a point every 100 ms); a query is admitted when the bucket has room
/// for its requested cost, and charged its actual cost.
#[test]
fn the_cost_bucket_admits_by_requested_cost_and_charges_the_actual() {
    let q = Quota::bucket(Algorithm::CostBucket, 100, SECOND / 10);
    let c = q.costs.expect("a cost bucket has costs");
    assert_eq!((c.connection, c.node, c.page(50)), (2, 1, 52));
    let mut rl = RateLimiter::new(q);
    let ms = |m: u64| m * SECOND / 1000;
    // t = 0: a page of 50 asked (52), 10 returned: charged 12 → 12 points used.
    assert_eq!(rl.over_quota_cost(0, 52), None);
    rl.consume_cost(0, 12, true);
    assert_eq!(rl.state(0).used, 12);
    // t = 0: another, full (52): 64 used.
    assert_eq!(rl.over_quota_cost(0, 52), None);
    rl.consume_cost(0, 52, true);
    assert_eq!((rl.state(0).used, rl.state(0).remaining), (64, 36));
    // t = 0: a third needs 52 of the 36 left: refused until 16 points restore, 1.6 s.
    assert_eq!(rl.over_quota_cost(0, 52), Some(ms(1600)));
    // …while one object (1 point) still fits.
    assert_eq!(rl.over_quota_cost(0, 1), None);
    // t = 1.6 s: 48 used, room for 52: admitted; it returned nothing: charged 2 → 50.
    assert_eq!(rl.over_quota_cost(ms(1600), 52), None);
    rl.consume_cost(ms(1600), 2, true);
    assert_eq!(rl.state(ms(1600)).used, 50);
    // t = 2 s: 46 used; one object (1): 47 used, 53 remaining.
    assert_eq!(rl.over_quota_cost(ms(2000), 1), None);
    rl.consume_cost(ms(2000), 1, true);
    let st = rl.state(ms(2000));
    assert_eq!((st.used, st.remaining), (47, 53));
    // The peak was 64 of 100.
    assert!((rl.peak_use() - 0.64).abs() < 1e-9);
    // Empty again 4.7 s later.
    assert!(rl.window_over(ms(6700)) && !rl.window_over(ms(6600)));
}

/// The API's way of charging an answer — the check, then the charge without a second roll —
/// leaves every algorithm's books as checking and charging in full would, through window
/// resets, a sliding log's expiries and a bucket's refills.
#[test]
fn a_charge_right_after_its_check_books_as_a_full_charge() {
    let quotas = [
        Quota::fixed(5, 10 * SECOND),
        Quota { limit: 5, window: 10 * SECOND, algorithm: Algorithm::SlidingWindow, costs: None },
        Quota::bucket(Algorithm::TokenBucket, 5, 2 * SECOND),
        Quota::bucket(Algorithm::CostBucket, 50, SECOND / 10),
    ];
    for quota in quotas {
        let (mut full, mut checked) = (RateLimiter::new(quota), RateLimiter::new(quota));
        let mut rng = crate::model::dist::Rng::new(3, "charge-after-check");
        let mut now = 0;
        for _ in 0..2_000 {
            now += u64::from(rng.below(3_000)) * 1_000;
            let cost = u64::from(rng.below(4));
            let (a, b) = (full.over_quota_cost(now, cost.max(1)), checked.over_quota_cost(now, cost.max(1)));
            assert_eq!(a, b, "{quota:?} at {now}");
            if a.is_none() {
                full.consume_cost(now, cost, true);
                checked.consume_checked(now, cost, true);
            }
            assert_eq!(full.state(now), checked.state(now), "{quota:?} at {now}");
        }
        assert_eq!(full.peak_use(), checked.peak_use());
    }
}
