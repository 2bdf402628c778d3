//! The webhook emitter over HTTP: signed POSTs on the model's schedule.
//!
//! Owns the delivery tasks: one task per event lifecycle sleeps until each attempt is due,
//! POSTs the body with Standard Webhooks headers (`webhook-id` fixed across retries,
//! `webhook-timestamp` in real Unix seconds, `webhook-signature`), applies the per-attempt
//! timeout, maps the answer (2xx success; 410 disable; 429/502/504 throttle with `Retry-After`;
//! anything else or no answer a failure) and asks the sans-IO [`Emitter`] what comes next.

use std::sync::{Arc, Mutex};

use crate::live::clock::{unix_now, Clock};
use crate::live::json;
use crate::live::source::lock;
use crate::metrics::WebhookCounts;
use crate::model::dist::Rng;
use crate::model::emitter::{Emitter, Next, Outcome};
use crate::model::signature::Secret;
use crate::model::source::EventLog;
use crate::scenario::{Payload, Scenario};
use crate::units::{Micros, SECOND};

/// One subscription's delivery state: the model's emitter, its random stream, its counts.
pub struct Outbox {
    /// The sans-IO emitter.
    pub emitter: Emitter,
    /// Its random stream (delays, jitter).
    pub rng: Rng,
    /// Attempts, failures, retries, deliveries, dead letters.
    pub counts: WebhookCounts,
}

impl Outbox {
    /// A fresh outbox for `scenario`'s events.
    pub fn new(scenario: &Scenario, events: usize, stream: &str) -> Arc<Mutex<Outbox>> {
        Arc::new(Mutex::new(Outbox {
            emitter: Emitter::new(&scenario.webhook, events),
            rng: Rng::new(scenario.seed, &format!("live-emitter/{stream}")),
            counts: WebhookCounts::default(),
        }))
    }
}

/// Where and how a subscription delivers.
#[derive(Clone)]
pub struct Target {
    /// The receiver's URL.
    pub url: String,
    /// The signing secret.
    pub secret: Secret,
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
    pub client: reqwest::Client,
    /// Where to deliver.
    pub target: Target,
    /// The delivery state.
    pub outbox: Arc<Mutex<Outbox>>,
    /// No attempt is sent after this virtual time.
    pub end: Micros,
}

/// Walks the event stream in time, starting each event's delivery task when it happens.
pub async fn run(cx: Emitting) {
    for id in 0..cx.log.len() as u32 {
        let at = cx.log.get(id).at;
        cx.clock.sleep_until(at).await;
        let first = {
            let mut ob = lock(&cx.outbox);
            let Outbox { emitter, rng, counts } = &mut *ob;
            let first = emitter.on_event(id, at, rng);
            if first.is_none() {
                counts.dead_lettered += 1;
            }
            first
        };
        if let Some(t) = first {
            tokio::spawn(deliver(cx.clone(), id, t));
        }
    }
}

/// How one HTTP attempt ended.
fn outcome_of(result: Result<reqwest::Response, reqwest::Error>) -> Outcome {
    match result {
        Ok(r) if r.status().is_success() => Outcome::Success,
        Ok(r) if r.status().as_u16() == 410 => Outcome::Gone,
        Ok(r) if matches!(r.status().as_u16(), 429 | 502 | 504) => {
            let after = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|s| s * SECOND);
            Outcome::Throttled(after)
        }
        _ => Outcome::Failure,
    }
}

/// One delivery attempt: signs `body` as message `msg` now and POSTs it to the target.
pub async fn attempt(
    client: &reqwest::Client,
    target: &Target,
    msg: &str,
    body: &[u8],
    timeout: std::time::Duration,
) -> Outcome {
    let ts = unix_now();
    let sig = target.secret.sign(msg, ts, body);
    let result = client
        .post(&target.url)
        .timeout(timeout)
        .header("content-type", "application/json")
        .header("webhook-id", msg)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(body.to_vec())
        .send()
        .await;
    outcome_of(result)
}

async fn deliver(cx: Emitting, id: u32, mut at: Micros) {
    let mut n = 1;
    let body = match cx.target.payload {
        Payload::Fat => serde_json::to_vec(&json::event(&cx.scenario, &cx.log, &cx.clock, id)),
        Payload::Thin => serde_json::to_vec(&json::thin(&cx.scenario, &cx.log, id)),
    }
    .unwrap_or_default();
    let msg = json::message_id(id);
    loop {
        if at > cx.end {
            return; // still pending: in flight at the end
        }
        cx.clock.sleep_until(at).await;
        {
            let mut ob = lock(&cx.outbox);
            if !ob.emitter.due(id) {
                ob.counts.dead_lettered += 1;
                return;
            }
            ob.counts.attempts += 1;
            if n > 1 {
                ob.counts.retried += 1;
            }
        }
        let timeout = cx.clock.real(cx.scenario.webhook.timeout);
        let outcome = attempt(&cx.client, &cx.target, &msg, &body, timeout).await;
        let next = {
            let mut ob = lock(&cx.outbox);
            let Outbox { emitter, rng, counts } = &mut *ob;
            if outcome != Outcome::Success {
                counts.failed += 1;
            }
            let next = emitter.on_outcome(id, n, outcome, cx.clock.now(), rng);
            match next {
                Next::Done if outcome == Outcome::Success => counts.delivered += 1,
                Next::DeadLetter => counts.dead_lettered += 1,
                _ => {}
            }
            next
        };
        match next {
            Next::Retry { attempt: a, at: t } => {
                n = a;
                at = t;
            }
            Next::Done | Next::DeadLetter => return,
        }
    }
}
