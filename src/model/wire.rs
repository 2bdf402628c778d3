//! Bytes on the wire: the sizes of the HTTP messages the model exchanges.
//!
//! Owns the byte model used by the sim engine's `bytes` metrics: HTTP/1.1 request and status
//! lines, the headers the mock API and the webhook emitter really send (rate-limit fields,
//! ETag, Standard Webhooks headers) and JSON bodies whose length follows from the payload size.
//! The live engine sends messages of these shapes, so both engines count alike.

/// A `GET` request line with host, user agent, accept and authorization headers.
pub const GET_REQUEST: u64 = 190;
/// The extra `If-None-Match` header.
pub const IF_NONE_MATCH: u64 = 40;
/// Status line and headers of an API response: content type and length, date, ETag, the IETF
/// `RateLimit-Policy`/`RateLimit` fields and GitHub's four `X-RateLimit-*` fields.
pub const API_RESPONSE_HEADERS: u64 = 360;
/// `{"data":[],"has_more":false,"next_cursor":"evt_0000000000"}` around a page.
pub const PAGE_ENVELOPE: u64 = 62;
/// An event's JSON without its payload: id, type, resource id, version, time, wrapper keys.
pub const EVENT_OVERHEAD: u64 = 150;
/// A resource snapshot's JSON without payload.
pub const RESOURCE_OVERHEAD: u64 = 120;
/// A thin webhook body: id, type, resource id.
pub const THIN_BODY: u64 = 96;
/// Request line and headers of a webhook POST, including `webhook-id`, `webhook-timestamp`
/// and a `webhook-signature` with one `v1,` signature.
pub const WEBHOOK_HEADERS: u64 = 330;
/// The receiver's answer (status line and a few headers, empty body).
pub const WEBHOOK_RESPONSE: u64 = 90;
/// A `429` or `404` answer with a short JSON error.
pub const ERROR_RESPONSE: u64 = API_RESPONSE_HEADERS + 60;

/// The `id:`, `event:` and `data:` lines framing one event on a server-sent events stream.
pub const SSE_FRAME: u64 = 64;

/// One event on a server-sent events stream.
#[inline]
pub fn sse_event(payload_bytes: u32) -> u64 {
    SSE_FRAME + event_json(payload_bytes)
}

/// One event's JSON length.
#[inline]
pub fn event_json(payload_bytes: u32) -> u64 {
    EVENT_OVERHEAD + u64::from(payload_bytes)
}

/// A page of `n` events.
#[inline]
pub fn page(n: u32, payload_bytes: u32) -> u64 {
    API_RESPONSE_HEADERS + PAGE_ENVELOPE + u64::from(n) * (event_json(payload_bytes) + 1)
}
