//! `long-poll`: the API holds each request until an event becomes visible or the wait limit
//! passes (Telegram's `getUpdates`, SQS's `WaitTimeSeconds`), then the client asks again at once
//! with its cursor.
//!
//! Owns the ask-again loop and the cursor; the hold itself is the API's ([`Request::LongPoll`]).
//! With few events, each is answered as it becomes visible, so the mean detection latency is the
//! round trip, and the requests are about max(events, duration / wait). A 429 is waited out
//! like any poller's.

use super::{back_off, Cx, Strategy};
use crate::model::api::{Body, Request, Response, Status};
use crate::support::units::Micros;

const ASK: u64 = 0;

/// The long-polling consumer.
pub struct LongPoll {
    wait: Micros,
    limit: u32,
    cursor: u32,
    failures: u32,
    billable: bool,
}

impl LongPoll {
    /// Asks the server to hold each request up to `wait`, `page` events a page.
    pub fn new(wait: Micros, page: u32) -> Self {
        LongPoll { wait, limit: page, cursor: 0, failures: 0, billable: true }
    }

    fn ask(&mut self, cx: &mut Cx<'_, '_>) {
        self.billable = cx.in_window();
        cx.send(
            ASK,
            Request::LongPoll { cursor: self.cursor, limit: self.limit, wait: self.wait },
            self.billable,
        );
    }
}

impl Strategy for LongPoll {
    fn start(&mut self, cx: &mut Cx<'_, '_>) {
        self.ask(cx);
    }
    fn on_timer(&mut self, cx: &mut Cx<'_, '_>, _token: u64) {
        self.ask(cx);
    }
    fn on_response(&mut self, cx: &mut Cx<'_, '_>, _tag: u64, resp: &Response) {
        match resp.status {
            Status::Ok | Status::NotModified | Status::NotFound => {
                self.failures = 0;
                if let Body::Page { first, count, next, .. } = resp.body {
                    for id in first..first + count {
                        cx.detect(id);
                    }
                    self.cursor = next.max(self.cursor);
                }
                self.ask(cx);
            }
            Status::TooManyRequests | Status::Unavailable => {
                back_off(cx, resp, &mut self.failures, self.billable, ASK);
            }
        }
    }
    fn can_still_detect(&self, id: u32, _superseded: bool) -> bool {
        id >= self.cursor
    }
}
