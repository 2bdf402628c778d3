//! The JSON bodies of the live API and webhooks, built from the event log.
//!
//! Owns the body shapes: an event (`id`, `type`, `resource_id`, `version`, `state`,
//! `occurred_at`, `occurred_at_us`, and a `data` object padded to the scenario's payload size),
//! a page, a resource snapshot, a thin webhook; and the ids (`evt_0000000123`, `res_000042`,
//! `msg_0000000123`) with their parsers.
//!
//! A page as a consumer reads it is [`PageIds`] through serde, or, for the plain pages the API
//! sends, read straight from the bytes by [`scan`], which answers only where serde would answer
//! the same.

pub mod scan;

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

/// The number after `prefix` in `text`: 1 to 10 ASCII digits and nothing else (the OpenAPI
/// document's `^evt_[0-9]{1,10}$`). Ten digits beyond `u32` saturate at `u32::MAX`, which no
/// log reaches: it stands for "past every one".
fn parse_id(text: &str, prefix: &str) -> Option<u32> {
    let digits = text.strip_prefix(prefix)?;
    if !(1..=10).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.bytes().fold(0u32, |n, d| n.saturating_mul(10).saturating_add(u32::from(d - b'0'))))
}

/// Parses `evt_0000000123` into an event id (the prefix is required).
pub fn parse_event_id(text: &str) -> Option<u32> {
    parse_id(text, "evt_")
}

/// `res_000042`.
pub fn resource_id(id: u32) -> String {
    format!("res_{id:06}")
}

/// Parses `res_000042` (the prefix is required).
pub fn parse_resource_id(text: &str) -> Option<u32> {
    parse_id(text, "res_")
}

/// The webhook message id of an event: the same across retries, for idempotency.
pub fn message_id(id: u32) -> String {
    format!("msg_{id:010}")
}

/// The `type` of an event: the scenario's `[events] types` name, or, without types,
/// `payment.paid` (the resource's type and the state it moved to).
pub fn event_type(s: &Scenario, log: &EventLog, id: u32) -> String {
    match s.events.types.names.get(usize::from(log.get(id).kind)) {
        Some(name) => name.clone(),
        None => format!("{}.{}", s.events.resource_type, s.events.states[log.state_of(id)]),
    }
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
pub struct EventJson<'a> {
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
pub fn event<'a>(s: &'a Scenario, log: &EventLog, clock: &Clock, id: u32) -> EventJson<'a> {
    let e = log.get(id);
    EventJson {
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
    pub data: Vec<EventJson<'a>>,
    /// More after this page.
    pub has_more: bool,
    /// The last event's id (the cursor to ask with next).
    pub next_cursor: Option<String>,
}

/// A thin webhook body: id and type only.
pub fn thin(s: &Scenario, log: &EventLog, id: u32) -> serde_json::Value {
    json!({ "id": event_id(id), "type": event_type(s, log, id), "resource_id": resource_id(log.get(id).resource) })
}

/// A page as a client reads it: only what the consumers need — the run of event ids (checked
/// as they are read, nothing of an event kept but its id's number) and `has_more`.
#[derive(Debug, Deserialize)]
pub struct PageIds<'a> {
    /// The events' ids.
    pub data: IdRun,
    /// More after this page.
    pub has_more: bool,
    /// Cursor for the next request (read, not kept).
    #[serde(borrow)]
    pub next_cursor: Option<Cow<'a, str>>,
}

/// The ids of a page's events: a contiguous run of the log (the server returns nothing else; a
/// page that is not one does not deserialize).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IdRun {
    /// The first event's id (`None`: an empty page).
    pub first: Option<u32>,
    /// How many.
    pub count: u32,
}

impl IdRun {
    /// Adds the next event's `id` to the run: false, leaving the run as it was, when it does not
    /// follow the run's last id.
    pub fn push(&mut self, id: u32) -> bool {
        let first = *self.first.get_or_insert(id);
        if first.checked_add(self.count) != Some(id) {
            return false;
        }
        self.count += 1;
        true
    }
}

impl<'de> Deserialize<'de> for IdRun {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = IdRun;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of events with contiguous ids")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<IdRun, A::Error> {
                let mut run = IdRun::default();
                while let Some(EventIdOf(id)) = seq.next_element()? {
                    if !run.push(id) {
                        return Err(serde::de::Error::custom("the ids are not a contiguous run"));
                    }
                }
                Ok(run)
            }
        }
        d.deserialize_seq(Visit)
    }
}

/// The number of an event object's `id` (`evt_…`): its keys are compared as raw bytes and every
/// other member is skipped unread.
struct EventIdOf(u32);

impl<'de> Deserialize<'de> for EventIdOf {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, IgnoredAny};
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = EventIdOf;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an event with an `id`")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<EventIdOf, A::Error> {
                let mut id = None;
                while let Some(Raw(key)) = map.next_key()? {
                    if key.as_ref() != b"id" {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                    let Raw(text) = map.next_value()?;
                    let parsed = std::str::from_utf8(&text).ok().and_then(parse_event_id);
                    match (id, parsed) {
                        (Some(_), _) => return Err(A::Error::duplicate_field("id")),
                        (None, None) => return Err(A::Error::custom("not an event id")),
                        (None, parsed) => id = parsed,
                    }
                }
                id.map(EventIdOf).ok_or_else(|| A::Error::missing_field("id"))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// A JSON string's bytes, borrowed from the text when it has no escapes.
struct Raw<'a>(Cow<'a, [u8]>);

impl<'de> Deserialize<'de> for Raw<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Raw<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Raw<'de>, E> {
                Ok(Raw(Cow::Borrowed(v)))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Raw<'de>, E> {
                Ok(Raw(Cow::Owned(v.to_vec())))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Raw<'de>, E> {
                Ok(Raw(Cow::Borrowed(v.as_bytes())))
            }
            fn visit_str<E>(self, v: &str) -> Result<Raw<'de>, E> {
                Ok(Raw(Cow::Owned(v.as_bytes().to_vec())))
            }
        }
        d.deserialize_bytes(Visit)
    }
}

/// Any object with an `id` (borrowed from the text when it has no escapes).
#[derive(Debug, Deserialize, Serialize)]
pub struct IdOnly<'a> {
    /// The id.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_need_their_prefix_and_one_to_ten_digits() {
        assert_eq!(parse_event_id(&event_id(123)), Some(123));
        assert_eq!(parse_resource_id(&resource_id(42)), Some(42));
        assert_eq!(parse_event_id("evt_9999999999"), Some(u32::MAX), "past every event");
        for bad in ["0", "123", "evt_", "evt_-1", "evt_+1", "evt_1 ", "evt_00000000000", "res_1", "evt_１"] {
            assert_eq!(parse_event_id(bad), None, "{bad}");
        }
        assert_eq!(parse_resource_id("0"), None);
    }
}
