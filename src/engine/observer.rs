//! The books of `serve --report`: what the user's own clients and webhook receiver got, and when.
//!
//! Owns the per-client and per-endpoint accounting of a served run. The live server tells the
//! [`Observer`] what it did — "answer served to client K, reaching it at scenario time t,
//! carrying events a..b", "stream frame of event i reached K at t", "delivery attempt of event i
//! sent at t₀ ended at t₁ with this result" — and the observer decides everything else: first
//! detections, wasted requests, 429s and throttled time, bytes, ack latency and failures by kind.
//! [`Observer::finish`] replays each book through a [`Books`] so every row settles its events
//! with the same conservation check as the strategies' rows. It is sans-IO: no sockets, no
//! clock, no async; the server only reports.
//!
//! At most [`MAX_CLIENT_ROWS`] clients get a book of their own, in order of first answer; every
//! later key shares one [`OTHER`] book (its row labelled with how many clients it holds), so
//! the books and the report stay bounded whatever keys arrive.
//!
//! Rules (README "serve --report"):
//! - a client *detects* an event when the first answer carrying it reaches it: a page of
//!   `/events` (long polls too), a stream frame, `GET /events/{id}`, or `GET /resources/{id}`
//!   whose state is that event's;
//! - the webhook endpoint detects an event when the first `GET /events/{id}` of it (by any API
//!   key) reaches its caller after the event's first delivery attempt was sent — the hybrid
//!   receiver's follow-up fetch; without such a fetch, the first 2xx is the detection;
//! - an event still undetected at the end is *missed* when it had been visible for the whole
//!   drain before the run ended, else in flight; for the endpoint, an undetected event is in
//!   flight while its delivery is still pending (retries left, or not yet sent), else missed.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use hdrhistogram::Histogram;

use crate::model::api::{Body, Response, Status};
use crate::model::source::EventLog;
use crate::strategy::books::{Books, Fate, Outcome, RequestCounts, TimelineBooks};
use crate::support::units::Micros;

/// What one API answer carried to its client.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedAnswer {
    /// Scenario time the answer reached the client (request arrival + hold + round trip).
    pub at: Micros,
    /// Its status.
    pub status: Status,
    /// The events it carried.
    pub carried: Range<u32>,
    /// It was a fetch of one event by id (`GET /events/{id}`).
    pub by_id: bool,
    /// It opened an event stream (never wasted: the events come over it).
    pub opens_stream: bool,
    /// `Retry-After` of a 429.
    pub retry_after: Option<Micros>,
    /// Bytes the client sent.
    pub bytes_up: u64,
    /// Bytes the client received.
    pub bytes_down: u64,
    /// The request arrived inside the event window: its costs (request, bytes, throttled time)
    /// count, as the sim counts them; what it carried counts either way.
    pub in_window: bool,
}

impl ServedAnswer {
    /// The answer `resp` to a request that arrived inside the window or not, reaching its client
    /// at `at`.
    pub fn of(resp: &Response, at: Micros, in_window: bool) -> ServedAnswer {
        let ok = resp.status == Status::Ok;
        let (carried, by_id) = match resp.body {
            Body::Page { first, count, .. } if ok => (first..first + count, false),
            Body::Event(id) if ok => (id..id + 1, true),
            Body::Resource { latest: Some(id), .. } if ok => (id..id + 1, false),
            _ => (0..0, false),
        };
        ServedAnswer {
            at,
            status: resp.status,
            carried,
            by_id,
            opens_stream: resp.opens_stream(),
            retry_after: resp.retry_after,
            bytes_up: resp.bytes_up,
            bytes_down: resp.bytes_down,
            in_window,
        }
    }
}

/// How one webhook delivery attempt ended, as the receiver's answer (or its absence) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptResult {
    /// A 2xx.
    Acked,
    /// A 5xx (502 and 504 included).
    ServerError,
    /// A 4xx other than 410 (429 included), or a 3xx (redirects are not followed).
    ClientError,
    /// 410 Gone: the endpoint is disabled.
    Gone,
    /// No answer within the per-attempt timeout.
    Timeout,
    /// The connection was refused or reset before any answer.
    Refused,
    /// The TLS handshake failed: an untrusted, expired or wrong-name certificate, or no common
    /// protocol version or cipher. Retried like any failure, never accepted.
    Tls,
}

/// Failed delivery attempts by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Failures {
    /// 5xx answers.
    pub server_error: u64,
    /// 4xx answers (410 aside) and redirects.
    pub client_error: u64,
    /// 410 answers (the endpoint disabled).
    pub gone: u64,
    /// No answer within the timeout.
    pub timeout: u64,
    /// Connection refused or reset.
    pub refused: u64,
    /// TLS handshake failed (an untrusted, expired or wrong-name certificate, …).
    #[serde(default)]
    pub tls: u64,
}

/// Latencies: a histogram with its exact sum and maximum.
#[derive(Debug, Clone)]
pub struct Latencies {
    /// µs, 3 significant digits.
    pub hist: Histogram<u64>,
    /// Exact sum, µs.
    pub sum_us: u128,
    /// Exact maximum, µs.
    pub max_us: u64,
    /// How many.
    pub count: u64,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies {
            hist: Histogram::new(3).expect("3 significant digits is a valid histogram"),
            sum_us: 0,
            max_us: 0,
            count: 0,
        }
    }
}

impl Latencies {
    fn record(&mut self, us: u64) {
        // The histogram auto-resizes; a value it cannot hold still counts in sum and max.
        let _ = self.hist.record(us);
        self.sum_us += u128::from(us);
        self.max_us = self.max_us.max(us);
        self.count += 1;
    }
}

/// One client's book.
#[derive(Debug, Default)]
struct ClientBook {
    first: HashMap<u32, Micros>,
    requests: RequestCounts,
    /// Requests, 429s and failed calls in time (made on the first answer).
    timeline: Option<TimelineBooks>,
    bytes_up: u64,
    bytes_down: u64,
    throttled: Vec<(Micros, Micros)>,
}

impl ClientBook {
    /// Records that `id` reached the client at `at`; true if it is new to the client.
    fn carry(&mut self, id: u32, at: Micros) -> bool {
        match self.first.get_mut(&id) {
            Some(t) => {
                *t = (*t).min(at);
                false
            }
            None => {
                self.first.insert(id, at);
                true
            }
        }
    }
}

/// The webhook endpoint's book.
#[derive(Debug, Default)]
struct EndpointBook {
    attempts: u64,
    ack: Latencies,
    failures: Failures,
    first_sent: HashMap<u32, Micros>,
    first_ack: HashMap<u32, Micros>,
    fetched: HashMap<u32, Micros>,
}

/// The most clients kept in books of their own: later keys share the [`OTHER`] row's book.
pub const MAX_CLIENT_ROWS: usize = 100;

/// How many distinct folded keys are counted exactly; past it the count says "or more".
const MAX_FOLDED_COUNTED: usize = 1_000_000;

/// The books of a served run.
#[derive(Debug, Default)]
pub struct Observer {
    clients: BTreeMap<String, ClientBook>,
    /// One book for every client past [`MAX_CLIENT_ROWS`], and the keys it holds (as hashes,
    /// at most [`MAX_FOLDED_COUNTED`]).
    other: Option<(ClientBook, std::collections::HashSet<u64>)>,
    endpoint: Option<EndpointBook>,
    /// The width of the rows' timeline buckets.
    bucket: Micros,
}

/// One settled row of a served run.
#[derive(Debug, Clone)]
pub struct ObservedRow {
    /// `client:KEY` or `endpoint`.
    pub label: String,
    /// Its events and costs, conservation checked.
    pub outcome: Outcome,
    /// For the endpoint: request sent → 2xx, scenario time.
    pub ack: Option<Latencies>,
    /// For the endpoint: failed attempts by kind.
    pub failures: Option<Failures>,
}

/// The books of a replayed row, keeping a timeline of buckets `bucket` µs wide in which every
/// event that happened by `ended` is counted.
fn timed(log: &EventLog, window: Micros, bucket: Micros, ended: Micros) -> Books {
    let mut rec = Books::new(log, window.max(1));
    rec.keep_timeline(bucket);
    for e in log.events().iter().take_while(|e| e.at <= ended) {
        rec.happened(e.at);
    }
    rec
}

/// The label of client `key`'s row.
pub fn client_label(key: &str) -> String {
    format!("client:{key}")
}

/// The label of the webhook endpoint's row.
pub const ENDPOINT: &str = "endpoint";

/// The label of the row of the clients past [`MAX_CLIENT_ROWS`] (no API key makes it: a
/// client's label starts `client:`), followed by how many they were.
pub const OTHER: &str = "other";

/// The label of the [`OTHER`] row holding `n` clients (`more`: at least that many).
pub fn other_label(n: usize, more: bool) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{OTHER} ({n}{} client{s})", if more { " or more" } else { "" })
}

impl Observer {
    /// Empty books; with `endpoint`, a webhook endpoint is measured too.
    /// The rows' timelines are cut in buckets `bucket` µs wide.
    pub fn new(endpoint: bool, bucket: Micros) -> Self {
        Observer {
            clients: BTreeMap::new(),
            other: None,
            endpoint: endpoint.then(EndpointBook::default),
            bucket,
        }
    }

    /// Client `key`'s book: its own while there is room, else the [`OTHER`] book.
    fn book(&mut self, key: &str) -> &mut ClientBook {
        if self.clients.len() >= MAX_CLIENT_ROWS && !self.clients.contains_key(key) {
            let (book, keys) = self.other.get_or_insert_with(Default::default);
            if keys.len() < MAX_FOLDED_COUNTED {
                use std::hash::{BuildHasher, BuildHasherDefault};
                keys.insert(
                    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(key),
                );
            }
            return book;
        }
        self.clients.entry(key.to_string()).or_default()
    }

    /// An API answer served to client `key`.
    pub fn answered(&mut self, key: &str, a: &ServedAnswer) {
        let bucket = self.bucket;
        let book = self.book(key);
        let mut new = 0u64;
        for id in a.carried.clone() {
            new += u64::from(book.carry(id, a.at));
        }
        if !a.in_window {
            self.fetched_by_endpoint(a);
            return;
        }
        let r = &mut book.requests;
        r.total += 1;
        let b = book.timeline.get_or_insert_with(|| TimelineBooks::new(bucket)).at(a.at);
        b.requests += 1;
        match a.status {
            Status::NotModified => r.not_modified += 1,
            Status::TooManyRequests => {
                r.throttled += 1;
                b.throttled += 1;
            }
            Status::Unavailable => {
                r.failed += 1;
                b.failed += 1;
            }
            _ => {}
        }
        if new == 0 && !a.opens_stream {
            r.wasted += 1;
        }
        book.bytes_up += a.bytes_up;
        book.bytes_down += a.bytes_down;
        if let (Status::TooManyRequests, Some(wait)) = (a.status, a.retry_after) {
            book.throttled.push((a.at, a.at.saturating_add(wait)));
        }
        self.fetched_by_endpoint(a);
    }

    /// A fetch by id after the event's first delivery attempt is the endpoint's detection.
    fn fetched_by_endpoint(&mut self, a: &ServedAnswer) {
        if let (Some(ep), true) = (self.endpoint.as_mut(), a.by_id) {
            for id in a.carried.clone() {
                if ep.first_sent.get(&id).is_some_and(|&sent| sent <= a.at) {
                    let t = ep.fetched.entry(id).or_insert(a.at);
                    *t = (*t).min(a.at);
                }
            }
        }
    }

    /// A stream frame carrying event `id` reached client `key` at `at`.
    pub fn streamed(&mut self, key: &str, id: u32, at: Micros, bytes: u64) {
        let book = self.book(key);
        book.carry(id, at);
        book.bytes_down += bytes;
    }

    /// A delivery attempt of event `id` sent at `sent` ended at `ended` with `result`.
    pub fn attempt(&mut self, id: u32, sent: Micros, ended: Micros, result: AttemptResult) {
        let Some(ep) = self.endpoint.as_mut() else { return };
        ep.attempts += 1;
        let s = ep.first_sent.entry(id).or_insert(sent);
        *s = (*s).min(sent);
        let f = &mut ep.failures;
        match result {
            AttemptResult::Acked => {
                ep.ack.record(ended.saturating_sub(sent));
                let t = ep.first_ack.entry(id).or_insert(ended);
                *t = (*t).min(ended);
            }
            AttemptResult::ServerError => f.server_error += 1,
            AttemptResult::ClientError => f.client_error += 1,
            AttemptResult::Gone => f.gone += 1,
            AttemptResult::Timeout => f.timeout += 1,
            AttemptResult::Refused => f.refused += 1,
            AttemptResult::Tls => f.tls += 1,
        }
    }

    /// Delivery attempts recorded so far.
    pub fn attempts(&self) -> u64 {
        self.endpoint.as_ref().map_or(0, |e| e.attempts)
    }

    /// Settles every book at scenario time `ended` (`window`: the event window's end, where
    /// costs stop counting), with `drain` the time an event needs to have
    /// been visible to count as missed; `delivering(id)` says whether the endpoint's delivery of
    /// `id` is still under way. Rows: each client by key, then the endpoint. A conservation
    /// breach is an error naming the row.
    pub fn finish(
        self,
        log: &EventLog,
        window: Micros,
        ended: Micros,
        drain: Micros,
        delivering: impl Fn(u32) -> bool,
    ) -> Result<Vec<ObservedRow>, String> {
        let settled = |id: u32| log.get(id).visible_at.saturating_add(drain) <= ended;
        // A run stopped early covers [0, ended): the undetected events after it never happened,
        // so they are neither produced nor in flight (settled in flight, then taken out), as in
        // the engines' rows.
        let unborn_or = |id: u32, unborn: &mut u64, fate: Fate| {
            if log.try_get(id).is_some_and(|e| e.at > ended) {
                *unborn += 1;
                Fate::InFlight
            } else {
                fate
            }
        };
        let mut rows = Vec::new();
        let other =
            self.other.map(|(book, keys)| (other_label(keys.len(), keys.len() >= MAX_FOLDED_COUNTED), book));
        for (label, book) in
            self.clients.into_iter().map(|(key, book)| (client_label(&key), book)).chain(other)
        {
            let mut rec = timed(log, window, self.bucket, ended);
            let mut order: Vec<(Micros, u32)> = book.first.iter().map(|(&id, &t)| (t, id)).collect();
            order.sort_unstable();
            for (t, id) in order {
                rec.detect(log, id, t);
            }
            for (from, until) in book.throttled {
                rec.throttled(from, until);
            }
            rec.requests = book.requests;
            if let (Some(t), Some(answers)) = (rec.timeline_mut(), &book.timeline) {
                t.merge(answers);
            }
            rec.bytes_sent = book.bytes_up;
            rec.bytes_received = book.bytes_down;
            let mut unborn = 0;
            let mut outcome = rec
                .finish(log, |id| {
                    unborn_or(id, &mut unborn, if settled(id) { Fate::Missed } else { Fate::InFlight })
                })
                .map_err(|e| format!("{label}: {e}"))?;
            outcome.events.total -= unborn;
            outcome.events.in_flight -= unborn;
            rows.push(ObservedRow { label, outcome, ack: None, failures: None });
        }
        if let Some(ep) = self.endpoint {
            let mut rec = timed(log, window, self.bucket, ended);
            let mut order: Vec<(Micros, u32)> = ep
                .first_ack
                .iter()
                .map(|(&id, &t)| (ep.fetched.get(&id).copied().unwrap_or(t), id))
                .chain(
                    ep.fetched
                        .iter()
                        .filter(|(id, _)| !ep.first_ack.contains_key(id))
                        .map(|(&id, &t)| (t, id)),
                )
                .collect();
            order.sort_unstable();
            for (t, id) in order {
                rec.detect(log, id, t);
            }
            rec.webhooks.attempts = ep.attempts;
            let mut unborn = 0;
            let mut outcome = rec
                .finish(log, |id| {
                    unborn_or(id, &mut unborn, if delivering(id) { Fate::InFlight } else { Fate::Missed })
                })
                .map_err(|e| format!("{ENDPOINT}: {e}"))?;
            outcome.events.total -= unborn;
            outcome.events.in_flight -= unborn;
            rows.push(ObservedRow {
                label: ENDPOINT.to_string(),
                outcome,
                ack: Some(ep.ack),
                failures: Some(ep.failures),
            });
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::source::Event;

    fn log() -> EventLog {
        let events = (0..4u32)
            .map(|i| Event {
                at: u64::from(i) * 10,
                visible_at: u64::from(i) * 10,
                resource: i,
                version: 1,
                kind: 0,
            })
            .collect();
        EventLog::from_events(events, 4, 2)
    }

    fn page(at: Micros, carried: Range<u32>) -> ServedAnswer {
        ServedAnswer {
            at,
            status: Status::Ok,
            carried,
            by_id: false,
            opens_stream: false,
            retry_after: None,
            bytes_up: 10,
            bytes_down: 100,
            in_window: true,
        }
    }

    #[test]
    fn first_answer_carrying_an_event_is_its_detection_and_the_rest_settle() {
        let log = log();
        let mut o = Observer::new(false, 1_000_000);
        o.answered("a", &page(15, 0..2));
        o.answered("a", &page(16, 0..2)); // nothing new: wasted
        o.answered("b", &page(35, 0..4));
        o.answered("a", &ServedAnswer { in_window: false, ..page(90, 0..0) }); // after the window: free
        o.answered(
            "a",
            &ServedAnswer { status: Status::TooManyRequests, retry_after: Some(5), ..page(40, 0..0) },
        );
        let rows = o.finish(&log, 60, 100, 50, |_| false).unwrap();
        let a = &rows[0];
        assert_eq!(a.label, "client:a");
        assert_eq!(a.outcome.events.detected, 2);
        assert_eq!(a.outcome.sum_us, 15 + 5);
        assert_eq!(
            (a.outcome.requests.total, a.outcome.requests.wasted, a.outcome.requests.throttled),
            (3, 2, 1)
        );
        assert_eq!(a.outcome.throttled_us, 5);
        assert_eq!((a.outcome.bytes_sent, a.outcome.bytes_received), (30, 300));
        // Events 2 (visible at 20) and 3 (at 30) had the 50 µs drain before 100: missed.
        assert_eq!((a.outcome.events.missed, a.outcome.events.in_flight), (2, 0));
        assert_eq!(rows[1].outcome.events.detected, 4);
        // Ended early: what was visible for less than the drain is in flight.
        let mut o = Observer::new(false, 1_000_000);
        o.answered("a", &page(15, 0..1));
        let rows = o.finish(&log, 60, 70, 50, |_| false).unwrap();
        assert_eq!((rows[0].outcome.events.missed, rows[0].outcome.events.in_flight), (2, 1));
    }

    #[test]
    fn an_answer_carries_its_page_its_event_or_the_event_behind_a_resource_state() {
        let resp = |status, body| Response {
            status,
            body,
            etag: None,
            retry_after: None,
            poll_interval: None,
            bytes_up: 1,
            bytes_down: 2,
            hold: 0,
        };
        let page = Body::Page { first: 3, count: 4, has_more: false, next: 7 };
        assert_eq!(ServedAnswer::of(&resp(Status::Ok, page), 9, true).carried, 3..7);
        let one = ServedAnswer::of(&resp(Status::Ok, Body::Event(5)), 9, true);
        assert_eq!((one.carried, one.by_id), (5..6, true));
        let state = Body::Resource { id: 0, latest: Some(2), version: 3 };
        let r = ServedAnswer::of(&resp(Status::Ok, state), 9, true);
        assert_eq!((r.carried, r.by_id), (2..3, false));
        let none = Body::Resource { id: 0, latest: None, version: 0 };
        assert!(ServedAnswer::of(&resp(Status::Ok, none), 9, true).carried.is_empty());
        assert!(ServedAnswer::of(&resp(Status::TooManyRequests, Body::Empty), 9, true).carried.is_empty());
    }

    #[test]
    fn clients_past_the_cap_share_one_other_row_that_counts_them() {
        let log = log();
        let mut o = Observer::new(false, 1_000_000);
        for i in 0..MAX_CLIENT_ROWS + 3 {
            o.answered(&format!("k{i}"), &page(15 + i as Micros, 0..1));
        }
        o.answered("k0", &page(90, 0..2)); // a client with a row keeps it
        o.answered(&format!("k{}", MAX_CLIENT_ROWS + 1), &page(95, 0..2)); // a folded one, again
        let rows = o.finish(&log, 60, 100, 50, |_| false).unwrap();
        assert_eq!(rows.len(), MAX_CLIENT_ROWS + 1);
        let other = rows.last().unwrap();
        assert_eq!(other.label, "other (3 clients)");
        assert_eq!(other.outcome.requests.total, 4, "three clients, one of them twice");
        assert_eq!(other.outcome.events.detected, 2);
        assert_eq!(other_label(1, false), "other (1 client)");
        assert_eq!(other_label(MAX_FOLDED_COUNTED, true), "other (1000000 or more clients)");
    }

    #[test]
    fn the_endpoint_detects_by_its_follow_up_fetch_else_by_the_ack() {
        let log = log();
        let mut o = Observer::new(true, 1_000_000);
        o.attempt(0, 2, 4, AttemptResult::ServerError);
        o.attempt(0, 10, 13, AttemptResult::Acked);
        o.answered("hook", &ServedAnswer { by_id: true, ..page(20, 0..1) });
        o.attempt(1, 12, 14, AttemptResult::Acked); // never fetched: the 2xx counts
        o.attempt(2, 22, 40, AttemptResult::Timeout);
        o.attempt(3, 32, 33, AttemptResult::Refused);
        let rows = o.finish(&log, 60, 100, 10, |id| id == 3).unwrap();
        let ep = rows.iter().find(|r| r.label == ENDPOINT).unwrap();
        assert_eq!(ep.outcome.events.detected, 2);
        assert_eq!(ep.outcome.sum_us, 20 + (14 - 10));
        assert_eq!((ep.outcome.events.missed, ep.outcome.events.in_flight), (1, 1));
        assert_eq!(ep.outcome.webhooks.attempts, 5);
        let ack = ep.ack.as_ref().unwrap();
        assert_eq!((ack.count, ack.sum_us, ack.max_us), (2, 3 + 2, 3));
        let f = ep.failures.unwrap();
        assert_eq!((f.server_error, f.timeout, f.refused, f.gone, f.client_error), (1, 1, 1, 0, 0));
    }
}
