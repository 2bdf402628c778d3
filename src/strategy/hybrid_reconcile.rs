//! `hybrid-reconcile`: webhooks for speed, plus a slow reconciliation poll of the event log that
//! recovers whatever delivery lost (outages, dead letters). With a thin payload each delivery is
//! followed by a fetch, as in `hybrid`. Events the reconciliation poll finds first are detected
//! then; webhooks that arrive for them later count as duplicates.

use super::cursor::CursorPoller;
use super::fetch::Fetcher;
use super::{Cx, Strategy};
use crate::model::api::Response;
use crate::model::emitter::Payload;
use crate::support::units::Micros;

/// The reconciliation poller's tokens start here; the fetcher's start at 0.
const POLLER: u64 = 1 << 40;

/// Webhooks plus a reconciliation poll.
pub struct HybridReconcile {
    poller: CursorPoller,
    fetcher: Fetcher,
    payload: Payload,
}

impl HybridReconcile {
    /// Reconciles every `interval`, `page` events a page; deliveries carry `payload`.
    pub fn new(interval: Micros, page: u32, payload: Payload) -> Self {
        HybridReconcile {
            poller: CursorPoller::new(POLLER, interval, page, true),
            fetcher: Fetcher::new(0),
            payload,
        }
    }
}

impl Strategy for HybridReconcile {
    fn start(&mut self, cx: &mut Cx<'_, '_>) {
        self.poller.start(cx);
    }
    fn on_timer(&mut self, cx: &mut Cx<'_, '_>, token: u64) {
        if self.poller.owns(token) {
            self.poller.on_timer(cx, token);
        } else {
            self.fetcher.on_timer(cx, token);
        }
    }
    fn on_response(&mut self, cx: &mut Cx<'_, '_>, tag: u64, resp: &Response) {
        if self.poller.owns(tag) {
            self.poller.on_response(cx, resp);
        } else {
            self.fetcher.on_response(cx, tag, resp);
        }
    }
    fn on_webhook(&mut self, cx: &mut Cx<'_, '_>, id: u32) {
        match self.payload {
            Payload::Fat => {
                if !cx.detect(id) {
                    cx.duplicate(id);
                }
            }
            Payload::Thin => self.fetcher.on_delivery(cx, id),
        }
    }
    fn subscription(&self) -> Option<Payload> {
        Some(self.payload)
    }
    fn can_still_detect(&self, id: u32, _superseded: bool) -> bool {
        self.poller.can_still_detect(id) || self.fetcher.pending(id)
    }
    fn effective_interval(&self) -> Option<Micros> {
        Some(self.poller.effective_interval())
    }
}
