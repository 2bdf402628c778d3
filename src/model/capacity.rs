//! Capacity: a receiver that can be overwhelmed and a provider pipeline that paces deliveries.
//!
//! Owns two queueing models and their configuration. [`Workers`] is the receiver's processing
//! pool: `workers` servers taking deliveries (and events the pollers hand over) first come, first
//! served, each for a sampled processing time; its finish times follow from the arrivals alone
//! (the Kiefer–Wolfowitz recursion: a job starts when it arrives or when the earliest worker frees,
//! whichever is later), so no event is needed to run it. [`Pipeline`] is the provider's delivery
//! pipeline for one endpoint: at most `max_in_flight` attempts outstanding, at most `throughput`
//! per second sent, the rest waiting in order of due time. With the defaults — unlimited workers,
//! no processing time, no caps — both are transparent and every result is what it was without
//! them. No sockets, no clock.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::model::dist::{Delay, DrawAhead, Rng};
use crate::support::queue::TimedQueue;
use crate::support::units::{Micros, Rate};

/// When the receiver answers a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Ack {
    /// Process, then answer: a delivery waiting longer than the sender's timeout is retried.
    #[default]
    AfterProcessing,
    /// Answer 2xx at once and process from a queue (503 when the queue is full).
    OnReceipt,
}

/// The receiver's processing capacity (`[receiver]` `workers`, `process`, `ack`, `queue_limit`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityConfig {
    /// Deliveries processed at once; `None` is unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<u32>,
    /// Work per delivery.
    #[serde(
        serialize_with = "crate::model::dist::delay_secs",
        deserialize_with = "crate::model::dist::de_delay_secs"
    )]
    pub process: Delay,
    /// When the receiver answers.
    pub ack: Ack,
    /// With `ack = "on-receipt"`, deliveries waiting beyond this are answered 503.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_limit: Option<u64>,
}

impl Default for CapacityConfig {
    fn default() -> Self {
        CapacityConfig {
            workers: None,
            process: Delay::Fixed(0),
            ack: Ack::AfterProcessing,
            queue_limit: None,
        }
    }
}

impl CapacityConfig {
    /// Whether processing costs anything: with unlimited workers and no processing time it is
    /// transparent (today's model) and nothing is tracked.
    pub fn is_transparent(&self) -> bool {
        self.workers.is_none() && self.process == Delay::Fixed(0)
    }
}

/// The receiver's processing pool.
#[derive(Debug, Clone)]
pub struct Workers {
    cfg: CapacityConfig,
    /// `cfg.process`, drawn ahead in batches from the stream every call is given, which must be
    /// the pool's alone (a processing time is the same draw either way).
    process: DrawAhead,
    /// When each busy worker frees (at most `workers` entries).
    free_at: BinaryHeap<Reverse<Micros>>,
    /// Start times of jobs still waiting for a worker (non-decreasing: first come, first served).
    waiting: VecDeque<Micros>,
    peak_waiting: u64,
    rejected: u64,
    /// Jobs a live receiver holds for real (arrived, not yet finished): see [`Workers::arrive`].
    in_system: u64,
}

impl Workers {
    /// A pool with `cfg`'s capacity.
    pub fn new(cfg: &CapacityConfig) -> Self {
        Workers {
            cfg: cfg.clone(),
            process: DrawAhead::new(cfg.process.sampler()),
            free_at: BinaryHeap::new(),
            waiting: VecDeque::new(),
            peak_waiting: 0,
            rejected: 0,
            in_system: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &CapacityConfig {
        &self.cfg
    }

    /// Jobs waiting for a worker at `now`: those the recursion scheduled to start later, and
    /// those a live receiver holds beyond its `workers` (first come, first served, so the jobs
    /// in the system beyond the servers are exactly the ones waiting).
    pub fn backlog(&mut self, now: Micros) -> u64 {
        while self.waiting.front().is_some_and(|&s| s <= now) {
            self.waiting.pop_front();
        }
        self.waiting.len() as u64 + self.held_waiting()
    }

    /// Jobs waiting for a worker at `t`, not before the last arrival: [`Workers::backlog`]
    /// without forgetting those that started by then.
    pub fn backlog_at(&self, t: Micros) -> u64 {
        self.waiting.iter().filter(|&&s| s > t).count() as u64 + self.held_waiting()
    }

    /// Of the jobs held for real, those beyond the workers.
    fn held_waiting(&self) -> u64 {
        match self.cfg.workers {
            Some(c) => self.in_system.saturating_sub(u64::from(c)),
            None => 0,
        }
    }

    /// A live receiver took a job at `now` and will hold it for real: its processing time,
    /// drawn here from `rng`, the pool's own stream. The job counts as in the system until
    /// [`Workers::depart`]; the driver only waits, the books are kept here.
    pub fn arrive(&mut self, now: Micros, rng: &mut Rng) -> Micros {
        let work = self.process.sample(rng);
        self.in_system += 1;
        let backlog = self.backlog(now);
        self.peak_waiting = self.peak_waiting.max(backlog);
        work
    }

    /// A job taken by [`Workers::arrive`] finished processing.
    pub fn depart(&mut self) {
        self.in_system = self.in_system.saturating_sub(1);
    }

    /// Jobs a live receiver holds (arrived, not yet finished).
    pub fn held(&self) -> u64 {
        self.in_system
    }

    /// Whether an on-receipt receiver must refuse a delivery at `now` (queue full). Counts it.
    pub fn refuses(&mut self, now: Micros) -> bool {
        let full =
            self.cfg.ack == Ack::OnReceipt && self.cfg.queue_limit.is_some_and(|q| self.backlog(now) >= q);
        self.rejected += u64::from(full);
        full
    }

    /// A job arrives at `now`: when it finishes processing (its time drawn from `rng`, the pool's
    /// own stream).
    pub fn admit(&mut self, now: Micros, rng: &mut Rng) -> Micros {
        let work = self.process.sample(rng);
        let Some(c) = self.cfg.workers else { return now + work };
        let start = if self.free_at.len() < c as usize {
            now
        } else {
            let Reverse(earliest) = self.free_at.pop().unwrap_or(Reverse(now));
            earliest.max(now)
        };
        let finish = start + work;
        self.free_at.push(Reverse(finish));
        let waiting = self.backlog(now);
        if start > now {
            self.waiting.push_back(start);
            self.peak_waiting = self.peak_waiting.max(waiting + 1);
        }
        finish
    }

    /// The most jobs that waited for a worker at once.
    pub fn peak_backlog(&self) -> u64 {
        self.peak_waiting
    }

    /// Deliveries answered 503 because the queue was full.
    pub fn rejected(&self) -> u64 {
        self.rejected
    }
}

/// The time between two sends at `throughput` (at least 1 µs).
pub fn send_gap(throughput: Rate) -> Micros {
    (throughput.per as f64 / throughput.count).round().max(1.0) as Micros
}

/// The provider's delivery pipeline for one endpoint (`[webhook]` `max_in_flight`, `throughput`).
pub struct Pipeline {
    max_in_flight: Option<u32>,
    /// Time between two sends at the throughput limit.
    gap: Option<Micros>,
    in_flight: u32,
    /// The earliest the next attempt may be sent.
    next_send: Micros,
    queue: TimedQueue<Micros, (u32, u32)>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("max_in_flight", &self.max_in_flight)
            .field("gap", &self.gap)
            .field("in_flight", &self.in_flight)
            .field("waiting", &self.queue.len())
            .finish()
    }
}

impl Pipeline {
    /// A pipeline with these caps (`None`: unlimited).
    pub fn new(max_in_flight: Option<u32>, throughput: Option<Rate>) -> Self {
        let gap = throughput.map(send_gap);
        Pipeline { max_in_flight, gap, in_flight: 0, next_send: 0, queue: TimedQueue::with_capacity(16) }
    }

    /// Attempt `n` of event `id` is due at `due`: it joins the queue.
    pub fn offer(&mut self, due: Micros, id: u32, n: u32) {
        self.queue.push(due, (id, n));
    }

    /// The next attempt to send at `now`: `Ok(Some)` to send it now, `Ok(None)` when nothing is
    /// due or every slot is taken (an attempt's end frees one), `Err(t)` when the throughput cap
    /// holds the next one until `t`.
    pub fn release(&mut self, now: Micros) -> Result<Option<(u32, u32)>, Micros> {
        if self.queue.peek_at().is_none_or(|due| due > now) {
            return Ok(None);
        }
        if self.max_in_flight.is_some_and(|m| self.in_flight >= m) {
            return Ok(None);
        }
        if let Some(gap) = self.gap {
            if now < self.next_send {
                return Err(self.next_send);
            }
            self.next_send = now + gap;
        }
        self.in_flight += 1;
        Ok(self.queue.pop().map(|(_, item)| item))
    }

    /// An attempt sent earlier ended: its slot is free.
    pub fn ended(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::units::SECOND;

    fn pool(workers: u32, process: Micros, ack: Ack, queue_limit: Option<u64>) -> Workers {
        Workers::new(&CapacityConfig {
            workers: Some(workers),
            process: Delay::Fixed(process),
            ack,
            queue_limit,
        })
    }

    /// The pool draws its processing times ahead, in batches: each is still the draw one call
    /// of the sampler per job gives, in the same order, whether jobs are admitted or arrive.
    #[test]
    fn processing_times_drawn_ahead_are_the_draws_one_at_a_time() {
        let process = Delay::LogNormal { median: 400 * crate::support::units::MILLI, p99: 2 * SECOND };
        let cfg = CapacityConfig { workers: None, process, ack: Ack::AfterProcessing, queue_limit: None };
        let mut w = Workers::new(&cfg);
        let (mut rng, mut one_by_one) = (Rng::new(9, "process/t"), Rng::new(9, "process/t"));
        let sampler = process.sampler();
        for i in 0..1_000u64 {
            let work = if i % 3 == 0 { w.arrive(i, &mut rng) } else { w.admit(i, &mut rng) - i };
            assert_eq!(work, sampler.sample(&mut one_by_one), "job {i}");
        }
    }

    #[test]
    fn one_worker_serves_in_order_and_counts_the_backlog() {
        let mut w = pool(1, SECOND, Ack::AfterProcessing, None);
        let mut rng = Rng::new(1, "w");
        let finishes: Vec<Micros> = (0..4).map(|_| w.admit(0, &mut rng)).collect();
        assert_eq!(finishes, vec![SECOND, 2 * SECOND, 3 * SECOND, 4 * SECOND]);
        assert_eq!(w.peak_backlog(), 3);
        assert_eq!(w.backlog(SECOND), 2);
        assert_eq!(w.backlog(10 * SECOND), 0);
    }

    #[test]
    fn two_workers_take_the_earliest_free() {
        let mut w = pool(2, SECOND, Ack::AfterProcessing, None);
        let mut rng = Rng::new(1, "w");
        let f: Vec<Micros> = (0..3).map(|_| w.admit(0, &mut rng)).collect();
        assert_eq!(f, vec![SECOND, SECOND, 2 * SECOND]);
    }

    #[test]
    fn on_receipt_refuses_past_the_queue_limit() {
        let mut w = pool(1, SECOND, Ack::OnReceipt, Some(2));
        let mut rng = Rng::new(1, "w");
        for _ in 0..3 {
            assert!(!w.refuses(0));
            w.admit(0, &mut rng);
        }
        assert!(w.refuses(0), "one in service, two waiting: the third waiting is refused");
        assert_eq!(w.rejected(), 1);
    }

    #[test]
    fn held_jobs_beyond_the_workers_are_the_backlog_and_fill_the_queue() {
        let mut w = pool(2, SECOND, Ack::OnReceipt, Some(1));
        let mut rng = Rng::new(1, "w");
        assert_eq!((w.arrive(0, &mut rng), w.arrive(0, &mut rng)), (SECOND, SECOND));
        assert_eq!(w.backlog(0), 0, "two workers, two jobs: none waits");
        assert!(!w.refuses(0));
        w.arrive(0, &mut rng);
        assert_eq!((w.backlog(0), w.peak_backlog(), w.held()), (1, 1, 3));
        assert!(w.refuses(0), "one waiting fills a queue of one");
        w.depart();
        assert_eq!(w.backlog(0), 0);
        assert!(!w.refuses(0));
    }

    #[test]
    fn the_pipeline_paces_to_its_throughput_and_caps_in_flight() {
        let mut p = Pipeline::new(Some(2), Some(Rate { count: 10.0, per: SECOND }));
        for id in 0..5 {
            p.offer(0, id, 1);
        }
        assert_eq!(p.release(0), Ok(Some((0, 1))));
        assert_eq!(p.release(0), Err(SECOND / 10));
        assert_eq!(p.release(SECOND / 10), Ok(Some((1, 1))));
        assert_eq!(p.release(SECOND), Ok(None), "two in flight");
        p.ended();
        assert_eq!(p.release(SECOND), Ok(Some((2, 1))));
    }
}
