//! Fetching the event behind a thin webhook: the second half of `hybrid`.
//!
//! Owns the consumer's dedupe by webhook id and the follow-up `GET /events/{id}`: one fetch per
//! new delivery, retried after a 404 (the event is not visible yet: eventual consistency) with
//! exponential backoff from 250 ms, and after a 429 when `Retry-After` says. Its tags and
//! tokens are `base + id`.

use super::{back_off, Cx};
use crate::model::api::{Request, Response, Status};
use crate::support::ids::IdMap;
use crate::support::units::{Micros, MILLI, SECOND};

/// Fetches thin deliveries' events.
pub struct Fetcher {
    base: u64,
    /// Fetches under way: event id → failed tries so far.
    pending: IdMap<u32>,
}

impl Fetcher {
    /// A fetcher with tags and tokens from `base`.
    pub fn new(base: u64) -> Self {
        Fetcher { base, pending: IdMap::default() }
    }

    /// Whether a tag or token is this fetcher's.
    pub fn owns(&self, tag: u64) -> bool {
        tag >= self.base && tag - self.base <= u64::from(u32::MAX)
    }

    /// A thin delivery of `id` arrived: dedupe, then fetch.
    pub fn on_delivery(&mut self, cx: &mut Cx<'_, '_>, id: u32) {
        // A fetch never gives up, so an event delivered before is being fetched or detected: the
        // dedupe needs no per-event memory.
        if self.pending.contains_key(&id) || cx.is_detected(id) {
            cx.duplicate(id);
            return;
        }
        self.pending.insert(id, 0);
        cx.send(self.base + u64::from(id), Request::Event(id), true);
    }

    /// A retry timer fired.
    pub fn on_timer(&mut self, cx: &mut Cx<'_, '_>, token: u64) {
        let id = (token - self.base) as u32;
        if self.pending.contains_key(&id) {
            if let Some(t) = cx.breaker_wait() {
                cx.breaker_saved(); // another fetch is the breaker's probe: wait for its answer
                cx.wake(t, token);
                return;
            }
            cx.send(token, Request::Event(id), true);
        }
    }

    /// The answer to a fetch arrived.
    pub fn on_response(&mut self, cx: &mut Cx<'_, '_>, tag: u64, resp: &Response) {
        let id = (tag - self.base) as u32;
        let Some(tries) = self.pending.get_mut(&id) else { return };
        match resp.status {
            Status::Ok => {
                self.pending.remove(&id);
                cx.detect(id);
            }
            Status::NotFound | Status::NotModified => {
                let wait: Micros = ((250 * MILLI) << (*tries).min(8)).min(60 * SECOND);
                *tries += 1;
                cx.wake(cx.now + wait, tag);
            }
            Status::TooManyRequests | Status::Unavailable => back_off(cx, resp, tries, true, tag),
        }
    }

    /// Whether a fetch of `id` is under way.
    pub fn pending(&self, id: u32) -> bool {
        self.pending.contains_key(&id)
    }
}
