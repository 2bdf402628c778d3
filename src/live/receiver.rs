//! The verifying receiver: signed deliveries in (any [`Scheme`]), verified deliveries out.
//!
//! Owns the HTTP face of a subscriber: body size limit (413, counted as rejected, in the JSON
//! error shape of every other answer), signature verification under the configured scheme
//! (constant time, timestamp tolerance), duplicates by the scheme's delivery id (the
//! `webhook-id`, `X-GitHub-Delivery`, … or a hash of the body), and the scenario's faults (outage
//! windows answered 503, a 5xx failure rate, slow answers, 410 after `gone_at`). Each endpoint
//! (`POST /hooks/{n}` for compare's rows, or any path for `hookbench receive`) hands verified
//! deliveries to a [`Sink`]; a finite receiver holds each one for its processing
//! ([`crate::live::processing`]). It never decides what a delivery means to a strategy.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use futures_util::StreamExt;
use tokio::sync::mpsc::UnboundedSender;

use crate::engine::processing::{Admission, Finish};
use crate::live::clock::{unix_now, Clock};
use crate::live::json::parse_event_id;
use crate::live::processing::Pool;
use crate::live::{error, lock};
use crate::model::dist::Rng;
use crate::model::receiver::{Answer, Receiver};
use crate::model::signature::{Headers, Scheme, Secret, Verified, VerifyError};

/// The largest delivery body accepted.
pub const MAX_BODY: usize = 1 << 20;

/// How many delivery ids an endpoint remembers before it forgets the old ones.
pub const MAX_REMEMBERED: usize = 1_000_000;

/// A verified delivery attempt and how the receiver answered it.
#[derive(Debug, Clone)]
pub struct ReceivedDelivery {
    /// The hookbench event id from the body, when the body is a hookbench event (any other
    /// validly signed body is accepted too).
    pub event: Option<u32>,
    /// The delivery id (the scheme's id, else a hash of the body).
    pub message: String,
    /// What the signature said: the scheme's timestamp and the provider's attempt number.
    pub verified: Verified,
    /// When the delivery was verified (wall time).
    pub arrived: std::time::SystemTime,
    /// The HTTP status answered.
    pub status: u16,
    /// How the receiver answered (its injected faults); only a processed answer hands the
    /// event to the consumer.
    pub answer: Answer,
    /// Whether this delivery id was processed before (only for processed answers).
    pub duplicate: bool,
    /// The body, for receivers that read it.
    pub body: Bytes,
}

/// Where an endpoint's verified deliveries go.
pub type Sink = UnboundedSender<ReceivedDelivery>;

/// Counts of what the receiver answered.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReceiveStats {
    /// Deliveries verified and accepted (duplicates included).
    pub accepted: u64,
    /// Of which delivery ids already seen.
    pub duplicates: u64,
    /// Deliveries that were a retry: the provider says so (an attempt number over 1, such as
    /// `X-Slack-Retry-Num`), or, under Standard Webhooks, the `webhook-id` came before.
    pub retries: u64,
    /// Rejected: bad or missing signature, expired timestamp, malformed, unreadable or too large
    /// (over [`MAX_BODY`]) body.
    pub rejected: u64,
    /// Answered with an injected fault (outage, 5xx, 410).
    pub faulted: u64,
}

/// One receiving endpoint.
pub struct Endpoint {
    sink: Sink,
    /// Delivery ids seen, with the Unix second they were last accepted. Past
    /// [`MAX_REMEMBERED`] ids, those older than twice the tolerance are forgotten (a replay that
    /// old fails the timestamp check anyway; under a scheme without a timestamp, github or
    /// shopify, such an old redelivery counts as new), so memory stays bounded however long it
    /// runs. The flag says whether a delivery with the id was processed (not only answered with
    /// a fault).
    seen: Mutex<Seen>,
}

/// The delivery ids an endpoint remembers, and when (Unix second) they were last pruned.
#[derive(Default)]
struct Seen {
    ids: HashMap<Box<str>, (u64, bool)>,
    pruned_at: u64,
}

impl Endpoint {
    /// Notes a verified delivery of `id` at `now_s`, `processed` or answered with a fault:
    /// whether the id came before at all, and whether a delivery of it was processed before
    /// (a duplicate, only for a processed one).
    fn note(&self, id: &str, processed: bool, now_s: u64, tolerance_s: u64) -> (bool, bool) {
        let mut seen = lock(&self.seen);
        let Seen { ids, pruned_at } = &mut *seen;
        if ids.len() >= MAX_REMEMBERED && now_s > *pruned_at {
            // Forget ids older than twice the tolerance: a replay that old fails the timestamp
            // check anyway.
            ids.retain(|_, (last, _)| *last + 2 * tolerance_s >= now_s);
            *pruned_at = now_s;
        }
        // One lookup for an id seen before; a new one is copied once, into the map.
        match ids.get_mut(id) {
            Some(entry) => {
                let was_processed = entry.1;
                *entry = (now_s, processed || was_processed);
                (true, processed && was_processed)
            }
            None => {
                ids.insert(id.into(), (now_s, processed));
                (false, false)
            }
        }
    }
}

/// The receiver's shared state.
pub struct ReceiverState {
    scheme: Scheme,
    secret: Secret,
    tolerance_s: u64,
    faults: Receiver,
    clock: Clock,
    rng: Mutex<Rng>,
    endpoints: Vec<Endpoint>,
    stats: Mutex<ReceiveStats>,
    /// Each endpoint's processing, when the receiver's capacity is finite ([`Self::with_pools`]).
    pools: Vec<Option<Arc<Pool>>>,
}

impl ReceiverState {
    /// A Standard Webhooks receiver with one endpoint per sink.
    pub fn new(
        secret: Secret,
        tolerance_s: u64,
        faults: Receiver,
        clock: Clock,
        seed: u64,
        sinks: Vec<Sink>,
    ) -> Arc<Self> {
        Self::with_scheme(Scheme::Standard, secret, tolerance_s, faults, clock, seed, sinks)
    }

    /// A receiver verifying `scheme` with one endpoint per sink.
    pub fn with_scheme(
        scheme: Scheme,
        secret: Secret,
        tolerance_s: u64,
        faults: Receiver,
        clock: Clock,
        seed: u64,
        sinks: Vec<Sink>,
    ) -> Arc<Self> {
        Arc::new(ReceiverState {
            scheme,
            secret,
            tolerance_s,
            faults,
            clock,
            rng: Mutex::new(Rng::new(seed, "live-receiver")),
            endpoints: sinks
                .into_iter()
                .map(|sink| Endpoint { sink, seen: Mutex::new(Seen::default()) })
                .collect(),
            stats: Mutex::new(ReceiveStats::default()),
            pools: Vec::new(),
        })
    }

    /// The receiver `new` made, with endpoint n's deliveries processed by `pools[n]`. Call it
    /// before the state is shared (serving it clones it); on a shared state the pools are
    /// not installed and deliveries are answered at once.
    pub fn with_pools(mut st: Arc<Self>, pools: Vec<Option<Arc<Pool>>>) -> Arc<Self> {
        let installed = Arc::get_mut(&mut st).map(|s| s.pools = pools).is_some();
        debug_assert!(installed, "with_pools is called on the state `new` returned, before it is shared");
        st
    }

    /// What the receiver answered so far.
    pub fn stats(&self) -> ReceiveStats {
        *lock(&self.stats)
    }
}

/// The router: `POST /hooks/{n}` to endpoint n, and any other `POST` to endpoint 0. Every
/// answer, refusals of other methods included, is JSON.
pub fn router(state: Arc<ReceiverState>) -> Router {
    Router::new()
        .route("/hooks/{n}", post(hook_n).fallback(only_post))
        .fallback(post(hook_0).fallback(only_post))
        .with_state(state)
}

async fn only_post() -> Response {
    let mut r = error(StatusCode::METHOD_NOT_ALLOWED, "deliveries are POSTed");
    r.headers_mut().insert(axum::http::header::ALLOW, axum::http::HeaderValue::from_static("POST"));
    r
}

// The whole request is taken (not the `HeaderMap` extractor, which copies the headers).
async fn hook_n(State(st): State<Arc<ReceiverState>>, Path(n): Path<String>, req: Request) -> Response {
    let Ok(n) = n.parse::<usize>() else { return error(StatusCode::NOT_FOUND, "no such endpoint") };
    let (parts, body) = req.into_parts();
    receive(st, n, parts.headers, body).await
}

async fn hook_0(State(st): State<Arc<ReceiverState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    receive(st, 0, parts.headers, body).await
}

/// Reads a delivery body of at most [`MAX_BODY`] bytes; otherwise the error answer to give.
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, (StatusCode, &'static str)> {
    const TOO_LARGE: (StatusCode, &str) = (StatusCode::PAYLOAD_TOO_LARGE, "the body is larger than 1 MiB");
    let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|n| n > DRAIN_LIMIT as u64) {
        return Err(TOO_LARGE); // not worth reading: the connection is cut after the answer
    }
    // A body in one chunk (the usual case) is kept as it came; more are joined.
    let mut first: Option<Bytes> = None;
    let mut joined = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| (StatusCode::BAD_REQUEST, "the body could not be read"))?;
        seen += chunk.len();
        if seen > DRAIN_LIMIT {
            return Err(TOO_LARGE);
        }
        if seen <= MAX_BODY {
            match &first {
                None => first = Some(chunk),
                Some(f) => {
                    if joined.is_empty() {
                        joined.extend_from_slice(f);
                    }
                    joined.extend_from_slice(&chunk);
                }
            }
        }
    }
    // A body a little over the limit is read to its end and dropped, so that the sender, still
    // writing it, reliably reads the 413 instead of a reset connection.
    if seen > MAX_BODY || declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(TOO_LARGE);
    }
    Ok(if joined.is_empty() { first.unwrap_or_default() } else { Bytes::from(joined) })
}

/// Bodies over [`MAX_BODY`] but at most this long are read and dropped before the 413.
const DRAIN_LIMIT: usize = 4 * MAX_BODY;

impl Headers for HeaderMap {
    fn header(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn receive(st: Arc<ReceiverState>, n: usize, headers: HeaderMap, body: Body) -> Response {
    let Some(endpoint) = st.endpoints.get(n) else {
        return error(StatusCode::NOT_FOUND, "no such endpoint");
    };
    let body = match read_body(&headers, body).await {
        Ok(body) => body,
        Err((status, message)) => {
            lock(&st.stats).rejected += 1;
            return error(status, message);
        }
    };
    let verified = match st.scheme.verify(&st.secret, &headers, &body, unix_now(), st.tolerance_s) {
        Ok(v) => v,
        Err(e) => {
            lock(&st.stats).rejected += 1;
            let status = match e {
                VerifyError::MissingHeader(_) | VerifyError::BadHeader(_) | VerifyError::BadTimestamp(_) => {
                    StatusCode::BAD_REQUEST
                }
                _ => StatusCode::UNAUTHORIZED,
            };
            return error(status, &e.to_string());
        }
    };
    let arrived = std::time::SystemTime::now();
    let event =
        serde_json::from_slice::<crate::live::json::IdOnly>(&body).ok().and_then(|b| parse_event_id(&b.id));
    let id = verified.delivery.clone();
    let answer = {
        let mut rng = lock(&st.rng);
        st.faults.answer(st.clock.now(), &mut rng)
    };
    let fault = match answer {
        Answer::Refused => Some((StatusCode::SERVICE_UNAVAILABLE, "receiver down (injected outage)")),
        Answer::Error => Some((StatusCode::INTERNAL_SERVER_ERROR, "injected failure")),
        Answer::Gone => Some((StatusCode::GONE, "subscription gone (injected)")),
        Answer::Accept | Answer::Slow(_) => None,
    };
    // A finite receiver (compare's rows, whose emitter always names the event) holds each
    // delivery for its processing; past its queue limit it answers 503, a failed attempt.
    let pool = match (fault, event) {
        (None, Some(event)) => st.pools.get(n).and_then(Option::as_ref).map(|pool| (pool, event)),
        _ => None,
    };
    let (admission, slot) = match pool {
        Some((pool, event)) => pool.arrive(event, answer).await,
        None => (Admission::Untouched, 0),
    };
    let refused = admission == Admission::Refused;
    let now_s = unix_now();
    let (seen_before, duplicate) = endpoint.note(&id, fault.is_none() && !refused, now_s, st.tolerance_s);
    // A retry: the provider says so (an attempt number over 1), or, under Standard Webhooks, the
    // `webhook-id` came before (answered or not).
    let retry = verified.attempt.is_some_and(|a| a > 1) || (st.scheme == Scheme::Standard && seen_before);
    if retry {
        lock(&st.stats).retries += 1;
    }
    if let Some((status, message)) = fault {
        lock(&st.stats).faulted += 1;
        let _ = endpoint.sink.send(ReceivedDelivery {
            event,
            message: id,
            verified,
            arrived,
            status: status.as_u16(),
            answer,
            duplicate: false,
            body,
        });
        return error(status, message);
    }
    if refused {
        return queue_full(
            endpoint,
            ReceivedDelivery {
                event,
                message: id,
                verified,
                arrived,
                status: 503,
                answer,
                duplicate: false,
                body,
            },
        );
    }
    {
        let mut s = lock(&st.stats);
        s.accepted += 1;
        if duplicate {
            s.duplicates += 1;
        }
    }
    // Hand the work over first, then answer: the consumer holds the event from now on.
    let status = StatusCode::NO_CONTENT.as_u16();
    let _ = endpoint.sink.send(ReceivedDelivery {
        event,
        message: id,
        verified,
        arrived,
        status,
        answer,
        duplicate,
        body,
    });
    // The live engine builds these rows with a real pool: the work is the drawn time to hold.
    if let (Some((pool, event)), Admission::Accepted { on_receipt, finish: Finish::After(work) }) =
        (pool, admission)
    {
        pool.process(event, slot, work, on_receipt).await;
    }
    if let Answer::Slow(d) = answer {
        crate::live::timer::sleep(st.clock.real(d)).await;
    }
    StatusCode::NO_CONTENT.into_response()
}

/// An on-receipt queue full: a real 503, handed to the row as the failed attempt it is (the
/// sim's answer for it), and nothing processed.
fn queue_full(endpoint: &Endpoint, delivery: ReceivedDelivery) -> Response {
    let _ = endpoint.sink.send(ReceivedDelivery { answer: Answer::Error, ..delivery });
    error(StatusCode::SERVICE_UNAVAILABLE, "the processing queue is full")
}
