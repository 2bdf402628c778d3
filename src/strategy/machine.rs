//! [`Machine`]: the strategies as one closed type, so a row calls its strategy directly.
//!
//! Owns the set of state machines and how a [`Spec`] is built into one. A row answers thousands of
//! inputs per simulated hour; through an enum the call on each is a direct one the compiler may
//! inline, where a `Box<dyn Strategy>` is a call through a table it never can. Each variant is
//! one strategy module's machine; the forwarding here adds no behaviour.

use super::hybrid::Hybrid;
use super::hybrid_reconcile::HybridReconcile;
use super::long_poll::LongPoll;
use super::poll::Poll;
use super::poll_state::PollState;
use super::sse::Sse;
use super::webhook::Webhook;
use super::{poll_adaptive, poll_etag};
use super::{Cx, Payload, Spec, Strategy, StrategyKind, StrategyParams};
use crate::model::api::Response;
use crate::support::units::Micros;

/// One strategy's state machine, of whichever kind.
pub enum Machine {
    /// `poll`, `poll-etag` and `poll-adaptive`: cursor polling of the event log.
    Poll(Poll),
    /// `poll-state`: snapshot polling of every resource.
    PollState(PollState),
    /// `webhook`.
    Webhook(Webhook),
    /// `hybrid`: thin webhooks, each fetched.
    Hybrid(Hybrid),
    /// `hybrid-reconcile`: webhooks plus a reconciling poll.
    HybridReconcile(HybridReconcile),
    /// `long-poll`.
    LongPoll(LongPoll),
    /// `sse`.
    Sse(Sse),
}

impl Machine {
    /// The state machine of `spec`, built from `params` — a [`StrategyParams`] or anything that
    /// converts into one, such as a `&Scenario` (`Machine::new(spec, &scenario)`).
    pub fn new(spec: &Spec, params: impl Into<StrategyParams>) -> Machine {
        let p: StrategyParams = params.into();
        let interval = spec.interval.unwrap_or(p.reconcile_interval);
        let page = p.page_size;
        match spec.kind {
            StrategyKind::Poll => Machine::Poll(Poll::new(interval, page)),
            StrategyKind::PollEtag => Machine::Poll(poll_etag::new(interval, page)),
            StrategyKind::PollState => Machine::PollState(PollState::new(interval, p.resources)),
            StrategyKind::Webhook => Machine::Webhook(Webhook::new()),
            StrategyKind::Hybrid => Machine::Hybrid(Hybrid::new()),
            StrategyKind::HybridReconcile => {
                Machine::HybridReconcile(HybridReconcile::new(interval, page, p.payload))
            }
            StrategyKind::LongPoll => Machine::LongPoll(LongPoll::new(p.long_poll_wait, page)),
            StrategyKind::Sse => Machine::Sse(Sse::new()),
            StrategyKind::PollAdaptive => Machine::Poll(poll_adaptive::new(p.adaptive, page)),
        }
    }
}

/// Calls `$call` on whichever machine `$m` holds, as `$s`.
macro_rules! each {
    ($m:expr, $s:ident => $call:expr) => {
        match $m {
            Machine::Poll($s) => $call,
            Machine::PollState($s) => $call,
            Machine::Webhook($s) => $call,
            Machine::Hybrid($s) => $call,
            Machine::HybridReconcile($s) => $call,
            Machine::LongPoll($s) => $call,
            Machine::Sse($s) => $call,
        }
    };
}

impl Strategy for Machine {
    #[inline]
    fn start(&mut self, cx: &mut Cx<'_, '_>) {
        each!(self, s => s.start(cx))
    }

    #[inline]
    fn on_timer(&mut self, cx: &mut Cx<'_, '_>, token: u64) {
        each!(self, s => s.on_timer(cx, token))
    }

    #[inline]
    fn on_response(&mut self, cx: &mut Cx<'_, '_>, tag: u64, resp: &Response) {
        each!(self, s => s.on_response(cx, tag, resp))
    }

    #[inline]
    fn on_webhook(&mut self, cx: &mut Cx<'_, '_>, id: u32) {
        each!(self, s => s.on_webhook(cx, id))
    }

    #[inline]
    fn on_stream_event(&mut self, cx: &mut Cx<'_, '_>, tag: u64, id: u32) {
        each!(self, s => s.on_stream_event(cx, tag, id))
    }

    #[inline]
    fn on_stream_closed(&mut self, cx: &mut Cx<'_, '_>, tag: u64, retry: Micros) {
        each!(self, s => s.on_stream_closed(cx, tag, retry))
    }

    fn subscription(&self) -> Option<Payload> {
        each!(self, s => s.subscription())
    }

    fn can_still_detect(&self, id: u32, superseded: bool) -> bool {
        each!(self, s => s.can_still_detect(id, superseded))
    }

    fn effective_interval(&self) -> Option<Micros> {
        each!(self, s => s.effective_interval())
    }
}
