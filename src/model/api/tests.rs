//! Tests of the API model: pages, ETags, quotas, long polls, streams, faults.

use super::*;
use crate::model::source::Event;

fn log() -> EventLog {
    let events = (0..10u32)
        .map(|i| Event {
            at: u64::from(i) * SECOND,
            visible_at: u64::from(i) * SECOND,
            resource: i % 2,
            version: i / 2 + 1,
            kind: 0,
        })
        .collect();
    EventLog::from_events(events, 2, 3)
}

fn cfg(limit: Option<u64>, nm_counts: bool) -> ApiConfig {
    ApiConfig {
        rtt: Delay::Fixed(0),
        rate_limit: limit.map(|l| Quota::fixed(l, 3600 * SECOND)),
        page_size: 4,
        not_modified_counts: nm_counts,
        poll_interval_hint: None,
        long_poll_max: 20 * SECOND,
        sse_retry: 3 * SECOND,
        sse_drops: vec![5 * SECOND],
        sse_drop_every: None,
        type_filter: false,
        faults: ApiFaults::default(),
        connection: None,
    }
}

#[test]
fn pages_follow_the_cursor_and_cap() {
    let log = log();
    let c = cfg(None, false);
    let mut api = Api::new(&c, 100);
    let r = api.handle(&log, 9 * SECOND, Request::List { cursor: 0, limit: 100, if_none_match: None }, true);
    assert_eq!(r.body, Body::Page { first: 0, count: 4, has_more: true, next: 4 });
    let r = api.handle(&log, 9 * SECOND, Request::List { cursor: 8, limit: 100, if_none_match: None }, true);
    assert_eq!(r.body, Body::Page { first: 8, count: 2, has_more: false, next: 10 });
    let r = api.handle(&log, 5 * SECOND, Request::List { cursor: 4, limit: 100, if_none_match: None }, true);
    assert_eq!(r.body, Body::Page { first: 4, count: 2, has_more: false, next: 6 });
}

#[test]
fn etag_gives_304_until_something_changes() {
    let log = log();
    let c = cfg(Some(100), false);
    let mut api = Api::new(&c, 100);
    let first =
        api.handle(&log, 9 * SECOND + 1, Request::List { cursor: 10, limit: 4, if_none_match: None }, true);
    assert_eq!(first.status, Status::Ok);
    let again = api.handle(
        &log,
        9 * SECOND + 2,
        Request::List { cursor: 10, limit: 4, if_none_match: first.etag },
        true,
    );
    assert_eq!(again.status, Status::NotModified);
    assert!(again.bytes_down < first.bytes_down);
    // The 304 used no quota.
    assert_eq!(api.answer_rate(&again, 9 * SECOND + 2).unwrap().used, 1);
    let moved =
        api.handle(&log, 9 * SECOND, Request::List { cursor: 8, limit: 4, if_none_match: first.etag }, true);
    assert_eq!(moved.status, Status::Ok);
}

#[test]
fn quota_then_429_with_retry_after() {
    let log = log();
    let c = cfg(Some(2), true);
    let mut api = Api::new(&c, 100);
    let req = Request::Resource(0);
    assert_eq!(api.handle(&log, 0, req, true).status, Status::Ok);
    assert_eq!(api.handle(&log, SECOND, req, true).status, Status::Ok);
    let r = api.handle(&log, 100 * SECOND, req, true);
    assert_eq!(r.status, Status::TooManyRequests);
    assert_eq!(r.retry_after, Some(3500 * SECOND));
    // The 429's header fields: the quota as it stood, used up.
    assert_eq!(api.answer_rate(&r, 100 * SECOND).map(|s| (s.used, s.remaining)), Some((2, 0)));
    assert_eq!(api.handle(&log, 3600 * SECOND, req, true).status, Status::Ok);
    assert!((api.peak_use().unwrap() - 1.0).abs() < 1e-12);
}

/// A failed answer (5xx) never reached the quota: it used none, and carries no quota fields.
#[test]
fn a_failed_answer_uses_no_quota_and_carries_no_quota_fields() {
    let log = log();
    let mut c = cfg(Some(2), true);
    c.faults.outages = vec![crate::model::faults::ApiOutage {
        window: crate::model::window::Window { at: 0, duration: 10 * SECOND },
        refuse: false,
    }];
    let mut api = Api::new(&c, 100).with_faults(1, "api-tests");
    let failed = api.handle(&log, SECOND, Request::Resource(0), true);
    assert_eq!(failed.status, Status::Unavailable);
    assert_eq!(api.answer_rate(&failed, SECOND), None);
    let ok = api.handle(&log, 20 * SECOND, Request::Resource(0), true);
    assert_eq!(ok.status, Status::Ok);
    assert_eq!(api.answer_rate(&ok, 20 * SECOND).map(|s| s.used), Some(1));
}

#[test]
fn long_polls_are_held_until_an_event_or_the_limit() {
    let log = log();
    let mut api = Api::new(&cfg(None, false), 10);
    let lp = |cursor, wait| Request::LongPoll { cursor, limit: 100, wait };
    // Something visible: answered at once.
    let r = api.handle(&log, 3 * SECOND, lp(2, 20 * SECOND), true);
    assert_eq!((r.hold, r.body), (0, Body::Page { first: 2, count: 2, has_more: false, next: 4 }));
    // Nothing after the cursor yet: held until event 4 is visible at 4 s.
    let r = api.handle(&log, 3 * SECOND + 1, lp(4, 20 * SECOND), true);
    assert_eq!(r.hold, SECOND - 1);
    assert_eq!(r.body, Body::Page { first: 4, count: 1, has_more: false, next: 5 });
    // Past the end of the log: held for the whole wait, capped at `long_poll_max`.
    let r = api.handle(&log, 10 * SECOND, lp(10, 60 * SECOND), true);
    assert_eq!(
        (r.hold, r.body),
        (20 * SECOND, Body::Page { first: 10, count: 0, has_more: false, next: 10 })
    );
}

#[test]
fn streams_open_until_the_next_drop() {
    let log = log();
    let mut api = Api::new(&cfg(None, false), 10);
    let r = api.handle(&log, SECOND, Request::Stream { cursor: 3 }, true);
    assert_eq!(r.body, Body::Stream { from: 3, until: 5 * SECOND, retry: 3 * SECOND });
    let r = api.handle(&log, 6 * SECOND, Request::Stream { cursor: 3 }, true);
    assert_eq!(r.body, Body::Stream { from: 3, until: Micros::MAX, retry: 3 * SECOND });
}

#[test]
fn resources_and_single_events_respect_visibility() {
    let log = log();
    let c = cfg(None, false);
    let mut api = Api::new(&c, 10);
    assert_eq!(api.handle(&log, 0, Request::Event(3), true).status, Status::NotFound);
    assert_eq!(api.handle(&log, 3 * SECOND, Request::Event(3), true).body, Body::Event(3));
    assert_eq!(
        api.handle(&log, 5 * SECOND, Request::Resource(1), true).body,
        Body::Resource { id: 1, latest: Some(5), version: 3 }
    );
    assert_eq!(
        api.handle(&log, 0, Request::Resource(1), true).body,
        Body::Resource { id: 1, latest: None, version: 0 }
    );
}
