//! Cursor polling of the event log: the engine inside `poll`, `poll-etag` and the
//! reconciliation poll of `hybrid-reconcile`.
//!
//! Owns the cursor, the fixed-rate tick schedule (a tick that finds the previous cycle still
//! running is skipped), following `has_more` pages at once, ETags for `If-None-Match`, obeying
//! `X-Poll-Interval`, and waiting out a 429 (`Retry-After` plus jitter). It uses tokens and tags
//! `base` and `base + 1` only, so a strategy can hold one beside other machinery.
//!
//! With an [`Adaptive`] policy the interval is no longer fixed: each cycle's next tick is set
//! when it ends, `min` after a cycle that brought events, else the last interval times
//! `backoff` (at most `max`), and never shorter than the server's `X-Poll-Interval`.

use super::config::Adaptive;
use super::{back_off, Cx};
use crate::model::api::{Body, Request, Response, Status};
use crate::support::units::Micros;

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
    adaptive: Option<Adaptive>,
    cycle_start: Micros,
    cycle_brought: bool,
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
            adaptive: None,
            cycle_start: 0,
            cycle_brought: false,
        }
    }

    /// A poller whose interval follows `policy`, starting at its `min`.
    pub fn adaptive(base: u64, policy: Adaptive, limit: u32) -> Self {
        CursorPoller { adaptive: Some(policy), ..CursorPoller::new(base, policy.min, limit, false) }
    }

    /// Whether a token or tag belongs to this poller.
    pub fn owns(&self, token: u64) -> bool {
        token == self.base + TICK || token == self.base + RETRY
    }

    /// The interval polled at: the configured one, or the server's hint if longer.
    pub fn effective_interval(&self) -> Micros {
        self.interval.max(self.hint.unwrap_or(0))
    }

    /// The fixed interval polled at, or `None` for an adaptive poller (its interval varies).
    pub fn fixed_interval(&self) -> Option<Micros> {
        self.adaptive.is_none().then(|| self.effective_interval())
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
            if self.busy && cx.breaker_open() {
                cx.breaker_saved(); // a poll the open breaker kept back
            }
            if !self.busy {
                self.busy = true;
                self.cycle_billable = cx.in_window();
                self.cycle_start = cx.now;
                self.cycle_brought = false;
                self.send(cx);
            }
            if self.adaptive.is_none() {
                self.next_tick += self.effective_interval();
                cx.wake(self.next_tick, self.base + TICK);
            }
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
                    self.cycle_brought |= count > 0;
                    self.cursor = next.max(self.cursor);
                    self.etag = resp.etag.map(|e| (asked, e));
                    if has_more {
                        self.send(cx);
                        return;
                    }
                }
                self.cycle_done(cx);
            }
            Status::NotModified | Status::NotFound => {
                self.failures = 0;
                self.cycle_done(cx);
            }
            Status::TooManyRequests | Status::Unavailable => {
                back_off(cx, resp, &mut self.failures, self.cycle_billable, self.base + RETRY);
            }
        }
    }

    /// A cycle ended; an adaptive poller picks its next interval and tick here.
    fn cycle_done(&mut self, cx: &mut Cx<'_, '_>) {
        self.busy = false;
        if let Some(p) = self.adaptive {
            self.interval = if self.cycle_brought {
                p.min
            } else {
                ((self.interval as f64 * p.backoff) as Micros).clamp(p.min, p.max)
            };
            let next = (self.cycle_start + self.effective_interval()).max(cx.now);
            cx.wake(next, self.base + TICK);
        }
    }

    /// Whether an undetected event could still be reached by this poller.
    pub fn can_still_detect(&self, id: u32) -> bool {
        id >= self.cursor
    }
}
