//! The provider's API, as one client sees it: event log pages, resource snapshots, single
//! events, ETags and 304s, the quota with 429 + `Retry-After`, and the poll-interval hint.
//!
//! Owns the API's semantics, as a pure function of the event log, the client's rate limiter and
//! "now". The sim engine calls [`Api::handle`] directly; the live engine's HTTP server calls the
//! same function and turns the [`Response`] into real headers and JSON. No sockets, no clock.

use crate::model::ratelimit::{retry_after_secs, RateLimiter, RateState};
use crate::model::source::EventLog;
use crate::model::wire;
use crate::scenario::ApiConfig;
use crate::units::{Micros, SECOND};

/// A request to the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// `GET /events?after=<cursor>&limit=<n>`; the cursor is the id of the next event wanted
    /// (everything before it has been read), with an optional `If-None-Match`.
    List {
        /// Next event id wanted.
        cursor: u32,
        /// Page size asked for (capped by the server).
        limit: u32,
        /// The ETag of an earlier answer to the same request.
        if_none_match: Option<u64>,
    },
    /// `GET /resources/{id}`.
    Resource(u32),
    /// `GET /events/{id}`.
    Event(u32),
}

/// The status of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 200.
    Ok,
    /// 304: nothing changed since the ETag.
    NotModified,
    /// 404: not (yet) visible.
    NotFound,
    /// 429: over quota.
    TooManyRequests,
    /// A 5xx, a malformed answer, or no answer at all (live engine only).
    Unavailable,
}

impl Status {
    /// The HTTP status code.
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::NotModified => 304,
            Status::NotFound => 404,
            Status::TooManyRequests => 429,
            Status::Unavailable => 503,
        }
    }
}

/// The body of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// No body (304, 429, 404).
    Empty,
    /// Events `first .. first + count`; `next` is the cursor for the next request.
    Page {
        /// First event id.
        first: u32,
        /// Number of events.
        count: u32,
        /// More visible events wait after this page.
        has_more: bool,
        /// Cursor to ask with next.
        next: u32,
    },
    /// A resource's current state: its latest visible event, or none yet.
    Resource {
        /// The resource.
        id: u32,
        /// Its latest visible event, if any.
        latest: Option<u32>,
        /// The resource's version (0 before its first event).
        version: u32,
    },
    /// One event.
    Event(u32),
}

/// An answer, with everything the live engine needs for headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    /// Status.
    pub status: Status,
    /// Body.
    pub body: Body,
    /// `ETag` of a list answer.
    pub etag: Option<u64>,
    /// `Retry-After` of a 429, in microseconds (whole seconds).
    pub retry_after: Option<Micros>,
    /// `X-Poll-Interval` hint.
    pub poll_interval: Option<Micros>,
    /// Rate-limit header values, when a quota is set.
    pub rate: Option<RateState>,
    /// Bytes the client sent.
    pub bytes_up: u64,
    /// Bytes the client received.
    pub bytes_down: u64,
}

/// One client's view of the API: its quota, and the API's settings.
#[derive(Debug, Clone)]
pub struct Api {
    cfg: ApiConfig,
    payload_bytes: u32,
    limiter: Option<RateLimiter>,
}

/// The ETag of a page: a hash of what it holds.
fn page_etag(cursor: u32, count: u32, has_more: bool) -> u64 {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
    for x in [u64::from(cursor), u64::from(count), u64::from(has_more)] {
        h ^= x;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd).rotate_left(29);
    }
    h
}

impl Api {
    /// A client of the API with `cfg`'s settings and quota.
    pub fn new(cfg: &ApiConfig, payload_bytes: u32) -> Self {
        Api { cfg: cfg.clone(), payload_bytes, limiter: cfg.rate_limit.map(RateLimiter::new) }
    }

    /// The rate-limit header values at `now`, if there is a quota.
    pub fn rate_state(&mut self, now: Micros) -> Option<RateState> {
        self.limiter.as_mut().map(|rl| rl.state(now))
    }

    /// The peak share of quota used, if there is a quota.
    pub fn peak_use(&self) -> Option<f64> {
        self.limiter.as_ref().map(RateLimiter::peak_use)
    }

    /// Answers `req` as of `now`. `billable` marks requests inside the measured window (only
    /// those move the reported peak quota use).
    pub fn handle(&mut self, log: &EventLog, now: Micros, req: Request, billable: bool) -> Response {
        let bytes_up = wire::GET_REQUEST
            + match req {
                Request::List { if_none_match: Some(_), .. } => wire::IF_NONE_MATCH,
                _ => 0,
            };
        let poll_interval = self.cfg.poll_interval_hint;
        if let Some(rl) = self.limiter.as_mut() {
            if let Some(wait) = rl.over_quota(now) {
                let rate = Some(rl.state(now));
                return Response {
                    status: Status::TooManyRequests,
                    body: Body::Empty,
                    etag: None,
                    retry_after: Some(retry_after_secs(wait) * SECOND),
                    poll_interval,
                    rate,
                    bytes_up,
                    bytes_down: wire::ERROR_RESPONSE,
                };
            }
        }
        let (status, body, etag, bytes_down) = match req {
            Request::List { cursor, limit, if_none_match } => {
                let visible = log.visible_count(now);
                let limit = limit.clamp(1, self.cfg.page_size);
                let start = cursor.min(visible);
                let count = (visible - start).min(limit);
                let has_more = start + count < visible;
                let etag = page_etag(cursor, count, has_more);
                if if_none_match == Some(etag) {
                    (Status::NotModified, Body::Empty, Some(etag), wire::API_RESPONSE_HEADERS)
                } else {
                    let body = Body::Page { first: start, count, has_more, next: start + count };
                    (Status::Ok, body, Some(etag), wire::page(count, self.payload_bytes))
                }
            }
            Request::Resource(id) => {
                let latest = if id < log.resources() { log.resource_latest(id, now) } else { None };
                let version = latest.map_or(0, |e| log.get(e).version);
                let size =
                    wire::API_RESPONSE_HEADERS + wire::RESOURCE_OVERHEAD + u64::from(self.payload_bytes);
                (Status::Ok, Body::Resource { id, latest, version }, None, size)
            }
            Request::Event(id) => {
                if (id as usize) < log.len() && log.get(id).visible_at <= now {
                    let size = wire::API_RESPONSE_HEADERS + wire::event_json(self.payload_bytes);
                    (Status::Ok, Body::Event(id), None, size)
                } else {
                    (Status::NotFound, Body::Empty, None, wire::ERROR_RESPONSE)
                }
            }
        };
        let rate = self.limiter.as_mut().map(|rl| {
            if status != Status::NotModified || self.cfg.not_modified_counts {
                rl.consume(now, billable);
            }
            rl.state(now)
        });
        Response { status, body, etag, retry_after: None, poll_interval, rate, bytes_up, bytes_down }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dist::Delay;
    use crate::model::source::Event;
    use crate::scenario::Quota;

    fn log() -> EventLog {
        let events = (0..10u32)
            .map(|i| Event {
                at: u64::from(i) * SECOND,
                visible_at: u64::from(i) * SECOND,
                resource: i % 2,
                version: i / 2 + 1,
            })
            .collect();
        EventLog::from_events(events, 2, 3)
    }

    fn cfg(limit: Option<u64>, nm_counts: bool) -> ApiConfig {
        ApiConfig {
            rtt: Delay::Fixed(0),
            rate_limit: limit.map(|l| Quota { limit: l, window: 3600 * SECOND }),
            page_size: 4,
            not_modified_counts: nm_counts,
            poll_interval_hint: None,
        }
    }

    #[test]
    fn pages_follow_the_cursor_and_cap() {
        let log = log();
        let c = cfg(None, false);
        let mut api = Api::new(&c, 100);
        let r =
            api.handle(&log, 9 * SECOND, Request::List { cursor: 0, limit: 100, if_none_match: None }, true);
        assert_eq!(r.body, Body::Page { first: 0, count: 4, has_more: true, next: 4 });
        let r =
            api.handle(&log, 9 * SECOND, Request::List { cursor: 8, limit: 100, if_none_match: None }, true);
        assert_eq!(r.body, Body::Page { first: 8, count: 2, has_more: false, next: 10 });
        let r =
            api.handle(&log, 5 * SECOND, Request::List { cursor: 4, limit: 100, if_none_match: None }, true);
        assert_eq!(r.body, Body::Page { first: 4, count: 2, has_more: false, next: 6 });
    }

    #[test]
    fn etag_gives_304_until_something_changes() {
        let log = log();
        let c = cfg(Some(100), false);
        let mut api = Api::new(&c, 100);
        let first = api.handle(
            &log,
            9 * SECOND + 1,
            Request::List { cursor: 10, limit: 4, if_none_match: None },
            true,
        );
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
        assert_eq!(again.rate.unwrap().used, 1);
        let moved = api.handle(
            &log,
            9 * SECOND,
            Request::List { cursor: 8, limit: 4, if_none_match: first.etag },
            true,
        );
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
        assert_eq!(api.handle(&log, 3600 * SECOND, req, true).status, Status::Ok);
        assert!((api.peak_use().unwrap() - 1.0).abs() < 1e-12);
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
}
