//! Cursor polling of the event log: the engine inside `poll`, `poll-etag` and the
//! reconciliation poll of `hybrid-reconcile`.
//!
//! Owns the cursor, the fixed-rate tick schedule (a tick that finds the previous cycle still
//! running is skipped), following `has_more` pages at once, ETags for `If-None-Match`, obeying
//! `X-Poll-Interval`, and waiting out a 429 (`Retry-After` plus jitter). It uses tokens and tags
//! `base` and `base + 1` only, so a strategy can hold one beside other machinery.

use super::{throttle_wait, Cx};
use crate::model::api::{Body, Request, Response, Status};
use crate::units::Micros;

const TICK: u64 = 0;
const RETRY: u64 = 1;

/// A cursor poller.
pub struct CursorPoller {
    base: u64,
    interval: Micros,
    hint: Option<Micros>,
    use_etag: bool,
    limit: u32,
    cursor: u32,
    /// The ETag of the last answer, with the cursor it answered.
    etag: Option<(u32, u64)>,
    busy: bool,
    cycle_billable: bool,
    next_tick: Micros,
    failures: u32,
}

impl CursorPoller {
    /// A poller every `interval`, asking for `limit` events a page; tokens from `base`.
    pub fn new(base: u64, interval: Micros, limit: u32, use_etag: bool) -> Self {
        CursorPoller {
            base,
            interval: interval.max(1),
            hint: None,
            use_etag,
            limit,
            cursor: 0,
            etag: None,
            busy: false,
            cycle_billable: true,
            next_tick: 0,
            failures: 0,
        }
    }

    /// Whether a token or tag belongs to this poller.
    pub fn owns(&self, token: u64) -> bool {
        token == self.base + TICK || token == self.base + RETRY
    }

    /// The interval polled at: the configured one, or the server's hint if longer.
    pub fn effective_interval(&self) -> Micros {
        self.interval.max(self.hint.unwrap_or(0))
    }

    /// The next event id this poller will ask for.
    pub fn cursor(&self) -> u32 {
        self.cursor
    }

    /// The first poll goes out at time 0.
    pub fn start(&mut self, cx: &mut Cx<'_, '_>) {
        self.next_tick = 0;
        cx.wake(0, self.base + TICK);
    }

    /// A timer of this poller fired.
    pub fn on_timer(&mut self, cx: &mut Cx<'_, '_>, token: u64) {
        if token == self.base + TICK {
            if !self.busy {
                self.busy = true;
                self.cycle_billable = cx.in_window();
                self.send(cx);
            }
            self.next_tick += self.effective_interval();
            cx.wake(self.next_tick, self.base + TICK);
        } else {
            self.send(cx);
        }
    }

    fn send(&mut self, cx: &mut Cx<'_, '_>) {
        let if_none_match = match self.etag {
            Some((c, tag)) if self.use_etag && c == self.cursor => Some(tag),
            _ => None,
        };
        let req = Request::List { cursor: self.cursor, limit: self.limit, if_none_match };
        cx.send(self.base + TICK, req, self.cycle_billable);
    }

    /// An answer to this poller's request arrived.
    pub fn on_response(&mut self, cx: &mut Cx<'_, '_>, resp: &Response) {
        if let Some(hint) = resp.poll_interval {
            self.hint = Some(hint);
        }
        match resp.status {
            Status::Ok => {
                self.failures = 0;
                if let Body::Page { first, count, has_more, next } = resp.body {
                    let asked = self.cursor;
                    for id in first..first + count {
                        cx.detect(id);
                    }
                    self.cursor = next.max(self.cursor);
                    self.etag = resp.etag.map(|e| (asked, e));
                    if has_more {
                        self.send(cx);
                        return;
                    }
                }
                self.busy = false;
            }
            Status::NotModified | Status::NotFound => {
                self.failures = 0;
                self.busy = false;
            }
            Status::TooManyRequests | Status::Unavailable => {
                let wait = throttle_wait(resp.retry_after, self.failures, cx.rng);
                self.failures += 1;
                let until = cx.now + wait;
                if self.cycle_billable && resp.status == Status::TooManyRequests {
                    cx.throttled_until(until);
                }
                cx.wake(until, self.base + RETRY);
            }
        }
    }

    /// Whether an undetected event could still be reached by this poller.
    pub fn can_still_detect(&self, id: u32) -> bool {
        id >= self.cursor
    }
}
