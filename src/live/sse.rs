//! Server-sent events on the consumer's side: open `GET /stream`, frame its body into messages.
//!
//! Owns the `text/event-stream` framing (lines, `id:` and `retry:` fields, the blank line that
//! ends a message) and the life of one stream: the connect comes back as an answer, each
//! complete message with an id as an event, and the end of the body (the server's drop) as a
//! close carrying the last `retry:`. It keeps no counts and knows nothing of strategies.

use crate::live::client::{etag_of, secs_header, status_of, ApiClient};
use crate::live::json;
use crate::model::api::Response;
use crate::model::api::{answer_bytes, Body, Request, Status};
use crate::support::units::{Micros, MILLI};

/// What one stream produced, in order.
#[derive(Debug, Clone, Copy)]
pub enum StreamMsg {
    /// The answer to the connect (a 200 with a `Stream` body when it opened).
    Opened(Response),
    /// A message carrying event `id`.
    Event(u32),
    /// The server ended the stream; wait `retry` before reconnecting.
    Closed(Micros),
}

/// One message being read: its `id:` and `retry:` fields, if any.
#[derive(Debug, Default)]
struct Message {
    id: Option<u32>,
    retry: Option<Micros>,
}

/// Feeds `line` (without its end of line) to `msg`; true at the blank line that ends it.
fn feed_line(msg: &mut Message, line: &str) -> bool {
    if line.is_empty() {
        return true;
    }
    let (field, value) = line.split_once(':').unwrap_or((line, ""));
    let value = value.strip_prefix(' ').unwrap_or(value);
    match field {
        "id" => msg.id = json::parse_event_id(value),
        "retry" => msg.retry = value.trim().parse::<u64>().ok().map(|ms| ms.saturating_mul(MILLI)),
        _ => {}
    }
    false
}

/// Splits a growing buffer into complete lines and messages.
#[derive(Debug, Default)]
pub struct Framer {
    buf: Vec<u8>,
    msg: Message,
    retry: Micros,
}

impl Framer {
    /// Feeds a chunk of the body; calls `event` with the id of each complete message that has one.
    pub fn push(&mut self, chunk: &[u8], mut event: impl FnMut(u32)) {
        self.buf.extend_from_slice(chunk);
        while let Some(nl) = self.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=nl).collect();
            let line = String::from_utf8_lossy(&line[..nl]);
            if feed_line(&mut self.msg, line.trim_end_matches('\r')) {
                let done = std::mem::take(&mut self.msg);
                self.retry = done.retry.unwrap_or(self.retry);
                if let Some(id) = done.id {
                    event(id);
                }
            }
        }
    }

    /// The last `retry:` the server sent (0 before any).
    pub fn retry(&self) -> Micros {
        self.retry
    }
}

/// Opens an event stream after `cursor` and hands its connect answer, events and close to `emit`.
pub async fn stream(api: ApiClient, cursor: u32, mut emit: impl FnMut(StreamMsg)) {
    let req = Request::Stream { cursor };
    let mut rb = api.get("/stream", "text/event-stream");
    if let Some(last) = cursor.checked_sub(1) {
        rb = rb.header("last-event-id", json::event_id(last));
    }
    let Ok(mut r) = rb.send().await else {
        emit(StreamMsg::Opened(api.bare(&req, Status::Unavailable, false)));
        return;
    };
    let status = match status_of(r.status().as_u16()) {
        s @ (Status::Ok | Status::TooManyRequests) => s,
        _ => Status::Unavailable,
    };
    let mut resp = api.bare(&req, status, true);
    resp.retry_after = secs_header(r.headers(), "retry-after");
    resp.etag = etag_of(r.headers());
    let ok = status == Status::Ok;
    if ok {
        resp.body = Body::Stream { from: cursor, until: Micros::MAX, retry: 0 };
        resp.bytes_down = answer_bytes(status, &resp.body, api.limited, api.payload_bytes);
    }
    emit(StreamMsg::Opened(resp));
    if !ok {
        return;
    }
    let mut framer = Framer::default();
    while let Ok(Some(chunk)) = r.chunk().await {
        framer.push(&chunk, |id| emit(StreamMsg::Event(id)));
    }
    emit(StreamMsg::Closed(framer.retry()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_anywhere_give_the_same_messages() {
        let body = b"retry: 3000\n\nid: evt_0000000007\nevent: payment.paid\ndata: {}\n\r\nid: evt_0000000008\ndata: {}\n\n";
        for cut in 0..body.len() {
            let mut f = Framer::default();
            let mut ids = Vec::new();
            f.push(&body[..cut], |id| ids.push(id));
            f.push(&body[cut..], |id| ids.push(id));
            assert_eq!(ids, vec![7, 8], "cut at {cut}");
            assert_eq!(f.retry(), 3000 * MILLI);
        }
    }
}
