//! The receiver's processing pool as a row books it: what a finite receiver makes of each
//! delivery, and when each event was first processed.
//!
//! Owns [`ReceiverPool`]: the queueing model ([`Workers`]) with its own random stream of
//! processing times, when each event the row holds was first processed, the processing latencies
//! of the events it retired, and those of the parked events whose processing is not folded yet.
//! Its one answer to a delivery, in both engines, is an [`Admission`]. Whether the pool is
//! modelled or real ([`PoolMode`]) is chosen when the row is built: the sim's model computes every
//! finish from the arrivals alone; the live engine's receiver holds each delivery for real, so the
//! pool only draws its processing time and books the finish the driver reports — the backlog and
//! the latencies are kept here either way, so neither driver keeps books. A row has a pool only
//! when the receiver's capacity is finite (unlimited workers with no processing time are
//! transparent: nothing to track). No sockets, no clock.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::model::capacity::{Ack, CapacityConfig, Workers};
use crate::model::dist::Rng;
use crate::model::source::EventLog;
use crate::strategy::books::{Processed, TimelineBooks};
use crate::support::ids::IdMap;
use crate::support::units::Micros;

/// Who processes what reaches the pool, fixed when the row is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolMode {
    /// The model: each finish follows from the arrivals (the sim, and a live row whose receiver
    /// does not hold deliveries, such as `hookbench receive`'s wiring or a test's).
    Modelled,
    /// The driver's own workers: the pool draws each processing time, the driver waits it out
    /// and reports the finish ([`ReceiverPool::done`]); the events the consumer fetches are
    /// handed over ([`ReceiverPool::take_handover`]) rather than processed by the model.
    Real,
}

/// When an accepted delivery's processing ends, as far as the pool's [`PoolMode`] can say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// A modelled pool: processing finishes at this time.
    At(Micros),
    /// A real pool: processing takes this long once a worker takes the delivery; the driver
    /// reports when it finished.
    After(Micros),
}

/// What a finite receiver made of a delivery, in either engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Not a delivery the processing pool sees (capacity unlimited, a fault, a thin payload):
    /// answered as the faults say.
    Untouched,
    /// An on-receipt queue was full: answered 503, nothing processed.
    Refused,
    /// Taken into the pool: answered 2xx once processed, or at once when `on_receipt`.
    Accepted {
        /// Answered on receipt (processed from the queue) rather than after processing.
        on_receipt: bool,
        /// When its processing ends.
        finish: Finish,
    },
}

/// A finite receiver's processing pool, as one row books it.
pub struct ReceiverPool {
    mode: PoolMode,
    workers: Workers,
    /// The draws of processing times.
    rng: Rng,
    /// When each event from the row's floor on was first processed (`Micros::MAX`: not yet);
    /// retired ones are folded into `processed` or parked.
    processed_at: VecDeque<Micros>,
    /// The processing latencies of retired events.
    processed: Processed,
    /// Parked events (retired past while still pending or processing) whose processing is not
    /// folded yet.
    parked: ParkedWork,
    /// A real pool's events fetched from the API, waiting to be handed to the driver's workers,
    /// with their drawn processing times (always empty in a modelled pool).
    handover: Vec<(u32, Micros)>,
    /// Ready events, their latencies and the peak backlog in time.
    timeline: TimelineBooks,
    /// The first bucket whose end's backlog is not noted yet.
    unclosed: usize,
}

impl ReceiverPool {
    /// The pool of `cfg`'s capacity for the row labelled `label`, drawing processing times from
    /// its own stream (`process/{label}`, so they do not shift the strategy's draws).
    /// Its timeline is cut in buckets `bucket` µs wide.
    pub fn new(cfg: &CapacityConfig, seed: u64, label: &str, mode: PoolMode, bucket: Micros) -> Self {
        ReceiverPool {
            mode,
            workers: Workers::new(cfg),
            rng: Rng::new(seed, &format!("process/{label}")),
            processed_at: VecDeque::new(),
            processed: Processed {
                hist: hdrhistogram::Histogram::new(3).expect("3 significant digits is a valid histogram"),
                sum_us: 0,
                max_us: 0,
                count: 0,
                peak_backlog: 0,
                rejected: 0,
                duplicates: 0,
            },
            parked: ParkedWork::default(),
            handover: Vec::new(),
            timeline: TimelineBooks::new(bucket),
            unclosed: 0,
        }
    }

    /// Notes the backlog at the end of every bucket that ended before `now`, before anything
    /// at `now` changes it: between arrivals and departures the waiting jobs only start, so
    /// the workers know the backlog at any earlier time since the last change.
    fn close_buckets(&mut self, now: Micros) {
        let width = self.timeline.width();
        let current = self.timeline.index(now);
        for i in self.unclosed..current {
            let end = (i as Micros + 1).saturating_mul(width) - 1;
            self.timeline.at(end).backlog_end = Some(self.workers.backlog_at(end));
        }
        self.unclosed = self.unclosed.max(current);
    }

    /// Notes the backlog at `now` in the timeline's peak.
    fn note_backlog(&mut self, now: Micros) {
        let waiting = self.workers.backlog(now);
        let b = self.timeline.at(now);
        b.backlog_peak = b.backlog_peak.max(waiting);
    }

    /// The consumer first got event `id` from the API (not from a delivery) at `now`; `floor` is
    /// the row's oldest held event. A modelled pool processes it; a real one draws its processing
    /// time and keeps it for [`ReceiverPool::take_handover`], counting it held until its finish
    /// is reported.
    pub fn fetched(&mut self, now: Micros, id: u32, floor: u32) {
        self.close_buckets(now);
        match self.mode {
            PoolMode::Modelled => {
                self.process(now, id, floor);
            }
            PoolMode::Real => {
                self.held_for_real(id, floor);
                let work = self.workers.arrive(now, &mut self.rng);
                self.note_backlog(now);
                self.handover.push((id, work));
            }
        }
    }

    /// A delivery of event `id` that the receiver takes reached it at `now`: refused when an
    /// on-receipt queue is full; else queued, its finish computed (modelled) or its processing
    /// time drawn for the driver to wait out (real).
    pub fn admit(&mut self, now: Micros, id: u32, floor: u32) -> Admission {
        self.close_buckets(now);
        if self.workers.refuses(now) {
            return Admission::Refused;
        }
        let on_receipt = self.workers.config().ack == Ack::OnReceipt;
        let finish = match self.mode {
            PoolMode::Modelled => Finish::At(self.process(now, id, floor)),
            PoolMode::Real => {
                self.held_for_real(id, floor);
                let work = self.workers.arrive(now, &mut self.rng);
                self.note_backlog(now);
                Finish::After(work)
            }
        };
        Admission::Accepted { on_receipt, finish }
    }

    /// A real pool's delivery or handed-over event `id` finished processing at `now`.
    pub fn done(&mut self, now: Micros, id: u32, floor: u32) {
        self.close_buckets(now);
        self.workers.depart();
        self.first_processed(id, floor, now);
    }

    /// The fetched events to hand to the real workers, in order, with their processing times
    /// (the poller is not held while they are processed).
    pub fn take_handover(&mut self) -> Vec<(u32, Micros)> {
        std::mem::take(&mut self.handover)
    }

    /// Hands event `id` to the modelled workers at `now`; returns when its processing finishes.
    fn process(&mut self, now: Micros, id: u32, floor: u32) -> Micros {
        if self.handed_before(id, floor) {
            self.processed.duplicates += 1;
        }
        let finish = self.workers.admit(now, &mut self.rng);
        self.note_backlog(now);
        self.first_processed(id, floor, finish);
        finish
    }

    /// A real pool takes event `id`: it is held (a later finish than any real time) until its
    /// finish is reported; a second job of an event already held is work done twice.
    fn held_for_real(&mut self, id: u32, floor: u32) {
        if self.handed_before(id, floor) {
            self.processed.duplicates += 1;
        } else {
            self.set_processed(id, floor, |_| HELD);
        }
    }

    /// Whether the workers were handed event `id` before: its slot has a finish (or is held), or
    /// it was retired already — an event retires only once no attempt can bring it again, or
    /// processed (parked events keep their slot).
    fn handed_before(&self, id: u32, floor: u32) -> bool {
        match id.checked_sub(floor) {
            Some(i) => self.processed_at.get(i as usize).is_some_and(|&at| at != Micros::MAX),
            None => self.parked.finish(id).is_none_or(|at| at != Micros::MAX),
        }
    }

    /// Sets when event `id` was first processed to `f` of what it was: in its slot if the row
    /// holds it (`floor..`), else if it is parked.
    fn set_processed(&mut self, id: u32, floor: u32, f: impl FnOnce(Micros) -> Micros) {
        match id.checked_sub(floor) {
            Some(i) => {
                let i = i as usize;
                if i >= self.processed_at.len() {
                    self.processed_at.resize(i + 1, Micros::MAX);
                }
                let slot = &mut self.processed_at[i];
                *slot = f(*slot);
            }
            None => self.parked.set(id, f),
        }
    }

    /// Event `id` was processed at `at`: kept if it is the first time (a retry is processed
    /// again, but the event counts as processed when it first was).
    fn first_processed(&mut self, id: u32, floor: u32, at: Micros) {
        self.set_processed(id, floor, |first| first.min(at));
    }

    /// Whether anything is still being processed at `now`: a held or parked event whose
    /// processing finishes later, or a job the driver holds for real.
    pub fn busy(&self, now: Micros) -> bool {
        let working = |&at: &Micros| at != Micros::MAX && at > now;
        self.processed_at.iter().any(working)
            || self.parked.by_id.values().any(|(_, at)| working(at))
            || self.workers.held() > 0
    }

    /// Whether the row's oldest held event is being processed at `now` (then it retires only
    /// by parking).
    pub fn processing_oldest(&self, now: Micros) -> bool {
        let at = self.processed_at.front().copied().unwrap_or(Micros::MAX);
        at != Micros::MAX && at > now
    }

    /// The row's oldest held event, `id`, which happened at `happened`, retires at `now`: its
    /// processing latency is folded if it is done; it is parked while processing is under way,
    /// or while it was never processed and an attempt that may start it is still `pending`.
    pub fn retire_oldest(&mut self, id: u32, happened: Micros, pending: bool, now: Micros) {
        match self.processed_at.pop_front().unwrap_or(Micros::MAX) {
            // Never processed, and no attempt left to do it.
            Micros::MAX if !pending => {}
            at if at <= now => fold(&mut self.processed, &mut self.timeline, happened, at),
            at => self.parked.insert(id, happened, at),
        }
    }

    /// Folds the parked processing done by `now`, and drops the parked events never processed
    /// that are no longer `pending` at the emitter (they never will be).
    pub fn settle_parked(&mut self, now: Micros, pending: impl Fn(u32) -> bool) {
        let ReceiverPool { parked, processed, timeline, .. } = self;
        parked.settle(now, pending, |happened, at| fold(processed, timeline, happened, at));
    }

    /// Parked events whose processing is not folded yet (each keeps a map entry).
    pub fn parked(&self) -> usize {
        self.parked.by_id.len()
    }

    /// The processing books at `end`: the retired latencies, plus those of the held events
    /// (`floor..`, times from `log`) and the parked ones processed by then, with the pool's peak
    /// backlog and refusals.
    /// Its timeline comes back beside them, the backlog at the end of every bucket to `end`'s noted.
    pub fn finish(mut self, log: &EventLog, floor: u32, end: Micros) -> (Processed, TimelineBooks) {
        self.close_buckets(end.saturating_add(self.timeline.width()));
        let (mut p, mut t) = (self.processed, self.timeline);
        for &(happened, at) in self.parked.by_id.values() {
            if at <= end {
                fold(&mut p, &mut t, happened, at);
            }
        }
        for (id, &at) in (floor..).zip(&self.processed_at) {
            if at <= end {
                fold(&mut p, &mut t, log.get(id).at, at);
            }
        }
        p.peak_backlog = self.workers.peak_backlog();
        p.rejected = self.workers.rejected();
        (p, t)
    }
}

/// The parked events whose processing is not folded yet, by id: the event's time and when it was
/// first processed (`Micros::MAX`: not yet); beside them, the finishes in time order, so that
/// folding those done by a time reads only those (a flash sale's webhook row parks over a
/// thousand events at once and folds a handful at a time), and the ids parked before any
/// processing, which wait for an attempt.
#[derive(Default)]
struct ParkedWork {
    by_id: IdMap<(Micros, Micros)>,
    /// `(finish, id)`, earliest first, for the finishes known (not [`HELD`]). An entry whose event
    /// was folded since, or whose first processing has moved earlier, is stale and skipped.
    finishes: BinaryHeap<Reverse<(Micros, u32)>>,
    /// Ids parked never processed; one processed since is dropped at the next settling.
    unprocessed: Vec<u32>,
}

impl ParkedWork {
    /// Parks event `id`, which happened at `happened` and was first processed at `at`.
    fn insert(&mut self, id: u32, happened: Micros, at: Micros) {
        self.by_id.insert(id, (happened, at));
        self.noted(id, at);
    }

    /// Files `id`'s first processing `at` where settling looks for it (nowhere while a real pool
    /// holds it: its finish is filed when reported).
    fn noted(&mut self, id: u32, at: Micros) {
        match at {
            Micros::MAX => self.unprocessed.push(id),
            HELD => {}
            at => self.finishes.push(Reverse((at, id))),
        }
    }

    /// When parked event `id` was first processed, if it is parked.
    fn finish(&self, id: u32) -> Option<Micros> {
        self.by_id.get(&id).map(|&(_, at)| at)
    }

    /// Sets when parked event `id` was first processed to `f` of what it was (nothing if it is
    /// not parked).
    fn set(&mut self, id: u32, f: impl FnOnce(Micros) -> Micros) {
        let Some((_, at)) = self.by_id.get_mut(&id) else { return };
        let new = f(*at);
        if new != *at {
            *at = new;
            self.noted(id, new);
        }
    }

    /// Folds (with `fold(happened, at)`) and unparks every event first processed by `now`, and
    /// unparks those never processed that are no longer `pending`.
    fn settle(&mut self, now: Micros, pending: impl Fn(u32) -> bool, mut fold: impl FnMut(Micros, Micros)) {
        while let Some(&Reverse((at, id))) = self.finishes.peek() {
            if at > now {
                break;
            }
            self.finishes.pop();
            if let Some(&(happened, first)) = self.by_id.get(&id) {
                if first == at {
                    self.by_id.remove(&id);
                    fold(happened, at);
                }
            }
        }
        let by_id = &mut self.by_id;
        self.unprocessed.retain(|&id| match by_id.get(&id) {
            Some(&(_, Micros::MAX)) if pending(id) => true,
            Some(&(_, Micros::MAX)) => {
                by_id.remove(&id);
                false
            }
            _ => false,
        });
    }
}

/// The slot of an event a real pool holds until its finish is reported: later than any real
/// time, so it counts as being processed, and never folded as a latency.
const HELD: Micros = Micros::MAX - 1;

/// Records the processing latency of an event that happened at `happened` and was first
/// processed at `at`, in the books and in the timeline.
fn fold(p: &mut Processed, t: &mut TimelineBooks, happened: Micros, at: Micros) {
    let lat = at - happened;
    t.ready(happened, at);
    let _ = p.hist.record(lat);
    p.sum_us += u128::from(lat);
    p.max_us = p.max_us.max(lat);
    p.count += 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dist::Delay;
    use crate::support::units::SECOND;

    /// The two modes are one pool: from the same arrivals they refuse the same deliveries and
    /// draw the same processing times; only who waits them out differs.
    #[test]
    fn a_modelled_and_a_real_pool_refuse_alike_and_draw_the_same_work() {
        let cfg = CapacityConfig {
            workers: Some(1),
            process: Delay::LogNormal { median: 5 * SECOND, p99: 20 * SECOND },
            ack: Ack::OnReceipt,
            queue_limit: Some(1),
        };
        let mut modelled = ReceiverPool::new(&cfg, 7, "t", PoolMode::Modelled, SECOND);
        let mut real = ReceiverPool::new(&cfg, 7, "t", PoolMode::Real, SECOND);
        let mut both = |id| (modelled.admit(10, id, 0), real.admit(10, id, 0));
        let pair = |a| match a {
            Admission::Accepted { on_receipt: true, finish: Finish::At(at) } => at,
            Admission::Accepted { on_receipt: true, finish: Finish::After(work) } => work,
            other => panic!("{other:?}"),
        };
        let (m, r) = both(0);
        let (first, w1) = (pair(m), pair(r));
        assert_eq!(first, 10 + w1, "a free worker starts at once");
        let (m, r) = both(1);
        assert_eq!(pair(m), first + pair(r), "the second waits for the one worker");
        assert_eq!(both(2), (Admission::Refused, Admission::Refused), "one already waits");
        assert!(modelled.busy(first));
        real.done(first, 0, 0);
        assert!(real.busy(first), "the second is still held");
        real.done(first + 1, 1, 0);
        assert!(!real.busy(first + 1));
    }

    /// The parked work settles as a scan of every parked event would: the same events folded
    /// (with the same times) and the same dropped, through parking, first processing moved
    /// earlier, held for real, and the emitter giving up on events never processed.
    #[test]
    fn parked_work_settles_as_a_scan_of_every_parked_event() {
        use std::collections::HashMap;
        for seed in 0..40 {
            let mut rng = Rng::new(seed, "parked");
            let (mut work, mut scan) = (ParkedWork::default(), HashMap::<u32, (Micros, Micros)>::new());
            let mut given_up = std::collections::HashSet::new();
            let (mut next_id, mut now) = (0u32, 0 as Micros);
            let (mut folded, mut scanned) = (Vec::new(), Vec::new());
            for _ in 0..600 {
                now += Micros::from(rng.below(50));
                match rng.below(6) {
                    0 | 1 => {
                        let at = match rng.below(4) {
                            0 => Micros::MAX,
                            _ => now + Micros::from(rng.below(400)),
                        };
                        work.insert(next_id, now, at);
                        scan.insert(next_id, (now, at));
                        next_id += 1;
                    }
                    2 if next_id > 0 => {
                        // A retry processed (perhaps earlier), or a real pool holding it.
                        let id = rng.below(next_id);
                        let to = match rng.below(3) {
                            0 => HELD,
                            _ => now + Micros::from(rng.below(300)),
                        };
                        let f = |first: Micros| {
                            if to == HELD && first == Micros::MAX {
                                HELD
                            } else {
                                first.min(to)
                            }
                        };
                        work.set(id, f);
                        if let Some(w) = scan.get_mut(&id) {
                            w.1 = f(w.1);
                        }
                    }
                    3 if next_id > 0 => {
                        given_up.insert(rng.below(next_id));
                    }
                    _ => {
                        let pending = |id: u32| !given_up.contains(&id);
                        work.settle(now, pending, |h, at| folded.push((h, at)));
                        scan.retain(|&id, &mut (h, at)| match at {
                            Micros::MAX => pending(id),
                            at if at <= now => {
                                scanned.push((h, at));
                                false
                            }
                            _ => true,
                        });
                        let mut held: Vec<_> = work.by_id.iter().map(|(&id, &w)| (id, w)).collect();
                        let mut want: Vec<_> = scan.iter().map(|(&id, &w)| (id, w)).collect();
                        held.sort_unstable();
                        want.sort_unstable();
                        assert_eq!(held, want, "seed {seed}: what stays parked");
                    }
                }
            }
            folded.sort_unstable();
            scanned.sort_unstable();
            assert_eq!(folded, scanned, "seed {seed}: what was folded");
            assert!(!folded.is_empty(), "seed {seed}: the test folds something");
        }
    }
}
