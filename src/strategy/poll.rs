//! `poll`: poll the event log at a fixed interval with a cursor, following `has_more` pages at
//! once. The baseline every other strategy is measured against; its numbers have closed forms
//! (mean latency T/2 plus the mean round trip, duration/T polls).

use super::cursor::CursorPoller;
use super::{Cx, Strategy};
use crate::model::api::Response;
use crate::support::units::Micros;

/// Cursor polling at a fixed interval (or, built by [`super::poll_adaptive`], an adaptive one).
pub struct Poll(CursorPoller);

impl Poll {
    /// Polls every `interval`, `page` events a page.
    pub fn new(interval: Micros, page: u32) -> Self {
        Poll(CursorPoller::new(0, interval, page, false))
    }

    /// Polls with `poller`'s schedule.
    pub fn with(poller: CursorPoller) -> Self {
        Poll(poller)
    }
}

impl Strategy for Poll {
    fn start(&mut self, cx: &mut Cx<'_, '_>) {
        self.0.start(cx);
    }
    fn on_timer(&mut self, cx: &mut Cx<'_, '_>, token: u64) {
        self.0.on_timer(cx, token);
    }
    fn on_response(&mut self, cx: &mut Cx<'_, '_>, _tag: u64, resp: &Response) {
        self.0.on_response(cx, resp);
    }
    fn can_still_detect(&self, id: u32, _superseded: bool) -> bool {
        self.0.can_still_detect(id)
    }
    fn effective_interval(&self) -> Option<Micros> {
        self.0.fixed_interval()
    }
}
