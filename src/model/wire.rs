//! Bytes on the wire: the sizes of the HTTP messages the model exchanges.
//!
//! Owns the byte model behind every `bytes` figure, in both engines: HTTP/1.1 request and status
//! lines, the headers the mock API and the webhook emitter really send (ETag; the rate-limit
//! fields only when the scenario has a limit; Standard Webhooks headers) and JSON bodies whose
//! length follows from the payload size. The sim sizes the model's messages with it and the live
//! consumer sizes the real answers it decodes with the same functions, so the two engines count
//! alike by construction. Only sizes live here: no message is built.

/// A `GET` request line with host, user agent, accept and authorization headers.
pub const GET_REQUEST: u64 = 190;
/// The extra `If-None-Match` header.
pub const IF_NONE_MATCH: u64 = 40;
/// Status line and headers of an API response: content type and length, date, ETag.
pub const API_BASE_HEADERS: u64 = 170;
/// The rate-limit fields of an API response, sent only when the scenario sets a limit: the IETF
/// `RateLimit-Policy`/`RateLimit` fields and GitHub's four `X-RateLimit-*` fields.
pub const RATE_LIMIT_HEADERS: u64 = 190;
/// Status line and headers of an API response under a rate limit.
pub const API_RESPONSE_HEADERS: u64 = API_BASE_HEADERS + RATE_LIMIT_HEADERS;
/// The short JSON error body of a `429`, `404` or `503`.
pub const ERROR_BODY: u64 = 60;

/// Status line and headers of an API response, with the rate-limit fields when `limited`.
#[inline]
pub fn api_headers(limited: bool) -> u64 {
    if limited {
        API_RESPONSE_HEADERS
    } else {
        API_BASE_HEADERS
    }
}
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

/// The body of a page of `n` events.
#[inline]
pub fn page_body(n: u32, payload_bytes: u32) -> u64 {
    PAGE_ENVELOPE + u64::from(n) * (event_json(payload_bytes) + 1)
}
