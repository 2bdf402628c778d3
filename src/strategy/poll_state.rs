//! `poll-state`: poll every watched resource's current state instead of the event log.
//!
//! Snapshot polling sees only the latest state: when k transitions of one resource fall between
//! two polls, the poll sees the last and k − 1 are silently lost (recorded as missed). Each
//! cycle asks every resource once through a pool of [`CONCURRENCY`] requests in flight, as a
//! real client's worker pool would; a tick that finds a cycle still running is skipped. A 429
//! pauses the whole pool until `Retry-After` (plus jitter) and the refused resource is asked
//! again first.

use std::collections::VecDeque;

use super::{throttle_wait, Cx, Strategy};
use crate::model::api::{Body, Request, Response, Status};
use crate::support::units::Micros;

/// Requests the state poller keeps in flight at once.
pub const CONCURRENCY: u32 = 16;

const TICK: u64 = u64::MAX;
const PUMP: u64 = u64::MAX - 1;

/// Snapshot polling of every resource.
pub struct PollState {
    interval: Micros,
    hint: Option<Micros>,
    resources: u32,
    /// Last version seen per resource.
    seen: Vec<u32>,
    queue: VecDeque<u32>,
    in_flight: u32,
    blocked_until: Micros,
    pump_armed: bool,
    failures: u32,
    cycle_billable: bool,
    next_tick: Micros,
}

impl PollState {
    /// Polls all `resources` every `interval`.
    pub fn new(interval: Micros, resources: u32) -> Self {
        PollState {
            interval: interval.max(1),
            hint: None,
            resources,
            seen: vec![0; resources as usize],
            queue: VecDeque::with_capacity(resources as usize),
            in_flight: 0,
            blocked_until: 0,
            pump_armed: false,
            failures: 0,
            cycle_billable: true,
            next_tick: 0,
        }
    }

    fn effective(&self) -> Micros {
        self.interval.max(self.hint.unwrap_or(0))
    }

    /// Sends queued requests while the pool has room and no 429 holds it back.
    #[inline]
    fn pump(&mut self, cx: &mut Cx<'_, '_>) {
        if cx.now < self.blocked_until {
            if !self.pump_armed {
                self.pump_armed = true;
                cx.wake(self.blocked_until, PUMP);
            }
            return;
        }
        while self.in_flight < CONCURRENCY {
            let Some(r) = self.queue.pop_front() else { break };
            self.in_flight += 1;
            cx.send(u64::from(r), Request::Resource(r), self.cycle_billable);
        }
    }
}

impl Strategy for PollState {
    fn start(&mut self, cx: &mut Cx<'_, '_>) {
        cx.wake(0, TICK);
    }

    fn on_timer(&mut self, cx: &mut Cx<'_, '_>, token: u64) {
        match token {
            TICK => {
                if self.queue.is_empty() && self.in_flight == 0 {
                    self.cycle_billable = cx.in_window();
                    self.queue.extend(0..self.resources);
                    self.pump(cx);
                }
                self.next_tick += self.effective();
                cx.wake(self.next_tick, TICK);
            }
            _ => {
                self.pump_armed = false;
                self.pump(cx);
            }
        }
    }

    #[inline]
    fn on_response(&mut self, cx: &mut Cx<'_, '_>, tag: u64, resp: &Response) {
        if let Some(hint) = resp.poll_interval {
            self.hint = Some(hint);
        }
        self.in_flight = self.in_flight.saturating_sub(1);
        match (resp.status, resp.body) {
            (Status::TooManyRequests | Status::Unavailable, _) => {
                self.queue.push_front(tag as u32);
                let wait = throttle_wait(resp.retry_after, self.failures, cx.rng);
                self.failures += 1;
                let until = cx.now + wait;
                if until > self.blocked_until {
                    self.blocked_until = until;
                    if self.cycle_billable && resp.status == Status::TooManyRequests {
                        cx.throttled_until(until);
                    }
                }
            }
            (Status::Ok, Body::Resource { id, latest: Some(ev), version }) => {
                self.failures = 0;
                let seen = self.seen[id as usize];
                if version > seen {
                    cx.overwritten(id, seen, version);
                    cx.detect(ev);
                    self.seen[id as usize] = version;
                }
            }
            _ => self.failures = 0,
        }
        self.pump(cx);
    }

    fn can_still_detect(&self, _id: u32, superseded: bool) -> bool {
        // The next poll shows an event only while it is its resource's latest.
        !superseded
    }

    fn effective_interval(&self) -> Option<Micros> {
        Some(self.effective())
    }
}
