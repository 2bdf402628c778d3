//! The provider's API, as one client sees it: event log pages, resource snapshots, single
//! events, ETags and 304s, the quota with 429 + `Retry-After`, and the poll-interval hint.
//!
//! Owns the API's semantics, as a pure function of the event log, the client's rate limiter and
//! "now". The sim engine calls [`Api::handle`] directly; the live engine's HTTP server calls the
//! same function and turns the [`Response`] into real headers and JSON. It owns the
//! [`ApiConfig`] a scenario fills in. No sockets, no clock.

use serde::{Deserialize, Serialize};

use crate::model::dist::Delay;
use crate::model::faults::{ApiFaults, Fault, FaultModel};
use crate::model::ratelimit::{retry_after_secs, Quota, RateLimiter, RateState};
use crate::model::source::EventLog;
use crate::model::wire;
use crate::support::units::{Micros, SECOND};

/// The provider's API.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiConfig {
    /// Round trip of one request: network both ways plus server time.
    #[serde(
        serialize_with = "crate::model::dist::delay_secs",
        deserialize_with = "crate::model::dist::de_delay_secs"
    )]
    pub rtt: Delay,
    /// Per-client quota per window; `None` for no limit.
    pub rate_limit: Option<Quota>,
    /// Largest page `GET /events` returns.
    pub page_size: u32,
    /// Whether a 304 uses quota (GitHub: no).
    pub not_modified_counts: bool,
    /// Suggested poll interval sent as `X-Poll-Interval`.
    #[serde(
        rename = "poll_interval_hint_s",
        serialize_with = "crate::support::units::opt_secs",
        deserialize_with = "crate::support::units::de_opt_secs"
    )]
    pub poll_interval_hint: Option<Micros>,
    /// The longest the server holds a long poll (SQS and Telegram: 20 s).
    #[serde(
        rename = "long_poll_max_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub long_poll_max: Micros,
    /// The `retry:` reconnection delay the event stream asks for.
    #[serde(
        rename = "sse_retry_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub sse_retry: Micros,
    /// Times at which the server drops every open event stream.
    #[serde(
        rename = "sse_drops_s",
        serialize_with = "crate::support::units::secs_vec",
        deserialize_with = "crate::support::units::de_secs_vec"
    )]
    pub sse_drops: Vec<Micros>,
    /// The server also drops every open stream at each multiple of this.
    #[serde(
        rename = "sse_drop_every_s",
        serialize_with = "crate::support::units::opt_secs",
        deserialize_with = "crate::support::units::de_opt_secs"
    )]
    pub sse_drop_every: Option<Micros>,
    /// Whether `GET /events` can be filtered to the subscribed event types (Stripe's `types[]`):
    /// then the others never reach a poller; without it they are fetched with the rest.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub type_filter: bool,
    /// 5xx answers, outages and slow answers; shown only when set.
    #[serde(default, skip_serializing_if = "ApiFaults::is_none")]
    pub faults: ApiFaults,
    /// Whether each request opens a new connection or reuses a warm one; `None` (no `[network]`):
    /// no handshake is modelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<crate::model::network::Connection>,
}

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
    /// `GET /events?after=<cursor>&limit=<n>&wait=<w>`: a long poll. When nothing is visible
    /// after the cursor the server holds the request until an event becomes visible or `wait`
    /// (capped by the API's `long_poll_max`) passes, then answers with what is visible then.
    LongPoll {
        /// Next event id wanted.
        cursor: u32,
        /// Page size asked for (capped by the server).
        limit: u32,
        /// The longest the client will wait.
        wait: Micros,
    },
    /// `GET /stream` with `Last-Event-ID` (the id before `cursor`): opens a server-sent events
    /// stream that replays what the client missed and then pushes each event as it becomes
    /// visible, until the server drops the connection.
    Stream {
        /// Next event id wanted (`Last-Event-ID` + 1).
        cursor: u32,
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
    /// An event stream is open: it carries the events from `from` on, each when it becomes
    /// visible, for as long as they become visible before `until` (the server's next drop;
    /// `Micros::MAX` for none); after a drop the client waits `retry` (the `retry:` field).
    Stream {
        /// First event id the stream carries.
        from: u32,
        /// When the server drops the connection.
        until: Micros,
        /// The reconnection delay the server asks for.
        retry: Micros,
    },
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
    /// Bytes the client sent.
    pub bytes_up: u64,
    /// Bytes the client received.
    pub bytes_down: u64,
    /// How long the server held the request before answering (long polls; 0 otherwise).
    pub hold: Micros,
}

impl Response {
    /// Whether this answer opened an event stream (a connection is a request that is never
    /// counted as wasted: the events come over it).
    pub fn opens_stream(&self) -> bool {
        self.status == Status::Ok && matches!(self.body, Body::Stream { .. })
    }
}

/// One client's view of the API: its quota, and the API's settings.
#[derive(Debug, Clone)]
pub struct Api {
    cfg: ApiConfig,
    payload_bytes: u32,
    limiter: Option<RateLimiter>,
    faults: Option<FaultModel>,
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
        Api { cfg: cfg.clone(), payload_bytes, limiter: cfg.rate_limit.map(RateLimiter::new), faults: None }
    }

    /// The same client, meeting the configured faults (if any) with draws from the stream
    /// `stream` of `seed`.
    pub fn with_faults(mut self, seed: u64, stream: &str) -> Self {
        self.faults = self.cfg.faults.any().then(|| FaultModel::new(&self.cfg.faults, seed, stream));
        self
    }

    /// The rate-limit header values of `resp`, which [`Api::handle`] answered at `now`: the quota
    /// as that answer left it, if there is a quota — none for a failed answer (5xx), which never
    /// reached it. What an HTTP server puts in its headers; the model's answer does not carry
    /// them, as no strategy reads them.
    pub fn answer_rate(&mut self, resp: &Response, now: Micros) -> Option<RateState> {
        if resp.status == Status::Unavailable {
            return None;
        }
        self.limiter.as_mut().map(|rl| rl.state(now))
    }

    /// The peak share of quota used, if there is a quota.
    pub fn peak_use(&self) -> Option<f64> {
        self.limiter.as_ref().map(RateLimiter::peak_use)
    }

    /// Whether this client's quota holds nothing at `now` that a fresh client's would not: no
    /// quota, or its window is over.
    pub fn quota_idle(&self, now: Micros) -> bool {
        self.limiter.as_ref().is_none_or(|rl| rl.window_over(now))
    }

    /// The ETag a list request for `cursor` and `limit` would carry at `now`: what an HTTP
    /// server compares `If-None-Match: *` or a list of tags with.
    pub fn list_etag(&self, log: &EventLog, now: Micros, cursor: u32, limit: u32) -> u64 {
        self.page(log, now, cursor, limit).1
    }

    /// The page of events after `cursor` visible at `at`, and its ETag.
    fn page(&self, log: &EventLog, at: Micros, cursor: u32, limit: u32) -> (Body, u64) {
        let visible = log.visible_count(at);
        let limit = limit.clamp(1, self.cfg.page_size);
        let start = cursor.min(visible);
        let count = (visible - start).min(limit);
        let has_more = start + count < visible;
        let body = Body::Page { first: start, count, has_more, next: start + count };
        (body, page_etag(cursor, count, has_more))
    }

    /// When the server next drops an event stream open at `now` (`Micros::MAX` for never).
    pub fn next_drop(&self, now: Micros) -> Micros {
        let listed = self.cfg.sse_drops.iter().copied().filter(|&d| d > now).min();
        let periodic = self.cfg.sse_drop_every.map(|e| (now / e + 1).saturating_mul(e));
        listed.into_iter().chain(periodic).min().unwrap_or(Micros::MAX)
    }

    /// When a long poll for `cursor` made at `now` with `wait` is answered: at once if an event
    /// after the cursor is visible, else when the next one becomes visible or the wait (capped
    /// by `long_poll_max`) runs out, whichever is first.
    pub fn release_at(&self, log: &EventLog, now: Micros, cursor: u32, wait: Micros) -> Micros {
        let limit = now.saturating_add(wait.min(self.cfg.long_poll_max));
        if cursor < log.floor() {
            return now; // retired events were all visible
        }
        match log.try_get(cursor) {
            Some(e) => e.visible_at.max(now).min(limit),
            None => limit,
        }
    }

    /// Answers `req` as of `now`. `billable` marks requests inside the measured window (only
    /// those move the reported peak quota use). A request counts against the quota when it is
    /// made, so a held long poll or an open stream uses quota once, at its start.
    ///
    /// Inlined into its callers (the sim's dispatch, the live server), with the quota's checks:
    /// the sim answers a request on most of its steps.
    #[inline(always)]
    pub fn handle(&mut self, log: &EventLog, now: Micros, req: Request, billable: bool) -> Response {
        let bytes_up = req.wire_bytes();
        let limited = self.limiter.is_some();
        let poll_interval = self.cfg.poll_interval_hint;
        let mut slow = 0;
        match self.faults.as_mut().map_or(Fault::None, |f| f.meet(now)) {
            Fault::None => {}
            Fault::Slow(d) => slow = d,
            Fault::Failed => {
                // A 5xx (or no answer at all): no quota used, nothing served.
                return Response {
                    status: Status::Unavailable,
                    body: Body::Empty,
                    etag: None,
                    retry_after: None,
                    poll_interval: None,
                    bytes_up,
                    bytes_down: answer_bytes(Status::Unavailable, &Body::Empty, limited, self.payload_bytes),
                    hold: 0,
                };
            }
        }
        // In a cost bucket a request is admitted for its requested cost (a page of `limit`
        // nodes, one object) and charged what it returned; elsewhere every request is 1.
        let costs = self.limiter.as_ref().and_then(RateLimiter::costs);
        let requested = costs.map_or(1, |c| match req {
            Request::List { limit, .. } | Request::LongPoll { limit, .. } => {
                c.page(u64::from(limit.clamp(1, self.cfg.page_size)))
            }
            Request::Stream { .. } => c.page(u64::from(self.cfg.page_size)),
            Request::Resource(_) | Request::Event(_) => c.node,
        });
        if let Some(rl) = self.limiter.as_mut() {
            if let Some(wait) = rl.over_quota_cost(now, requested) {
                return Response {
                    status: Status::TooManyRequests,
                    body: Body::Empty,
                    etag: None,
                    retry_after: Some(retry_after_secs(wait) * SECOND),
                    poll_interval,
                    bytes_up,
                    bytes_down: answer_bytes(
                        Status::TooManyRequests,
                        &Body::Empty,
                        limited,
                        self.payload_bytes,
                    ),
                    hold: 0,
                };
            }
        }
        let mut hold = 0;
        let (status, body, etag) = match req {
            Request::List { cursor, limit, if_none_match } => {
                let (body, etag) = self.page(log, now, cursor, limit);
                if if_none_match == Some(etag) {
                    (Status::NotModified, Body::Empty, Some(etag))
                } else {
                    (Status::Ok, body, Some(etag))
                }
            }
            Request::LongPoll { cursor, limit, wait } => {
                let release = self.release_at(log, now, cursor, wait);
                hold = release - now;
                let (body, etag) = self.page(log, release, cursor, limit);
                (Status::Ok, body, Some(etag))
            }
            Request::Stream { cursor } => {
                let body =
                    Body::Stream { from: cursor, until: self.next_drop(now), retry: self.cfg.sse_retry };
                (Status::Ok, body, None)
            }
            Request::Resource(id) => {
                let state = if id < log.resources() { log.resource_state(id, now) } else { None };
                let (latest, version) = (state.map(|(e, _)| e), state.map_or(0, |(_, v)| v));
                (Status::Ok, Body::Resource { id, latest, version }, None)
            }
            Request::Event(id) => {
                if log.visible(id, now) {
                    (Status::Ok, Body::Event(id), None)
                } else {
                    (Status::NotFound, Body::Empty, None)
                }
            }
        };
        let bytes_down = answer_bytes(status, &body, limited, self.payload_bytes);
        let actual = costs.map_or(1, |c| match body {
            Body::Page { count, .. } => c.page(u64::from(count)),
            Body::Stream { .. } => requested,
            Body::Empty if status == Status::NotModified => c.connection,
            Body::Resource { .. } | Body::Event(_) | Body::Empty => c.node,
        });
        if let Some(rl) = self.limiter.as_mut() {
            if status != Status::NotModified || self.cfg.not_modified_counts {
                // The check above rolled the quota to `now`.
                rl.consume_checked(now, actual, billable);
            }
        }
        let hold = hold + slow;
        Response { status, body, etag, retry_after: None, poll_interval, bytes_up, bytes_down, hold }
    }
}

impl Request {
    /// The request's size on the wire: request line and headers, `If-None-Match` when sent.
    pub fn wire_bytes(&self) -> u64 {
        wire::GET_REQUEST
            + match self {
                Request::List { if_none_match: Some(_), .. } => wire::IF_NONE_MATCH,
                _ => 0,
            }
    }
}

/// The size on the wire of an answer with `status` and `body` (headers included; the rate-limit
/// fields when `limited`). The one sizing of API answers: the sim bills the model's answers with
/// it, and the live consumer the answers it decodes.
pub fn answer_bytes(status: Status, body: &Body, limited: bool, payload_bytes: u32) -> u64 {
    let headers = wire::api_headers(limited);
    headers
        + match (status, body) {
            (Status::Ok, Body::Page { count, .. }) => wire::page_body(*count, payload_bytes),
            (Status::Ok, Body::Resource { .. }) => wire::RESOURCE_OVERHEAD + u64::from(payload_bytes),
            (Status::Ok, Body::Event(_)) => wire::event_json(payload_bytes),
            (Status::Ok | Status::NotModified, _) => 0,
            (Status::TooManyRequests | Status::NotFound | Status::Unavailable, _) => wire::ERROR_BODY,
        }
}

#[cfg(test)]
mod tests;
