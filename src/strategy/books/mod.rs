//! Per-strategy measurement: what each event's fate was and what it cost.
//!
//! Owns the accumulators of DESIGN.md §4 for one strategy run — detection latency in an
//! HdrHistogram (µs, 3 significant digits) with an exact sum for the mean, every event's status,
//! duplicates, out-of-order detections, request and delivery counts, throttled time and bytes —
//! and the conservation check that ends a run: every event is exactly one of detected, missed or
//! still in flight. A breach is returned as an error, never folded into a number.
//!
//! Statuses are kept only for the events the row may still settle: from the row's floor (the
//! event log's, see [`crate::model::source`]) on. As the row retires an event
//! ([`Books::retire`]) its status folds into counts — detected, declared missed, or missed
//! for good (it was undetected and nothing could still reach it) — so memory follows the
//! backlog, and the conservation check at the end adds the folded counts to the held ones.

use std::collections::{HashMap, VecDeque};

use hdrhistogram::Histogram;

use crate::model::source::EventLog;
use crate::support::units::Micros;

pub mod timeline;

pub use self::timeline::TimelineBooks;

const UNSEEN: u8 = 0;
const DETECTED: u8 = 1;
const MISSED: u8 = 2;

/// What became of an event nobody detected by the end of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// It can no longer be detected.
    Missed,
    /// It could still be: a retry, a poll or a fetch was on its way.
    InFlight,
}

/// Event accounting: `detected + missed + in_flight == total`, checked on every run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EventCounts {
    /// Produced by the source.
    pub total: u64,
    /// Detected.
    pub detected: u64,
    /// Never detected and no longer detectable.
    pub missed: u64,
    /// Not yet detected at the end, but still on its way.
    pub in_flight: u64,
    /// Deliveries of an event already received.
    pub duplicates: u64,
    /// Detected after a later event of the same resource.
    pub out_of_order: u64,
}

/// API request counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestCounts {
    /// Requests made.
    pub total: u64,
    /// Requests that brought nothing new.
    pub wasted: u64,
    /// 304 answers.
    pub not_modified: u64,
    /// 429 answers.
    pub throttled: u64,
    /// Failed requests: 5xx answers and connection failures.
    pub failed: u64,
    /// Times the circuit breaker opened.
    pub breaker_openings: u64,
    /// Calls the open breaker saved.
    pub breaker_saved: u64,
}

/// Webhook delivery counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookCounts {
    /// Attempts made.
    pub attempts: u64,
    /// Events delivered (a 2xx came back).
    pub delivered: u64,
    /// Attempts that failed (refused, 5xx, timed out).
    pub failed: u64,
    /// Attempts that were retries.
    pub retried: u64,
    /// Events that went to the dead-letter queue.
    pub dead_lettered: u64,
}

/// The accumulators of one strategy run.
pub struct Books {
    window_end: Micros,
    /// Statuses of events `offset..offset + status.len()`; later ones are unseen, earlier ones
    /// retired into `retired`.
    status: VecDeque<u8>,
    offset: u32,
    /// Retired events: detected, declared missed, missed for good when retired.
    retired: [u64; 3],
    /// Highest version detected per resource (0: none).
    high_version: Vec<u32>,
    hist: Histogram<u64>,
    sum_us: u128,
    max_us: u64,
    detected: u64,
    declared_missed: u64,
    duplicates: u64,
    out_of_order: u64,
    /// API requests.
    pub requests: RequestCounts,
    /// Webhook deliveries.
    pub webhooks: WebhookCounts,
    throttled_us: Micros,
    throttled_until: Micros,
    /// Bytes the consumer received.
    pub bytes_received: u64,
    /// Bytes the consumer sent.
    pub bytes_sent: u64,
    violations: Vec<String>,
    /// First detections since the last [`Books::take_fresh`], when processing is tracked.
    fresh: Option<Vec<u32>>,
    /// Events retired past while still undetected and awaiting a webhook attempt
    /// ([`Books::park`]): what detecting one still needs, by id.
    parked: HashMap<u32, Parked>,
    /// The run in time, when kept ([`Books::keep_timeline`]).
    timeline: Option<TimelineBooks>,
}

/// What detecting a parked event still needs: when it happened and which version of which
/// resource it made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parked {
    /// When it happened.
    pub at: Micros,
    /// The resource it moved.
    pub resource: u32,
    /// The resource's version after it.
    pub version: u32,
}

/// Processing at a receiver with finite capacity: when each event was first processed.
#[derive(Debug, Clone)]
pub struct Processed {
    /// Event → processing finished, µs.
    pub hist: Histogram<u64>,
    /// Exact sum of those latencies, µs.
    pub sum_us: u128,
    /// Exact largest, µs.
    pub max_us: u64,
    /// Events processed by the end.
    pub count: u64,
    /// The most jobs that waited for a worker at once.
    pub peak_backlog: u64,
    /// Deliveries answered 503 because the queue was full.
    pub rejected: u64,
    /// Jobs processed again for an event the workers had already been handed (a retry of a
    /// delivery the sender gave up on while it waited or was processed): work done twice.
    pub duplicates: u64,
}

/// The settled outcome of one strategy run.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Latency histogram, µs.
    pub hist: Histogram<u64>,
    /// Exact sum of latencies, µs.
    pub sum_us: u128,
    /// Exact largest latency, µs.
    pub max_us: u64,
    /// What became of the events.
    pub events: EventCounts,
    /// API requests.
    pub requests: RequestCounts,
    /// Webhook deliveries.
    pub webhooks: WebhookCounts,
    /// Time spent throttled inside the window.
    pub throttled_us: Micros,
    /// Bytes received.
    pub bytes_received: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Processing, when the receiver's capacity is finite.
    pub processed: Option<Processed>,
    /// The run in time, when the row kept one.
    pub timeline: Option<TimelineBooks>,
}

impl Books {
    /// A recorder over `log`'s resources; costs count inside `[0, window_end)`.
    pub fn new(log: &EventLog, window_end: Micros) -> Self {
        Books {
            window_end,
            status: VecDeque::new(),
            offset: log.floor(),
            retired: [0; 3],
            high_version: vec![0; log.resources() as usize],
            // Auto-resizing; 3 significant digits.
            hist: Histogram::new(3).expect("3 significant digits is a valid histogram"),
            sum_us: 0,
            max_us: 0,
            detected: 0,
            declared_missed: 0,
            duplicates: 0,
            out_of_order: 0,
            requests: RequestCounts::default(),
            webhooks: WebhookCounts::default(),
            throttled_us: 0,
            throttled_until: 0,
            bytes_received: 0,
            bytes_sent: 0,
            violations: Vec::new(),
            fresh: None,
            parked: HashMap::new(),
            timeline: None,
        }
    }

    /// Keeps a timeline of buckets `width` µs wide from now on.
    pub fn keep_timeline(&mut self, width: Micros) {
        self.timeline = Some(TimelineBooks::new(width));
    }

    /// The timeline, when kept.
    pub fn timeline_mut(&mut self) -> Option<&mut TimelineBooks> {
        self.timeline.as_mut()
    }

    /// An event that happened at `at` left the row's hands (retired, parked or settled): it
    /// counts in the timeline's bucket of `at`.
    pub fn happened(&mut self, at: Micros) {
        if let Some(t) = self.timeline.as_mut() {
            t.at(at).happened += 1;
        }
    }

    /// Events detected so far.
    pub fn detected(&self) -> u64 {
        self.detected
    }

    /// Events of `log` held and neither detected nor declared missed so far, in id order (events
    /// of a type nobody wants are no one's to settle).
    pub fn unsettled<'s>(&'s self, log: &'s EventLog) -> impl Iterator<Item = u32> + 's {
        let held = self.offset + self.status.len() as u32;
        let held_open = self
            .status
            .iter()
            .enumerate()
            .filter(|(_, st)| **st == UNSEEN)
            .map(|(i, _)| self.offset + i as u32);
        held_open.chain(held..(log.len() as u32).max(held)).filter(move |&id| !log.unwanted_id(id))
    }

    /// How many held events of `log` are neither detected nor declared missed.
    pub fn unsettled_count(&self, log: &EventLog) -> u64 {
        log.len() as u64 - log.unwanted() - self.detected - self.declared_missed - self.retired[2]
    }

    /// Whether `id` has been detected (a retired event counts as settled: true).
    pub fn is_detected(&self, id: u32) -> bool {
        match id.checked_sub(self.offset) {
            None => true,
            Some(i) => self.status.get(i as usize) == Some(&DETECTED),
        }
    }

    /// Whether `id` is detected or declared missed (a retired event is).
    pub fn is_settled(&self, id: u32) -> bool {
        match id.checked_sub(self.offset) {
            None => true,
            Some(i) => self.status.get(i as usize).is_some_and(|&st| st != UNSEEN),
        }
    }

    /// The lowest id not yet retired.
    pub fn offset(&self) -> u32 {
        self.offset
    }

    /// Retires event [`Books::offset`]: its status folds into the counts; an event neither
    /// detected nor declared missed is missed for good (the caller knows nothing can reach it).
    pub fn retire(&mut self) {
        let st = self.status.pop_front().unwrap_or(UNSEEN);
        let k = match st {
            DETECTED => 0,
            MISSED => 1,
            _ => 2,
        };
        self.retired[k] += 1;
        self.offset += 1;
    }

    /// Retires event [`Books::offset`], of a type nobody wants: it counts nowhere.
    pub fn retire_unwanted(&mut self) {
        self.status.pop_front();
        self.offset += 1;
    }

    /// Retires event [`Books::offset`], still undetected, into the side map: a webhook
    /// attempt may still detect it ([`Books::detect`] reads `facts`), and until one does it
    /// stays unsettled ([`Books::finish`] asks its fate).
    pub fn park(&mut self, facts: Parked) {
        let st = self.status.pop_front().unwrap_or(UNSEEN);
        debug_assert_eq!(st, UNSEEN, "only an undetected event is parked");
        self.parked.insert(self.offset, facts);
        self.offset += 1;
    }

    /// Events parked and not yet detected or dropped.
    pub fn parked(&self) -> usize {
        self.parked.len()
    }

    /// Drops the parked events `keep` says nothing can reach any more: missed for good.
    pub fn drop_parked(&mut self, mut keep: impl FnMut(u32) -> bool) {
        let before = self.parked.len();
        self.parked.retain(|&id, _| keep(id));
        self.retired[2] += (before - self.parked.len()) as u64;
    }

    /// The status slot of held event `id` (growing the window up to it).
    fn slot(&mut self, id: u32) -> Option<&mut u8> {
        let i = self.held(id)?;
        Some(&mut self.status[i])
    }

    /// The index of held event `id`'s status (growing the window up to it); `None` for a retired
    /// one. The window grows by one event at a time as a rule, and a push is the cheap way to.
    #[inline]
    fn held(&mut self, id: u32) -> Option<usize> {
        let i = id.checked_sub(self.offset)? as usize;
        while self.status.len() <= i {
            self.status.push_back(UNSEEN);
        }
        Some(i)
    }

    /// The consumer now holds event `id`'s full data. True if this is its first detection.
    pub fn detect(&mut self, log: &EventLog, id: u32, now: Micros) -> bool {
        if id as usize >= log.len() {
            self.violations.push(format!("event {id} detected but the source never produced it"));
            return false;
        }
        if log.unwanted_id(id) {
            // Fetched with the rest, of a type the integration does not want: nothing new.
            return false;
        }
        let held = self.held(id);
        let e = match held.map(|i| self.status[i]) {
            Some(DETECTED) => return false,
            Some(MISSED) => {
                self.violations.push(format!("event {id} detected after it was declared missed"));
                return false;
            }
            Some(_) => {
                let e = log.get(id);
                Parked { at: e.at, resource: e.resource, version: e.version }
            }
            // Retired: settled long ago, unless parked.
            None => match self.parked.get(&id) {
                Some(&p) => p,
                None => return false,
            },
        };
        if now < e.at {
            self.violations
                .push(format!("event {id} detected at {now} µs, before it happened at {} µs", e.at));
            return false;
        }
        match held {
            Some(i) => self.status[i] = DETECTED,
            None => {
                self.parked.remove(&id);
                self.retired[0] += 1;
            }
        }
        if let Some(fresh) = self.fresh.as_mut() {
            fresh.push(id);
        }
        let lat = now - e.at;
        if self.hist.record(lat).is_err() {
            self.violations.push(format!("latency {lat} µs could not be recorded"));
        }
        self.sum_us += u128::from(lat);
        self.max_us = self.max_us.max(lat);
        self.detected += 1;
        if let Some(t) = self.timeline.as_mut() {
            t.at(now).detected += 1;
            if self.fresh.is_none() {
                // An unlimited receiver: ready when detected.
                t.ready(e.at, now);
            }
        }
        let hv = &mut self.high_version[e.resource as usize];
        if *hv > e.version {
            self.out_of_order += 1;
        } else {
            *hv = e.version;
        }
        true
    }

    /// Resource `resource`'s versions strictly between `seen` and `now_at` were overwritten
    /// before anyone saw them: those events are missed.
    /// Retired ones are settled already.
    pub fn overwritten(&mut self, log: &EventLog, resource: u32, seen: u32, now_at: u32) {
        if now_at <= seen + 1 {
            return;
        }
        log.versions_between(resource, seen, now_at, |id| {
            if log.unwanted_id(id) {
                return;
            }
            let Some(&mut st) = self.slot(id) else { return };
            match st {
                UNSEEN => {
                    if let Some(st) = self.slot(id) {
                        *st = MISSED;
                    }
                    self.declared_missed += 1;
                }
                DETECTED => self.violations.push(format!("event {id} declared missed after it was detected")),
                _ => {}
            }
        });
    }

    /// A delivery of an event the consumer already had.
    pub fn duplicate(&mut self) {
        self.duplicates += 1;
    }

    /// The consumer was held back by a 429 from `from` to `until`; the part inside the window
    /// and not already counted adds to throttled time.
    pub fn throttled(&mut self, from: Micros, until: Micros) {
        let start = from.max(self.throttled_until);
        let end = until.min(self.window_end);
        if end > start {
            self.throttled_us += end - start;
        }
        self.throttled_until = self.throttled_until.max(until);
    }

    /// Accounts one answered API request: `new` events it brought (0 makes it wasted).
    pub fn answer(&mut self, status: crate::model::api::Status, new: u64, bytes_up: u64, bytes_down: u64) {
        use crate::model::api::Status;
        let r = &mut self.requests;
        r.total += 1;
        match status {
            Status::NotModified => r.not_modified += 1,
            Status::TooManyRequests => r.throttled += 1,
            Status::Unavailable => r.failed += 1,
            _ => {}
        }
        if new == 0 {
            r.wasted += 1;
        }
        self.bytes_sent += bytes_up;
        self.bytes_received += bytes_down;
    }

    /// Accounts the answer `resp` once the strategy has seen it; `detected_before` is
    /// [`Books::detected`] from just before. An answer that opened an event stream is never
    /// wasted: the events come over it.
    /// The answer reached the consumer at `now` (its timeline bucket).
    #[inline]
    pub fn account(&mut self, now: Micros, resp: &crate::model::api::Response, detected_before: u64) {
        use crate::model::api::Status;
        let new = (self.detected - detected_before).max(u64::from(resp.opens_stream()));
        self.answer(resp.status, new, resp.bytes_up, resp.bytes_down);
        if let Some(t) = self.timeline.as_mut() {
            let b = t.at(now);
            b.requests += 1;
            b.throttled += u64::from(resp.status == Status::TooManyRequests);
            b.failed += u64::from(resp.status == Status::Unavailable);
        }
    }

    /// Keeps a list of first detections from now on (for processing at a finite receiver).
    pub fn track_fresh(&mut self) {
        self.fresh.get_or_insert_with(Vec::new);
    }

    /// The first detections since the last call, emptied.
    pub fn take_fresh(&mut self) -> Vec<u32> {
        self.fresh.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Records a violation of the model's invariants found by a driver.
    pub fn violation(&mut self, what: String) {
        self.violations.push(what);
    }

    /// Settles every undetected event of `log` with `fate` and checks conservation.
    pub fn finish(self, log: &EventLog, mut fate: impl FnMut(u32) -> Fate) -> Result<Outcome, String> {
        let [mut detected_status, mut missed, lost] = self.retired;
        missed += lost;
        let mut in_flight = 0u64;
        let held = self.offset + self.status.len() as u32;
        let statuses = self.status.iter().copied().chain((held..log.len() as u32).map(|_| UNSEEN));
        let mut parked: Vec<u32> = self.parked.keys().copied().collect();
        parked.sort_unstable();
        for id in parked {
            match fate(id) {
                Fate::Missed => missed += 1,
                Fate::InFlight => in_flight += 1,
            }
        }
        for (id, st) in (self.offset..).zip(statuses) {
            if log.unwanted_id(id) {
                continue;
            }
            match st {
                DETECTED => detected_status += 1,
                MISSED => missed += 1,
                _ => match fate(id) {
                    Fate::Missed => missed += 1,
                    Fate::InFlight => in_flight += 1,
                },
            }
        }
        let mut violations = self.violations;
        // Events of a type nobody wants are not produced for anyone.
        let total = log.len() as u64 - log.unwanted();
        if detected_status != self.detected || self.hist.len() != self.detected {
            violations.push(format!(
                "detections disagree: {} counted, {} marked, {} in the histogram",
                self.detected,
                detected_status,
                self.hist.len()
            ));
        }
        if self.detected + missed + in_flight != total {
            violations.push(format!(
                "conservation broken: {} detected + {missed} missed + {in_flight} in flight ≠ {total} produced",
                self.detected
            ));
        }
        if missed < self.declared_missed {
            violations.push("fewer missed events than were declared missed".into());
        }
        if !violations.is_empty() {
            let n = violations.len();
            violations.truncate(3);
            return Err(format!("{} ({n} violation(s) in all)", violations.join("; ")));
        }
        Ok(Outcome {
            hist: self.hist,
            sum_us: self.sum_us,
            max_us: self.max_us,
            events: EventCounts {
                total,
                detected: self.detected,
                missed,
                in_flight,
                duplicates: self.duplicates,
                out_of_order: self.out_of_order,
            },
            requests: self.requests,
            webhooks: self.webhooks,
            throttled_us: self.throttled_us,
            bytes_received: self.bytes_received,
            bytes_sent: self.bytes_sent,
            processed: None,
            timeline: self.timeline,
        })
    }
}

#[cfg(test)]
mod tests;
