//! The mock source as an HTTP server: the provider's API (and its dead-letter list) over axum.
//!
//! Owns the HTTP face of [`crate::model::api::Api`]: query parsing, one `Api` (quota) per client
//! identified by its `X-Api-Key` header, the modelled round trip (the answer is computed when the
//! request arrives and sent after the sampled `api.rtt`, compressed by the speed-up), and the
//! real headers: `ETag` (with `If-None-Match` evaluated as RFC 9110 says, see
//! [`crate::live::etag`]), the IETF draft `RateLimit-Policy`/`RateLimit` fields, GitHub's
//! `X-RateLimit-*`, `Retry-After` and `X-Poll-Interval`. Header durations are scenario seconds.
//!
//! Clients are remembered for their quota. At most [`MAX_CLIENTS`] are tracked: when the table
//! is full, those whose quota window is over are forgotten (they would start afresh anyway),
//! and a new key that still finds no room shares the `anonymous` client's quota.
//!
//! Long polls (`GET /events?wait=20s`) are held for the model's `hold` before the round trip.
//! `GET /stream` is a `text/event-stream`: a `retry:` field (scenario milliseconds), then each
//! event after `Last-Event-ID` as `id:`/`event:`/`data:` lines, sent one one-way delay (a
//! sampled round trip / 2) after it becomes visible, until the scenario's next drop, when the
//! server ends the body.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::engine::observer::{Observer, ServedAnswer};
pub use crate::live::client::API_KEY;
use crate::live::clock::Clock;
use crate::live::emitter::LiveOutbox;
use crate::live::etag::{self, IfNoneMatch};
use crate::live::json as body;
use crate::live::{error, lock};
use crate::model::api::{Api, Body, Request, Response as ApiResponse, Status};
use crate::model::dist::Rng;
use crate::model::network::Connections;
use crate::model::ratelimit::{self, RateState};
use crate::model::source::EventLog;
use crate::scenario::Scenario;
use crate::support::units::SECOND;

/// The most clients (distinct `X-Api-Key` values) tracked at once; `anonymous` may be one more.
pub const MAX_CLIENTS: usize = 10_000;

/// The client that requests without a key share, and keys beyond a full table.
pub const ANONYMOUS: &str = "anonymous";

struct Client {
    api: Api,
    rng: Rng,
    /// The client's modelled connections (`[api] connection`): a request on a new one waits for
    /// its handshake before its answer, as in the sim.
    conns: Connections,
}

/// Counts of what the server answered, by the status of each answer its router sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServeStats {
    /// Every request answered: each of the counts below is part of it.
    pub requests: u64,
    /// 304 answers.
    pub not_modified: u64,
    /// 429 answers.
    pub throttled: u64,
    /// Every other 4xx: malformed requests, unknown routes and ids, other methods.
    pub bad: u64,
}

impl ServeStats {
    /// Counts one answer of `status`.
    fn count(&mut self, status: StatusCode) {
        self.requests += 1;
        match status {
            StatusCode::NOT_MODIFIED => self.not_modified += 1,
            StatusCode::TOO_MANY_REQUESTS => self.throttled += 1,
            s if s.is_client_error() => self.bad += 1,
            _ => {}
        }
    }
}

/// Everything the source server shares between requests.
pub struct SourceState {
    /// The scenario.
    pub scenario: Arc<Scenario>,
    /// The event stream.
    pub log: Arc<EventLog>,
    /// Virtual time.
    pub clock: Clock,
    clients: Mutex<HashMap<String, Client>>,
    max_clients: usize,
    stats: Mutex<ServeStats>,
    emitters: Mutex<Vec<(String, Arc<Mutex<LiveOutbox>>)>>,
    observer: std::sync::OnceLock<Arc<Mutex<Observer>>>,
}

impl SourceState {
    /// A server over `log`, tracking at most [`MAX_CLIENTS`] clients.
    pub fn new(scenario: Arc<Scenario>, log: Arc<EventLog>, clock: Clock) -> Arc<Self> {
        Self::with_max_clients(scenario, log, clock, MAX_CLIENTS)
    }

    /// A server over `log` tracking at most `max_clients` clients (at least 1).
    pub fn with_max_clients(
        scenario: Arc<Scenario>,
        log: Arc<EventLog>,
        clock: Clock,
        max_clients: usize,
    ) -> Arc<Self> {
        Arc::new(SourceState {
            scenario,
            log,
            clock,
            clients: Mutex::new(HashMap::new()),
            max_clients: max_clients.max(1),
            stats: Mutex::new(ServeStats::default()),
            emitters: Mutex::new(Vec::new()),
            observer: std::sync::OnceLock::new(),
        })
    }

    /// Lists an emitter's dead letters under `GET /dead-letters`.
    pub fn register_emitter(&self, name: &str, emitter: Arc<Mutex<LiveOutbox>>) {
        lock(&self.emitters).push((name.to_string(), emitter));
    }

    /// Reports every answer (and stream frame) served from now on to `observer`
    /// (`serve --report`); the books are the observer's.
    pub fn observe(&self, observer: Arc<Mutex<Observer>>) {
        let _ = self.observer.set(observer);
    }

    /// A stream frame of event `id`, `bytes` long, reached `client` now.
    fn streamed(&self, client: &str, id: u32, bytes: usize) {
        if let Some(o) = self.observer.get() {
            lock(o).streamed(client, id, self.clock.now(), bytes as u64);
        }
    }

    /// What the server answered so far.
    pub fn stats(&self) -> ServeStats {
        *lock(&self.stats)
    }

    /// How many clients are tracked.
    pub fn clients(&self) -> usize {
        lock(&self.clients).len()
    }

    /// The peak share of quota `client` used, if there is a quota and it called.
    pub fn peak_use(&self, client: &str) -> Option<f64> {
        lock(&self.clients).get(client).and_then(|c| c.api.peak_use())
    }

    /// Answers `req` for `client` now, under the `If-None-Match` condition `cond` (list
    /// requests); returns the answer and the time to wait before sending it: the hold of a long
    /// poll plus the round trip.
    fn answer(
        &self,
        client: &str,
        mut req: Request,
        cond: Option<&IfNoneMatch>,
    ) -> (ApiResponse, Option<RateState>, std::time::Duration) {
        let now = self.clock.now();
        let billable = now < self.scenario.duration;
        let mut clients = lock(&self.clients);
        let mut client = client;
        if !clients.contains_key(client) && clients.len() >= self.max_clients {
            clients.retain(|_, c| !c.api.quota_idle(now));
            if clients.len() >= self.max_clients {
                client = ANONYMOUS;
            }
        }
        let c = clients.entry(client.to_string()).or_insert_with(|| Client {
            api: Api::new(&self.scenario.api, self.scenario.events.payload_bytes)
                .with_faults(self.scenario.seed, &format!("live-api-faults/{client}")),
            rng: Rng::new(self.scenario.seed, &format!("live-api/{client}")),
            conns: Connections::new(
                self.scenario.api.connection,
                self.scenario.network.as_ref(),
                self.scenario.seed,
                &format!("live-handshake-api/{client}"),
            ),
        });
        if let (Request::List { cursor, limit, if_none_match }, Some(cond)) = (&mut req, cond) {
            // The model answers 304 to the client holding the current tag: a condition that
            // matches it (`*`, or a list naming it) is that client.
            let current = c.api.list_etag(&self.log, now, *cursor, *limit);
            *if_none_match = cond.matches(current).then_some(current);
        }
        let resp = c.api.handle(&self.log, now, req, billable);
        let rate = c.api.answer_rate(&resp, now);
        // The modelled handshake of a new connection is a delay on top of the round trip (the
        // real one, if any, ran on loopback before the request came in).
        let rtt = self.scenario.api.rtt.sample(&mut c.rng) + c.conns.acquire(now);
        c.conns.release(now + resp.hold + rtt);
        drop(clients);
        if let Some(o) = self.observer.get() {
            lock(o).answered(client, &ServedAnswer::of(&resp, now + resp.hold + rtt, billable));
        }
        (resp, rate, self.clock.real(resp.hold + rtt))
    }
}

/// Counts every answer the router sends, whichever route (or none) made it.
async fn counted(State(st): State<Arc<SourceState>>, req: axum::extract::Request, next: Next) -> Response {
    let resp = next.run(req).await;
    lock(&st.stats).count(resp.status());
    resp
}

/// The router of the source server.
pub fn router(state: Arc<SourceState>) -> Router {
    Router::new()
        .route("/events", get(list_events).fallback(only_get))
        .route("/events/{id}", get(get_event).fallback(only_get))
        .route("/stream", get(stream).fallback(only_get))
        .route("/resources/{id}", get(get_resource).fallback(only_get))
        .route("/dead-letters", get(dead_letters).fallback(only_get))
        .route("/openapi.json", get(openapi).fallback(only_get))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), counted))
        .with_state(state)
}

fn client_of(headers: &HeaderMap) -> String {
    headers
        .get(API_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 128)
        .unwrap_or(ANONYMOUS)
        .to_string()
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such route; see GET /openapi.json")
}

async fn only_get() -> Response {
    let mut r = error(StatusCode::METHOD_NOT_ALLOWED, "this route answers GET (and HEAD) only");
    r.headers_mut().insert(axum::http::header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    r
}

async fn openapi() -> Response {
    Json(crate::live::openapi::document()).into_response()
}

/// A whole number of at least 1 (digits only); beyond `u32` it saturates, and the page size
/// caps it anyway.
fn parse_limit(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = text.bytes().fold(0u32, |n, d| n.saturating_mul(10).saturating_add(u32::from(d - b'0')));
    (n >= 1).then_some(n)
}

/// A long poll's `wait`: 1 to 9 digits without a leading zero and a unit of `ms`, `s`, `m` or
/// `h` — exactly the OpenAPI document's pattern `^[1-9][0-9]{0,8}(ms|s|m|h)$`.
pub fn parse_wait(text: &str) -> Option<crate::support::units::Micros> {
    use crate::support::units::{MILLI, SECOND};
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    if digits.is_empty() || digits.len() > 9 || digits.starts_with('0') {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let unit = match unit {
        "ms" => MILLI,
        "s" => SECOND,
        "m" => 60 * SECOND,
        "h" => 3600 * SECOND,
        _ => return None,
    };
    Some(n * unit)
}

/// A malformed request: answered 400 with `message`.
fn bad_request(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, message)
}

async fn list_events(
    State(st): State<Arc<SourceState>>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let Ok(Query(q)) = query else { return bad_request("the query string is malformed") };
    let cursor = match q.get("after").map(|a| body::parse_event_id(a)) {
        None => 0,
        Some(Some(id)) => id.saturating_add(1),
        Some(None) => return bad_request("`after` must be an event id such as evt_0000000123"),
    };
    let limit = match q.get("limit").map(|l| parse_limit(l)) {
        None => st.scenario.api.page_size,
        Some(Some(l)) => l,
        Some(None) => return bad_request("`limit` must be a whole number of at least 1"),
    };
    let req = match q.get("wait").map(|w| parse_wait(w)) {
        None => Request::List { cursor, limit, if_none_match: None },
        Some(Some(wait)) => Request::LongPoll { cursor, limit, wait },
        Some(None) => {
            return bad_request("`wait` must be a duration above zero such as 20s, 500ms, 2m or 1h")
        }
    };
    respond(&st, &headers, req, cursor).await
}

/// Answers `req` for the client the headers name, after the modelled round trip. `cursor` is a
/// list request's cursor (0 otherwise).
async fn respond(st: &SourceState, headers: &HeaderMap, req: Request, cursor: u32) -> Response {
    let cond = IfNoneMatch::from_headers(headers);
    let (resp, rate, rtt) = st.answer(&client_of(headers), req, cond.as_ref());
    crate::live::timer::sleep(rtt).await;
    render(st, &resp, rate, cursor)
}

async fn get_event(
    State(st): State<Arc<SourceState>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let Some(id) = id.ok().and_then(|Path(id)| body::parse_event_id(&id)) else {
        return bad_request("the event id must look like evt_0000000123");
    };
    respond(&st, &headers, Request::Event(id), 0).await
}

async fn get_resource(
    State(st): State<Arc<SourceState>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let Some(id) = id.ok().and_then(|Path(id)| body::parse_resource_id(&id)) else {
        return bad_request("the resource id must look like res_000042");
    };
    if id >= st.log.resources() {
        return error(StatusCode::NOT_FOUND, "no such resource");
    }
    respond(&st, &headers, Request::Resource(id), 0).await
}

async fn stream(State(st): State<Arc<SourceState>>, headers: HeaderMap) -> Response {
    let cursor = match headers.get("last-event-id").map(|v| v.to_str().ok().and_then(body::parse_event_id)) {
        None => 0,
        Some(Some(id)) => id.saturating_add(1),
        Some(None) => return bad_request("`Last-Event-ID` must be an event id such as evt_0000000123"),
    };
    let client = client_of(&headers);
    let (resp, rate, rtt) = st.answer(&client, Request::Stream { cursor }, None);
    crate::live::timer::sleep(rtt).await;
    let Body::Stream { from, until, retry } = resp.body else { return render(&st, &resp, rate, cursor) };
    let mut h = headers_for(&st, &resp, rate);
    header(&mut h, "content-type", "text/event-stream".into());
    header(&mut h, "cache-control", "no-cache".into());
    let rng = Rng::new(st.scenario.seed, &format!("live-sse/{client}/{from}"));
    let first = format!(
        "retry: {}

",
        retry / crate::support::units::MILLI
    );
    // The state: the server, the next event id, the one-way delay stream, the first frame, the client.
    let frames = futures_util::stream::unfold(
        (st, from, rng, Some(first), client),
        move |(st, id, mut rng, first, key)| async move {
            if let Some(f) = first {
                return Some((Ok::<_, std::convert::Infallible>(f), (st, id, rng, None, key)));
            }
            let one_way = st.scenario.api.rtt.sample(&mut rng) / 2;
            match st.log.events().get(id as usize) {
                Some(e) if e.visible_at < until => {
                    st.clock.sleep_until(e.visible_at + one_way).await;
                    let ev = body::event(&st.scenario, &st.log, &st.clock, id);
                    let data = serde_json::to_string(&ev).unwrap_or_default();
                    let frame = format!("id: {}\nevent: {}\ndata: {data}\n\n", body::event_id(id), ev.kind);
                    st.streamed(&key, id, frame.len());
                    Some((Ok(frame), (st, id + 1, rng, None, key)))
                }
                _ => {
                    // No event before the drop: hold the stream open until then, and close it.
                    if until == crate::support::units::Micros::MAX {
                        std::future::pending::<()>().await;
                    }
                    st.clock.sleep_until(until.saturating_add(one_way)).await;
                    None
                }
            }
        },
    );
    (StatusCode::OK, h, axum::body::Body::from_stream(frames)).into_response()
}

async fn dead_letters(State(st): State<Arc<SourceState>>) -> Response {
    let emitters = lock(&st.emitters).clone();
    let mut out = Vec::new();
    for (name, em) in emitters {
        let outbox = lock(&em);
        let em = &outbox.outbox.emitter;
        let ids: Vec<String> = em.dead_letters().map(body::event_id).collect();
        out.push(
            json!({ "subscription": name, "disabled": em.disabled(), "count": ids.len(), "events": ids }),
        );
    }
    Json(json!({ "data": out })).into_response()
}

fn header(h: &mut HeaderMap, name: &'static str, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        h.insert(name, v);
    }
}

/// The real headers of an API answer, with the quota's fields when `rate` is given.
fn headers_for(st: &SourceState, resp: &ApiResponse, rate: Option<RateState>) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Some(etag) = resp.etag {
        header(&mut h, "etag", etag::format(etag));
    }
    if let (Some(rate), Some(q)) = (rate, st.scenario.api.rate_limit) {
        let reset_epoch = st
            .clock
            .wall_at(rate.reset_at)
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs_f64().ceil() as u64);
        for (name, value) in ratelimit::header_fields(&q, &rate, st.clock.now(), reset_epoch) {
            header(&mut h, name, value);
        }
    }
    if let Some(p) = resp.poll_interval {
        header(&mut h, "x-poll-interval", (p / SECOND).max(1).to_string());
    }
    if let Some(r) = resp.retry_after {
        header(&mut h, "retry-after", (r / SECOND).max(1).to_string());
    }
    h
}

/// Turns a model answer into an HTTP answer, with the quota's fields `rate`. `cursor` is the list
/// request's cursor.
fn render(st: &SourceState, resp: &ApiResponse, rate: Option<RateState>, cursor: u32) -> Response {
    let h = headers_for(st, resp, rate);
    let (s, log, clock) = (&st.scenario, &st.log, &st.clock);
    match (resp.status, resp.body) {
        (Status::TooManyRequests, _) => {
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate limit exceeded; retry after the Retry-After header",
            );
            r.headers_mut().extend(h);
            r
        }
        (Status::NotModified, _) => (StatusCode::NOT_MODIFIED, h).into_response(),
        (Status::NotFound, _) => {
            let mut r = error(StatusCode::NOT_FOUND, "no such event (yet)");
            r.headers_mut().extend(h);
            r
        }
        (Status::Ok, Body::Page { first, count, has_more, .. }) => {
            let data: Vec<_> = (first..first + count).map(|id| body::event(s, log, clock, id)).collect();
            let last = if count > 0 { Some(first + count - 1) } else { cursor.checked_sub(1) };
            let page = body::PageOut { data, has_more, next_cursor: last.map(body::event_id) };
            (StatusCode::OK, h, Json(page)).into_response()
        }
        (Status::Ok, Body::Resource { id, latest, version }) => {
            let state = latest.map(|e| s.events.states[log.state_of(e)].clone());
            let snapshot = json!({
                "id": body::resource_id(id),
                "type": s.events.resource_type,
                "version": version,
                "state": state,
                "last_event_id": latest.map(body::event_id),
                "data": { "note": body::pad(s.events.payload_bytes as usize) },
            });
            (StatusCode::OK, h, Json(snapshot)).into_response()
        }
        (Status::Ok, Body::Event(id)) => {
            (StatusCode::OK, h, Json(body::event(s, log, clock, id))).into_response()
        }
        (Status::Ok, Body::Empty | Body::Stream { .. }) => (StatusCode::NO_CONTENT, h).into_response(),
        (Status::Unavailable, _) => error(StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
    }
}
