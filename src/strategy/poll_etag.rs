//! `poll-etag`: `poll` with `If-None-Match`. An unchanged log answers `304 Not Modified`, which
//! saves the body's bytes and — where the API says so (`not_modified_counts = false`, as on
//! GitHub) — the quota.

use super::cursor::CursorPoller;
use super::{Cx, Strategy};
use crate::model::api::Response;
use crate::units::Micros;

/// Fixed-interval cursor polling with conditional requests.
pub struct PollEtag(CursorPoller);

impl PollEtag {
    /// Polls every `interval`, `page` events a page, with ETags.
    pub fn new(interval: Micros, page: u32) -> Self {
        PollEtag(CursorPoller::new(0, interval, page, true))
    }
}

impl Strategy for PollEtag {
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
        Some(self.0.effective_interval())
    }
}
