//! `poll-etag`: `poll` with `If-None-Match`. An unchanged log answers `304 Not Modified`, which
//! saves the body's bytes and — where the API says so (`not_modified_counts = false`, as on
//! GitHub) — the quota. The machinery is the cursor poller's with conditional requests on; this
//! module only builds it.

use super::cursor::CursorPoller;
use super::poll::Poll;
use crate::support::units::Micros;

/// Fixed-interval cursor polling with conditional requests: every `interval`, `page` events a
/// page, with ETags.
pub fn new(interval: Micros, page: u32) -> Poll {
    Poll::with(CursorPoller::new(0, interval, page, true))
}
