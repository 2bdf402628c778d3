//! Strategies: how a consumer learns of events — the rows of every table.
//!
//! Owns the [`Strategy`] trait every consumer implements, the [`Cx`] through which a strategy
//! acts (send a request, set a timer, record a detection), and the registry of strategy kinds.
//! One strategy per module; shared mechanics live in [`cursor`] (cursor polling of the event
//! log) and [`fetch`] (fetching a thin webhook's event), and [`machine`] builds a [`Spec`] into
//! its strategy, one closed enum the rows call directly. A strategy never reads the event source:
//! it learns of events only from API answers and webhook deliveries, and it never touches a
//! socket or a clock — the engines feed it time and input.
//!
//! The strategies own their configuration ([`StrategiesConfig`], [`Adaptive`]) and are built
//! from a [`StrategyParams`], never from a whole scenario: nothing here imports the scenario
//! parser, the report, the renderers, the command line or the live engine.

pub mod books;
pub mod breaker;
mod config;
pub mod cursor;
pub mod fetch;
pub mod hybrid;
pub mod hybrid_reconcile;
mod kind;
pub mod long_poll;
pub mod machine;
pub mod poll;
pub mod poll_adaptive;
pub mod poll_etag;
pub mod poll_state;
pub mod sse;
pub mod webhook;

pub use breaker::{Breaker, BreakerConfig};
pub use config::{Adaptive, StrategiesConfig, StrategyParams};
pub use kind::StrategyKind;

use crate::model::api::{Request, Response};
use crate::model::dist::Rng;
use crate::model::emitter::Payload;
use crate::strategy::books::Books;
use crate::support::units::{format_duration, Micros};

/// One row to run: a kind and, for poll strategies, its interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The strategy.
    pub kind: StrategyKind,
    /// The poll interval (poll strategies) or reconcile interval (`hybrid-reconcile`).
    pub interval: Option<Micros>,
}

impl Spec {
    /// The rows for `kinds` × `intervals`: one per interval for poll strategies.
    pub fn expand(kinds: &[StrategyKind], intervals: &[Micros], reconcile: Micros) -> Vec<Spec> {
        let mut out = Vec::new();
        for &kind in kinds {
            if kind.polls_at_interval() {
                out.extend(intervals.iter().map(|&i| Spec { kind, interval: Some(i) }));
            } else if kind == StrategyKind::HybridReconcile {
                out.push(Spec { kind, interval: Some(reconcile) });
            } else {
                out.push(Spec { kind, interval: None });
            }
        }
        out
    }

    /// A label such as `poll@30s`.
    pub fn label(&self) -> String {
        match (self.kind.polls_at_interval(), self.interval) {
            (true, Some(i)) => format!("{}@{}", self.kind.name(), format_duration(i)),
            _ => self.kind.name().to_string(),
        }
    }
}

/// Something a strategy asks its driver to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Send `req` now; the answer comes back to `on_response` with `tag`.
    Send {
        /// Returned with the answer.
        tag: u64,
        /// The request.
        req: Request,
        /// Whether it counts toward the window's cost.
        billable: bool,
    },
    /// Call `on_timer(token)` at `at`.
    Wake {
        /// When.
        at: Micros,
        /// Returned to `on_timer`.
        token: u64,
    },
}

/// A strategy's handle on the world for one step: the time, a random stream, and where its
/// actions and observations go.
pub struct Cx<'r, 'a> {
    /// Now.
    pub now: Micros,
    /// End of the measured window (the scenario's duration).
    pub window_end: Micros,
    /// The strategy's own random stream.
    pub rng: &'r mut Rng,
    pub(crate) actions: &'r mut Vec<Action>,
    pub(crate) rec: &'r mut Books,
    /// The events the API serves (what detections are measured against).
    pub(crate) log: &'a crate::model::source::EventLog,
    /// The row's circuit breaker on API calls, if it has one.
    pub(crate) breaker: &'r mut Option<Breaker>,
}

impl Cx<'_, '_> {
    /// Whether the row's circuit breaker is open now (no call may go out).
    pub fn breaker_open(&mut self) -> bool {
        let now = self.now;
        self.breaker.as_mut().is_some_and(|b| b.ready_at(now) > now)
    }

    /// When a call wanted now may go out, if the row's breaker holds it back.
    pub fn breaker_wait(&mut self) -> Option<Micros> {
        let now = self.now;
        self.breaker.as_mut().map(|b| b.ready_at(now)).filter(|&t| t > now)
    }

    /// A call the open breaker kept from going out.
    pub fn breaker_saved(&mut self) {
        self.rec.requests.breaker_saved += 1;
    }

    /// Sends a request now (past an open breaker's period, this is its probe).
    pub fn send(&mut self, tag: u64, req: Request, billable: bool) {
        let now = self.now;
        if let Some(b) = self.breaker.as_mut() {
            b.sent(now);
        }
        self.actions.push(Action::Send { tag, req, billable });
    }

    /// Asks for `on_timer(token)` at `at`.
    pub fn wake(&mut self, at: Micros, token: u64) {
        self.actions.push(Action::Wake { at, token });
    }

    /// The consumer now holds event `id`'s data; true the first time.
    pub fn detect(&mut self, id: u32) -> bool {
        self.rec.detect(self.log, id, self.now)
    }

    /// Whether `id` was already detected.
    pub fn is_detected(&self, id: u32) -> bool {
        self.rec.is_detected(id)
    }

    /// A resource's versions strictly between `seen` and `now_at` were never seen.
    pub fn overwritten(&mut self, resource: u32, seen: u32, now_at: u32) {
        self.rec.overwritten(self.log, resource, seen, now_at);
    }

    /// A delivery of event `id`, already received (one of a type nobody wants is no duplicate:
    /// it was never of interest).
    pub fn duplicate(&mut self, id: u32) {
        if !self.log.unwanted_id(id) {
            self.rec.duplicate();
        }
    }

    /// The strategy waits on a 429 until `until`.
    pub fn throttled_until(&mut self, until: Micros) {
        self.rec.throttled(self.now, until);
    }

    /// Whether now is inside the measured window.
    pub fn in_window(&self) -> bool {
        self.now < self.window_end
    }
}

/// A consumer strategy, as a sans-IO state machine.
pub trait Strategy: Send {
    /// The run begins at time 0.
    fn start(&mut self, cx: &mut Cx<'_, '_>);
    /// A timer set with [`Cx::wake`] fired.
    fn on_timer(&mut self, cx: &mut Cx<'_, '_>, token: u64);
    /// The answer to a request sent with `tag` arrived.
    fn on_response(&mut self, cx: &mut Cx<'_, '_>, tag: u64, resp: &Response);
    /// The receiver accepted a verified webhook delivery of event `id`.
    fn on_webhook(&mut self, _cx: &mut Cx<'_, '_>, _id: u32) {}
    /// Event `id` arrived on the event stream opened by the request sent with `tag`.
    fn on_stream_event(&mut self, _cx: &mut Cx<'_, '_>, _tag: u64, _id: u32) {}
    /// The server dropped the stream opened with `tag`; it asked for `retry` before reconnecting.
    fn on_stream_closed(&mut self, _cx: &mut Cx<'_, '_>, _tag: u64, _retry: Micros) {}
    /// The webhook payload this strategy subscribes to, if it takes webhooks.
    fn subscription(&self) -> Option<Payload> {
        None
    }
    /// At the end: could event `id`, not yet detected, still be by this strategy's own means
    /// (a poll that will reach it, a fetch under way)? `superseded` says whether a later event of
    /// its resource has happened. Pending webhook retries are the driver's to add.
    fn can_still_detect(&self, id: u32, superseded: bool) -> bool;
    /// The interval actually polled at (after any `X-Poll-Interval` hint).
    fn effective_interval(&self) -> Option<Micros> {
        None
    }
}

/// Waits out a 429 or an unavailable answer: counts the failure, records the throttled time of a
/// 429 (when `billable`) and wakes `token` when it is time to try again.
pub fn back_off(cx: &mut Cx<'_, '_>, resp: &Response, failures: &mut u32, billable: bool, token: u64) {
    let wait = throttle_wait(resp.retry_after, *failures, cx.rng);
    *failures += 1;
    let now = cx.now;
    // An open circuit breaker holds the retry until its probe may go.
    let until = match cx.breaker_wait() {
        Some(probe) => {
            cx.breaker_saved();
            probe
        }
        None => now + wait,
    };
    if billable && resp.status == crate::model::api::Status::TooManyRequests {
        cx.throttled_until(until);
    }
    cx.wake(until, token);
}

/// Backoff and jitter for a 429: the server's `Retry-After` if given (plus up to 10% or 1 s of
/// jitter, whichever is less), else exponential from 1 s, capped at 5 minutes, full jitter.
pub fn throttle_wait(retry_after: Option<Micros>, failures: u32, rng: &mut Rng) -> Micros {
    use crate::support::units::SECOND;
    match retry_after {
        Some(wait) => {
            let spread = (wait / 10).min(SECOND);
            wait + (rng.unit() * spread as f64) as Micros
        }
        None => {
            let cap = (SECOND << failures.min(9)).min(300 * SECOND);
            (SECOND / 2).max((rng.unit() * cap as f64) as Micros)
        }
    }
}
