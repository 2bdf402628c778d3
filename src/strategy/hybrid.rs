//! `hybrid`: a thin webhook says "event X happened", then one API fetch brings its data.
//! Detection is when the fetch answers; the fetch costs a request and quota, and waits out a 404
//! while the event is not yet visible to the API.

use super::fetch::Fetcher;
use super::{Cx, Strategy};
use crate::model::api::Response;
use crate::model::emitter::Payload;

/// Thin webhook, then a fetch.
pub struct Hybrid(Fetcher);

impl Default for Hybrid {
    fn default() -> Self {
        Self::new()
    }
}

impl Hybrid {
    /// A hybrid consumer.
    pub fn new() -> Self {
        Hybrid(Fetcher::new(0))
    }
}

impl Strategy for Hybrid {
    fn start(&mut self, _cx: &mut Cx<'_, '_>) {}
    fn on_timer(&mut self, cx: &mut Cx<'_, '_>, token: u64) {
        self.0.on_timer(cx, token);
    }
    fn on_response(&mut self, cx: &mut Cx<'_, '_>, tag: u64, resp: &Response) {
        self.0.on_response(cx, tag, resp);
    }
    fn on_webhook(&mut self, cx: &mut Cx<'_, '_>, id: u32) {
        self.0.on_delivery(cx, id);
    }
    fn subscription(&self) -> Option<Payload> {
        Some(Payload::Thin)
    }
    fn can_still_detect(&self, id: u32, _superseded: bool) -> bool {
        self.0.pending(id)
    }
}
