//! The webhook emitter over HTTP: signed POSTs on the model's schedule.
//!
//! Owns the delivery tasks: one task per event lifecycle sleeps until each attempt is due,
//! POSTs the body signed under the target's [`Scheme`] (Standard Webhooks by default: `webhook-id`
//! fixed across retries, `webhook-timestamp` in real Unix seconds, `webhook-signature`), applies the per-attempt
//! timeout, maps the answer (2xx success; 410 disable; 429/502/504 throttle with `Retry-After`;
//! anything else — a 3xx included, as redirects are never followed — or no answer a failure, a
//! failed TLS handshake among them, of its own kind) and asks the row core's [`Outbox`] what comes next; the
//! outbox keeps the counts.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use axum::http::Method;

use crate::engine::observer::{AttemptResult, Observer};
use crate::engine::row::Outbox;
use crate::live::clock::{unix_now, Clock, Lag};
use crate::live::json;
use crate::live::lock;
use crate::live::transport::{Answer, Exchange, Failed, HttpClient, Transport};
use crate::model::dist::Rng;
use crate::model::emitter::AttemptOutcome;
use crate::model::signature::{Message, Scheme, Secret};
use crate::model::source::EventLog;
use crate::scenario::{Payload, Scenario};
use crate::support::units::Micros;

/// One subscription's delivery state: the row core's [`Outbox`] (emitter and counts), the
/// random stream of its delays and jitter, and how late its tasks woke up.
pub struct LiveOutbox {
    /// The emitter and its counts.
    pub outbox: Outbox,
    /// Its random stream.
    pub rng: Rng,
    /// Lateness of every wake-up of its tasks (each event's arrival, each attempt), recorded
    /// under the lock they take anyway.
    pub lag: Lag,
    /// The provider's pipeline caps (`max_in_flight`, `throughput`) as real waits.
    pub pacer: Arc<Pacer>,
    /// Told of every attempt's result (`serve --report`); it keeps the books.
    pub observer: Option<Arc<Mutex<Observer>>>,
}

/// The provider's delivery pipeline over real time: at most `max_in_flight` attempts out at once
/// (a fair semaphore: first come, first served) and sends spaced `1 / throughput` apart (each
/// attempt reserves the next free send slot). The sim runs the same caps through
/// [`crate::model::capacity::Pipeline`].
pub struct Pacer {
    slots: Option<Arc<tokio::sync::Semaphore>>,
    gap: Option<Micros>,
    next_send: Mutex<Micros>,
}

impl Pacer {
    /// The caps of `scenario`'s webhook section.
    pub fn new(scenario: &Scenario) -> Self {
        let wh = &scenario.webhook;
        Pacer {
            slots: wh.max_in_flight.map(|m| Arc::new(tokio::sync::Semaphore::new(m as usize))),
            gap: wh.throughput.map(crate::model::capacity::send_gap),
            next_send: Mutex::new(0),
        }
    }

    /// Waits until an attempt may go out now; the permit it returns is held until the attempt
    /// has its answer.
    async fn admit(&self, clock: &Clock) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let permit = match &self.slots {
            Some(s) => s.clone().acquire_owned().await.ok(),
            None => None,
        };
        if let Some(gap) = self.gap {
            let slot = {
                let mut next = lock(&self.next_send);
                let slot = (*next).max(clock.now());
                *next = slot + gap;
                slot
            };
            clock.sleep_until(slot).await;
        }
        permit
    }
}

impl LiveOutbox {
    /// A fresh outbox for `scenario`'s events.
    pub fn new(scenario: &Scenario, events: usize, stream: &str) -> Arc<Mutex<LiveOutbox>> {
        Arc::new(Mutex::new(LiveOutbox {
            outbox: Outbox::new(scenario, events, &format!("live-emitter/{stream}")),
            rng: Rng::new(scenario.seed, &format!("live-emitter/{stream}")),
            lag: Lag::default(),
            pacer: Arc::new(Pacer::new(scenario)),
            observer: None,
        }))
    }
}

/// Where and how a subscription delivers.
#[derive(Clone)]
pub struct Destination {
    /// The receiver's URL.
    pub url: String,
    /// The signing secret.
    pub secret: Secret,
    /// How deliveries are signed.
    pub scheme: Scheme,
    /// Fat or thin bodies.
    pub payload: Payload,
}

/// Shared context of one subscription's tasks.
#[derive(Clone)]
pub struct Emitting {
    /// The scenario.
    pub scenario: Arc<Scenario>,
    /// The event stream.
    pub log: Arc<EventLog>,
    /// Virtual time.
    pub clock: Clock,
    /// The HTTP client.
    pub client: HttpClient,
    /// Where to deliver.
    pub target: Destination,
    /// The delivery state.
    pub outbox: Arc<Mutex<LiveOutbox>>,
    /// No attempt is sent after this virtual time.
    pub end: Micros,
}

/// Walks the event stream in time, starting each event's delivery task when it happens.
pub async fn run(cx: Emitting) {
    // Shared by the delivery tasks: starting one costs a count, not copies of the target's URL
    // and keyed secret (the task starts on the push latency's path).
    let cx = Arc::new(cx);
    for id in 0..cx.log.len() as u32 {
        let at = cx.log.get(id).at;
        if cx.log.unwanted_id(id) {
            // Only the subscribed types are sent.
            cx.clock.sleep_until(at).await;
            lock(&cx.outbox).outbox.emitter.on_unsubscribed(id);
            continue;
        }
        // The delivery's body and message id depend on the event alone: they are made while
        // waiting for it, not on the push latency's path.
        let made = (body(&cx, id), json::message_id(id));
        cx.clock.sleep_until(at).await;
        let first = {
            let mut ob = lock(&cx.outbox);
            let LiveOutbox { outbox, rng, lag, .. } = &mut *ob;
            lag.record(at, cx.clock.now());
            outbox.on_event(id, at, rng)
        };
        if let Some(t) = first {
            tokio::spawn(deliver(cx.clone(), id, t, made));
        }
    }
}

/// How one HTTP attempt ended, by kind (for the observer's books).
fn result_of(result: &Result<Answer, Failed>) -> AttemptResult {
    match result {
        Ok(a) if (200..300).contains(&a.status) => AttemptResult::Acked,
        Ok(a) if a.status == 410 => AttemptResult::Gone,
        Ok(a) if (500..600).contains(&a.status) => AttemptResult::ServerError,
        Ok(_) => AttemptResult::ClientError,
        Err(Failed::Timeout) => AttemptResult::Timeout,
        Err(Failed::Tls) => AttemptResult::Tls,
        Err(Failed::Refused) => AttemptResult::Refused,
    }
}

/// How one HTTP attempt ended.
fn outcome_of(result: &Result<Answer, Failed>) -> AttemptOutcome {
    match result {
        Ok(a) if (200..300).contains(&a.status) => AttemptOutcome::Success,
        Ok(a) if a.status == 410 => AttemptOutcome::Gone,
        Ok(a) if matches!(a.status, 429 | 502 | 504) => {
            AttemptOutcome::Throttled(crate::live::client::secs_header(&a.headers, "retry-after"))
        }
        _ => AttemptOutcome::Failure,
    }
}

/// Attempt `n` of a delivery: signs `body` as message `msg` now and POSTs it to the target.
pub async fn attempt<C: Transport>(
    client: &C,
    target: &Destination,
    msg: &str,
    n: u32,
    body: &[u8],
    timeout: std::time::Duration,
) -> AttemptOutcome {
    attempt_classified(client, target, msg, n, body, timeout).await.0
}

/// [`attempt`], also saying how it ended by kind (for `serve --report`'s books).
pub async fn attempt_classified<C: Transport>(
    client: &C,
    target: &Destination,
    msg: &str,
    n: u32,
    body: &[u8],
    timeout: std::time::Duration,
) -> (AttemptOutcome, AttemptResult) {
    let signed = Message { id: msg, timestamp: unix_now(), attempt: n, body };
    let mut headers = HeaderMap::with_capacity(4);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for (name, value) in target.scheme.sign(&target.secret, &signed) {
        // A lower-case name is taken as it is; another is lower-cased into a copy.
        let name = match name.bytes().any(|b| b.is_ascii_uppercase()) {
            true => HeaderName::try_from(name),
            false => Ok(HeaderName::from_static(name)),
        };
        if let (Ok(name), Ok(value)) = (name, HeaderValue::try_from(value)) {
            headers.append(name, value);
        }
    }
    let ex = Exchange {
        method: Method::POST,
        url: &target.url,
        headers,
        body: Some(Bytes::copy_from_slice(body)),
        timeout: Some(timeout),
        keep_body: false,
    };
    let result = client.exchange(ex).await;
    (outcome_of(&result), result_of(&result))
}

/// Event `id`'s delivery body, fat or thin as the target takes it.
fn body(cx: &Emitting, id: u32) -> Vec<u8> {
    match cx.target.payload {
        Payload::Fat => serde_json::to_vec(&json::event(&cx.scenario, &cx.log, &cx.clock, id)),
        Payload::Thin => serde_json::to_vec(&json::thin(&cx.scenario, &cx.log, id)),
    }
    .unwrap_or_default()
}

/// Event `id`'s delivery, its first attempt due at `at`: `made` is its body and message id.
async fn deliver(cx: Arc<Emitting>, id: u32, mut at: Micros, made: (Vec<u8>, String)) {
    let mut n = 1;
    let (body, msg) = made;
    loop {
        if at > cx.end {
            return; // still pending: in flight at the end
        }
        cx.clock.sleep_until(at).await;
        {
            let mut ob = lock(&cx.outbox);
            ob.lag.record(at, cx.clock.now());
        }
        // The provider's own pipeline down: the attempt waits for it, the schedule does not move.
        let ready = crate::model::faults::provider_ready(&cx.scenario.webhook.outages, cx.clock.now());
        if ready > cx.clock.now() {
            cx.clock.sleep_until(ready).await;
        }
        let pacer = lock(&cx.outbox).pacer.clone();
        let _slot = pacer.admit(&cx.clock).await;
        {
            let mut ob = lock(&cx.outbox);
            if !ob.outbox.begin(id, n, cx.clock.now()) {
                return;
            }
        }
        let sent = cx.clock.now();
        // A modelled new connection: its handshake is a delay before the POST, out of the
        // attempt's timeout, as in the sim (the real one, if any, runs on loopback after it).
        let handshake = lock(&cx.outbox).outbox.connections.acquire(sent);
        let left = cx.scenario.webhook.timeout.saturating_sub(handshake);
        let (outcome, kind) = if left == 0 {
            cx.clock.sleep_until(sent + cx.scenario.webhook.timeout).await;
            (AttemptOutcome::Failure, AttemptResult::Timeout)
        } else {
            if handshake > 0 {
                cx.clock.sleep_until(sent + handshake).await;
            }
            attempt_classified(&cx.client, &cx.target, &msg, n, &body, cx.clock.real(left)).await
        };
        let next = {
            let mut ob = lock(&cx.outbox);
            match kind {
                AttemptResult::Timeout | AttemptResult::Refused | AttemptResult::Tls => {
                    ob.outbox.connections.close()
                }
                _ => ob.outbox.connections.release(cx.clock.now()),
            }
            if let Some(o) = &ob.observer {
                lock(o).attempt(id, sent, cx.clock.now(), kind);
            }
            let LiveOutbox { outbox, rng, .. } = &mut *ob;
            outbox.end(id, n, outcome, cx.clock.now(), rng)
        };
        match next {
            Some((a, t)) => {
                n = a;
                at = t;
            }
            None => return,
        }
    }
}
