//! `sse`: one long-lived server-sent events stream (`GET /stream`), resumed with
//! `Last-Event-ID` after the server drops it.
//!
//! Owns the connection loop: connect (each connection counts as a request), take each event as
//! it arrives on the stream, and after a drop wait the server's `retry:` delay and reconnect
//! with the id of the last event received, so the server replays exactly what was missed: no
//! event is lost and none arrives twice. A refused connection (429, or no answer) is waited out
//! like a poller's 429. The stream itself is the driver's: the sim engine schedules its events
//! from the model, the live engine reads a real `text/event-stream` body.

use super::{back_off, Cx, Strategy};
use crate::model::api::{Request, Response, Status};
use crate::support::units::Micros;

const CONNECT: u64 = 0;

/// The server-sent events consumer.
#[derive(Default)]
pub struct Sse {
    cursor: u32,
    failures: u32,
    billable: bool,
}

impl Sse {
    /// A consumer that connects at the start.
    pub fn new() -> Self {
        Sse::default()
    }

    fn connect(&mut self, cx: &mut Cx<'_, '_>) {
        self.billable = cx.in_window();
        cx.send(CONNECT, Request::Stream { cursor: self.cursor }, self.billable);
    }
}

impl Strategy for Sse {
    fn start(&mut self, cx: &mut Cx<'_, '_>) {
        self.connect(cx);
    }
    fn on_timer(&mut self, cx: &mut Cx<'_, '_>, _token: u64) {
        self.connect(cx);
    }
    fn on_response(&mut self, cx: &mut Cx<'_, '_>, _tag: u64, resp: &Response) {
        match resp.status {
            Status::TooManyRequests | Status::Unavailable => {
                back_off(cx, resp, &mut self.failures, self.billable, CONNECT);
            }
            _ => self.failures = 0,
        }
    }
    fn on_stream_event(&mut self, cx: &mut Cx<'_, '_>, _tag: u64, id: u32) {
        if !cx.detect(id) {
            cx.duplicate(id);
        }
        self.cursor = self.cursor.max(id + 1);
    }
    fn on_stream_closed(&mut self, cx: &mut Cx<'_, '_>, _tag: u64, retry: Micros) {
        cx.wake(cx.now + retry, CONNECT);
    }
    fn can_still_detect(&self, id: u32, _superseded: bool) -> bool {
        id >= self.cursor
    }
}
