//! `poll-adaptive`: cursor polling that polls fast after activity and backs off when idle.
//!
//! After a poll cycle that brings events the interval drops to the policy's `min`; after an
//! empty one it grows by `backoff`, up to `max`; the server's `X-Poll-Interval` is a floor. The
//! machinery is the cursor poller's (see [`super::cursor`]) with an interval policy; this module
//! only builds it. Its row has no fixed interval, so a sweep runs it once, as a point.

use super::config::Adaptive;
use super::cursor::CursorPoller;
use super::poll::Poll;

/// An adaptive cursor poller, `page` events a page.
pub fn new(policy: Adaptive, page: u32) -> Poll {
    Poll::with(CursorPoller::adaptive(0, policy, page))
}
