//! A consumer row over HTTP: the strategy state machine fed by real answers and deliveries.
//!
//! Owns one actor per row: it runs the same [`Strategy`] the sim engine runs, turning its
//! `Send` actions into reqwest calls to the source server (with the row's `X-Api-Key`) and its
//! `Wake` actions into timers, and parsing each HTTP answer back into a model
//! [`Response`](crate::model::api::Response). Verified webhook deliveries from the receiver
//! arrive on a second channel. At the end it settles every event and checks conservation.
//!
//! A `Stream` request is a `GET /stream` (with `Last-Event-ID`) whose `text/event-stream` body
//! is read chunk by chunk: the connect comes back as an answer, each complete event as a
//! stream event, and the end of the body (the server's drop) as a close with the last `retry:`.

use std::sync::{Arc, Mutex};

use reqwest::header::HeaderMap;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use crate::live::clock::Clock;
use crate::live::emitter::Outbox;
use crate::live::json::{self, IdOnly, PageIn, ResourceIn};
use crate::live::receiver::Delivery;
use crate::live::source::{lock, API_KEY};
use crate::metrics::{Outcome as RunOutcome, Recorder};
use crate::model::api::{Body, Request, Response, Status};
use crate::model::dist::Rng;
use crate::model::source::EventLog;
use crate::model::wire;
use crate::scenario::Scenario;
use crate::strategy::{fate, Action, Cx, Spec};
use crate::units::{Micros, SECOND};

/// What reaches the actor.
enum Input {
    Timer(u64),
    Answer { tag: u64, resp: Response, billable: bool },
    StreamEvent { tag: u64, id: u32, bytes: u64 },
    StreamClosed { tag: u64, retry: Micros },
}

/// Everything one row needs.
pub struct Row {
    /// The row.
    pub spec: Spec,
    /// Its API key (its own quota).
    pub key: String,
    /// Base URL of the source server.
    pub base: String,
    /// Its subscription's outbox, if it takes webhooks.
    pub outbox: Option<Arc<Mutex<Outbox>>>,
    /// Verified deliveries for this row.
    pub deliveries: UnboundedReceiver<Delivery>,
}

/// What a row produced.
pub struct RowDone {
    /// The settled counts.
    pub outcome: RunOutcome,
    /// The interval actually polled at.
    pub effective: Option<Micros>,
}

fn path_of(req: &Request) -> String {
    match *req {
        Request::List { cursor, limit, .. } => match cursor.checked_sub(1) {
            Some(after) => format!("/events?after={}&limit={limit}", json::event_id(after)),
            None => format!("/events?limit={limit}"),
        },
        Request::LongPoll { cursor, limit, wait } => {
            let wait = crate::units::format_duration(wait);
            match cursor.checked_sub(1) {
                Some(after) => format!("/events?after={}&limit={limit}&wait={wait}", json::event_id(after)),
                None => format!("/events?limit={limit}&wait={wait}"),
            }
        }
        Request::Stream { .. } => "/stream".to_string(),
        Request::Resource(r) => format!("/resources/{}", json::resource_id(r)),
        Request::Event(id) => format!("/events/{}", json::event_id(id)),
    }
}

fn secs_header(h: &HeaderMap, name: &str) -> Option<Micros> {
    h.get(name)?.to_str().ok()?.trim().parse::<u64>().ok().map(|s| s * SECOND)
}

fn unavailable(bytes_up: u64, bytes_down: u64) -> Response {
    Response {
        status: Status::Unavailable,
        body: Body::Empty,
        etag: None,
        retry_after: None,
        poll_interval: None,
        rate: None,
        bytes_up,
        bytes_down,
        hold: 0,
    }
}

/// Performs one request and parses the answer into the model's terms.
pub async fn fetch(client: &reqwest::Client, base: &str, key: &str, req: Request) -> Response {
    let path = path_of(&req);
    let mut rb =
        client.get(format!("{base}{path}")).header(API_KEY, key).header("accept", "application/json");
    let mut bytes_up = (path.len() + key.len()) as u64 + 90;
    if let Request::List { if_none_match: Some(etag), .. } = req {
        rb = rb.header("if-none-match", format!("\"{etag:016x}\""));
        bytes_up += wire::IF_NONE_MATCH;
    }
    let Ok(r) = rb.send().await else { return unavailable(bytes_up, 0) };
    let code = r.status().as_u16();
    let h = r.headers().clone();
    let header_bytes: usize = h.iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    let Ok(body) = r.bytes().await else { return unavailable(bytes_up, header_bytes as u64) };
    let bytes_down = (header_bytes + body.len() + 17) as u64;
    let etag = h
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| u64::from_str_radix(v.trim_start_matches("W/").trim_matches('"'), 16).ok());
    let mut resp = Response {
        status: Status::Ok,
        body: Body::Empty,
        etag,
        retry_after: secs_header(&h, "retry-after"),
        poll_interval: secs_header(&h, "x-poll-interval"),
        rate: None,
        bytes_up,
        bytes_down,
        hold: 0,
    };
    resp.status = match code {
        200 => Status::Ok,
        304 => Status::NotModified,
        404 => Status::NotFound,
        429 => Status::TooManyRequests,
        _ => Status::Unavailable,
    };
    if resp.status != Status::Ok {
        return resp;
    }
    let parsed = match req {
        Request::Stream { .. } => None,
        Request::List { cursor, .. } | Request::LongPoll { cursor, .. } => {
            serde_json::from_slice::<PageIn>(&body).ok().and_then(|p| {
                let ids: Option<Vec<u32>> = p.data.iter().map(|e| json::parse_event_id(&e.id)).collect();
                let ids = ids?;
                let first = ids.first().copied().unwrap_or(cursor);
                let count = ids.len() as u32;
                // The server returns a contiguous run of the log.
                if ids.iter().enumerate().any(|(i, &id)| id != first + i as u32) {
                    return None;
                }
                Some(Body::Page { first, count, has_more: p.has_more, next: first + count })
            })
        }
        Request::Resource(_) => serde_json::from_slice::<ResourceIn>(&body).ok().and_then(|r| {
            let id = json::parse_resource_id(&r.id)?;
            let latest = match r.last_event_id {
                Some(e) => Some(json::parse_event_id(&e)?),
                None => None,
            };
            Some(Body::Resource { id, latest, version: r.version })
        }),
        Request::Event(_) => serde_json::from_slice::<IdOnly>(&body)
            .ok()
            .and_then(|e| json::parse_event_id(&e.id))
            .map(Body::Event),
    };
    match parsed {
        Some(b) => {
            resp.body = b;
            resp
        }
        None => unavailable(bytes_up, bytes_down),
    }
}

/// One server-sent events message: its `id:` and `retry:` fields, if any.
#[derive(Default)]
struct SseMessage {
    id: Option<u32>,
    retry: Option<Micros>,
    bytes: u64,
}

/// Feeds `line` (without its end of line) to `msg`; true at the blank line that ends it.
fn sse_line(msg: &mut SseMessage, line: &str) -> bool {
    msg.bytes += line.len() as u64 + 1;
    if line.is_empty() {
        return true;
    }
    let (field, value) = line.split_once(':').unwrap_or((line, ""));
    let value = value.strip_prefix(' ').unwrap_or(value);
    match field {
        "id" => msg.id = json::parse_event_id(value),
        "retry" => msg.retry = value.trim().parse::<u64>().ok().map(|ms| ms * crate::units::MILLI),
        _ => {}
    }
    false
}

/// What a stream request asked for.
struct Opened {
    cursor: u32,
    tag: u64,
    billable: bool,
}

/// Opens an event stream after `cursor` and forwards its connect answer, events and close.
async fn stream(
    client: reqwest::Client,
    base: String,
    key: String,
    open: Opened,
    tx: UnboundedSender<Input>,
) {
    let Opened { cursor, tag, billable } = open;
    let mut rb =
        client.get(format!("{base}/stream")).header(API_KEY, &key).header("accept", "text/event-stream");
    let mut bytes_up = (key.len() + 100) as u64;
    if let Some(last) = cursor.checked_sub(1) {
        rb = rb.header("last-event-id", json::event_id(last));
        bytes_up += 30;
    }
    let Ok(mut r) = rb.send().await else {
        let _ = tx.send(Input::Answer { tag, resp: unavailable(bytes_up, 0), billable });
        return;
    };
    let h = r.headers().clone();
    let header_bytes = h.iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum::<usize>() as u64 + 17;
    let mut resp = unavailable(bytes_up, header_bytes);
    resp.retry_after = secs_header(&h, "retry-after");
    resp.status = match r.status().as_u16() {
        200 => Status::Ok,
        429 => Status::TooManyRequests,
        _ => Status::Unavailable,
    };
    let ok = resp.status == Status::Ok;
    if ok {
        resp.body = Body::Stream { from: cursor, until: Micros::MAX, retry: 0 };
    }
    let _ = tx.send(Input::Answer { tag, resp, billable });
    if !ok {
        return;
    }
    let (mut buf, mut msg, mut retry) = (Vec::<u8>::new(), SseMessage::default(), 0);
    while let Ok(Some(chunk)) = r.chunk().await {
        buf.extend_from_slice(&chunk);
        while let Some(nl) = buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buf.drain(..=nl).collect();
            let line = String::from_utf8_lossy(&line[..nl]);
            if sse_line(&mut msg, line.trim_end_matches('\r')) {
                let done = std::mem::take(&mut msg);
                retry = done.retry.unwrap_or(retry);
                if let Some(id) = done.id {
                    let _ = tx.send(Input::StreamEvent { tag, id, bytes: done.bytes });
                }
            }
        }
    }
    let _ = tx.send(Input::StreamClosed { tag, retry });
}

/// Runs one row until virtual time `end`, then settles it.
pub async fn run(
    scenario: Arc<Scenario>,
    log: Arc<EventLog>,
    clock: Clock,
    client: reqwest::Client,
    end: Micros,
    mut row: Row,
) -> Result<RowDone, String> {
    let mut strategy = row.spec.build(&scenario);
    let label = row.spec.label();
    let mut rec = Recorder::new(&log, scenario.duration);
    let mut rng = Rng::new(scenario.seed, &format!("live-strategy/{label}"));
    let (tx, mut rx) = unbounded_channel::<Input>();
    let mut actions = Vec::new();
    let deadline = tokio::time::Instant::from_std(clock.instant_at(end));

    let step = |strategy: &mut Box<dyn crate::strategy::Strategy>,
                rec: &mut Recorder<'_>,
                rng: &mut Rng,
                actions: &mut Vec<Action>,
                f: &mut dyn FnMut(&mut dyn crate::strategy::Strategy, &mut Cx<'_, '_>)| {
        let mut cx = Cx { now: clock.now(), window_end: scenario.duration, rng, actions, rec };
        f(strategy.as_mut(), &mut cx);
    };
    let dispatch = |actions: &mut Vec<Action>, tx: &UnboundedSender<Input>| {
        for a in actions.drain(..) {
            match a {
                Action::Send { tag, req: Request::Stream { cursor }, billable } => {
                    let (client, base, key, tx) =
                        (client.clone(), row.base.clone(), row.key.clone(), tx.clone());
                    tokio::spawn(stream(client, base, key, Opened { cursor, tag, billable }, tx));
                }
                Action::Send { tag, req, billable } => {
                    let (client, base, key, tx) =
                        (client.clone(), row.base.clone(), row.key.clone(), tx.clone());
                    tokio::spawn(async move {
                        let resp = fetch(&client, &base, &key, req).await;
                        let _ = tx.send(Input::Answer { tag, resp, billable });
                    });
                }
                Action::Wake { at, token } => {
                    if at <= end {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            clock.sleep_until(at).await;
                            let _ = tx.send(Input::Timer(token));
                        });
                    }
                }
            }
        }
    };

    step(&mut strategy, &mut rec, &mut rng, &mut actions, &mut |s, cx| s.start(cx));
    dispatch(&mut actions, &tx);
    loop {
        tokio::select! {
            biased;
            _ = tokio::time::sleep_until(deadline) => break,
            Some(input) = rx.recv() => match input {
                Input::Timer(token) => {
                    step(&mut strategy, &mut rec, &mut rng, &mut actions, &mut |s, cx| s.on_timer(cx, token));
                }
                Input::Answer { tag, resp, billable } => {
                    let before = rec.detected();
                    step(&mut strategy, &mut rec, &mut rng, &mut actions, &mut |s, cx| s.on_response(cx, tag, &resp));
                    if billable {
                        rec.account(&resp, before);
                    }
                }
                Input::StreamEvent { tag, id, bytes } => {
                    if clock.now() < scenario.duration {
                        rec.bytes_received += bytes;
                    }
                    step(&mut strategy, &mut rec, &mut rng, &mut actions, &mut |s, cx| s.on_stream_event(cx, tag, id));
                }
                Input::StreamClosed { tag, retry } => {
                    step(&mut strategy, &mut rec, &mut rng, &mut actions, &mut |s, cx| s.on_stream_closed(cx, tag, retry));
                }
            },
            Some(d) = row.deliveries.recv() => {
                rec.bytes_received += d.bytes;
                rec.bytes_sent += wire::WEBHOOK_RESPONSE;
                step(&mut strategy, &mut rec, &mut rng, &mut actions, &mut |s, cx| s.on_webhook(cx, d.event));
            }
        }
        dispatch(&mut actions, &tx);
    }

    if let Some(outbox) = &row.outbox {
        rec.webhooks = lock(outbox).counts;
    }
    let outbox = row.outbox.clone();
    let effective = strategy.effective_interval();
    // One lock for the whole settlement, not one per event.
    let settled = outbox.as_ref().map(|o| lock(o));
    let emitter = settled.as_ref().map(|o| &o.emitter);
    let outcome = rec.finish(|id| fate(strategy.as_ref(), emitter, &log, end, id));
    outcome.map(|outcome| RowDone { outcome, effective }).map_err(|e| format!("{label}: {e}"))
}
