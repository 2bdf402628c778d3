//! `webhook`: fat webhooks only. The consumer holds an event's data the moment a verified
//! delivery arrives; it deduplicates by `webhook-id` and counts what arrives twice. What it
//! loses is what the emitter dead-letters.

use super::{Cx, Strategy};
use crate::model::api::Response;
use crate::model::emitter::Payload;

/// Fat webhooks only.
#[derive(Default)]
pub struct Webhook;

impl Webhook {
    /// A webhook consumer.
    pub fn new() -> Self {
        Webhook
    }
}

impl Strategy for Webhook {
    fn start(&mut self, _cx: &mut Cx<'_, '_>) {}
    fn on_timer(&mut self, _cx: &mut Cx<'_, '_>, _token: u64) {}
    fn on_response(&mut self, _cx: &mut Cx<'_, '_>, _tag: u64, _resp: &Response) {}
    fn on_webhook(&mut self, cx: &mut Cx<'_, '_>, id: u32) {
        if !cx.detect(id) {
            cx.duplicate(id);
        }
    }
    fn subscription(&self) -> Option<Payload> {
        Some(Payload::Fat)
    }
    fn can_still_detect(&self, _id: u32, _superseded: bool) -> bool {
        false
    }
}
