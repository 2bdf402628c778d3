//! The JSON bodies of the live API and webhooks, built from the event log.
//!
//! Owns the body shapes: an event (`id`, `type`, `resource_id`, `version`, `state`,
//! `occurred_at`, `occurred_at_us`, and a `data` object padded to the scenario's payload size),
//! a page, a resource snapshot, a thin webhook; and the ids (`evt_0000000123`, `res_000042`,
//! `msg_0000000123`) with their parsers.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::live::clock::Clock;
use crate::model::source::EventLog;
use crate::scenario::Scenario;

/// `evt_0000000123`.
pub fn event_id(id: u32) -> String {
    format!("evt_{id:010}")
}

/// Parses `evt_0000000123` (or a bare number) into an event id.
pub fn parse_event_id(text: &str) -> Option<u32> {
    text.strip_prefix("evt_").unwrap_or(text).parse().ok()
}

/// `res_000042`.
pub fn resource_id(id: u32) -> String {
    format!("res_{id:06}")
}

/// Parses `res_000042` (or a bare number).
pub fn parse_resource_id(text: &str) -> Option<u32> {
    text.strip_prefix("res_").unwrap_or(text).parse().ok()
}

/// The webhook message id of an event: the same across retries, for idempotency.
pub fn message_id(id: u32) -> String {
    format!("msg_{id:010}")
}

/// The `type` of an event: `payment.paid`.
pub fn event_type(s: &Scenario, log: &EventLog, id: u32) -> String {
    format!("{}.{}", s.events.resource_type, s.events.states[log.state_of(id)])
}

/// Filler of `n` bytes for payloads, without allocating for the common sizes.
pub fn pad(n: usize) -> Cow<'static, str> {
    static PAD: OnceLock<String> = OnceLock::new();
    let pad = PAD.get_or_init(|| "x".repeat(1 << 16));
    match pad.get(..n) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned("x".repeat(n)),
    }
}

/// An event's `data`: a payload of the scenario's size.
#[derive(Debug, Serialize)]
pub struct Data {
    /// Filler.
    pub note: Cow<'static, str>,
}

/// A full event, as the API and fat webhooks carry it.
#[derive(Debug, Serialize)]
pub struct Event<'a> {
    /// `evt_…`.
    pub id: String,
    /// `payment.paid`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `res_…`.
    pub resource_id: String,
    /// The resource's version after it.
    pub version: u32,
    /// The state it moved to.
    pub state: &'a str,
    /// When it happened (RFC 3339, wall clock).
    pub occurred_at: String,
    /// When it happened in scenario time, µs.
    pub occurred_at_us: u64,
    /// The payload.
    pub data: Data,
}

/// A full event.
pub fn event<'a>(s: &'a Scenario, log: &EventLog, clock: &Clock, id: u32) -> Event<'a> {
    let e = log.get(id);
    Event {
        id: event_id(id),
        kind: event_type(s, log, id),
        resource_id: resource_id(e.resource),
        version: e.version,
        state: &s.events.states[log.state_of(id)],
        occurred_at: humantime::format_rfc3339_millis(clock.wall_at(e.at)).to_string(),
        occurred_at_us: e.at,
        data: Data { note: pad(s.events.payload_bytes as usize) },
    }
}

/// A page as the API sends it.
#[derive(Debug, Serialize)]
pub struct PageOut<'a> {
    /// The events.
    pub data: Vec<Event<'a>>,
    /// More after this page.
    pub has_more: bool,
    /// The last event's id (the cursor to ask with next).
    pub next_cursor: Option<String>,
}

/// A thin webhook body: id and type only.
pub fn thin(s: &Scenario, log: &EventLog, id: u32) -> serde_json::Value {
    json!({ "id": event_id(id), "type": event_type(s, log, id), "resource_id": resource_id(log.get(id).resource) })
}

/// A page as a client reads it.
#[derive(Debug, Deserialize, Serialize)]
pub struct PageIn {
    /// The events (only their ids are needed by the consumers).
    pub data: Vec<IdOnly>,
    /// More after this page.
    pub has_more: bool,
    /// Cursor for the next request.
    pub next_cursor: Option<String>,
}

/// Any object with an `id`.
#[derive(Debug, Deserialize, Serialize)]
pub struct IdOnly {
    /// The id.
    pub id: String,
}

/// A resource snapshot as a client reads it.
#[derive(Debug, Deserialize, Serialize)]
pub struct ResourceIn {
    /// `res_…`.
    pub id: String,
    /// Number of transitions so far.
    pub version: u32,
    /// The event that set the current state, if any.
    pub last_event_id: Option<String>,
}
