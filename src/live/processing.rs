//! The live receiver's processing: `workers` that really take time, ahead of or behind the answer.
//!
//! Owns, per receiving endpoint, the real side of a finite receiver: a fair semaphore of
//! `workers` permits (`ack = "after-processing"`: the request is held until a worker has
//! processed it, so a sender's timeout really fires and its retry is really a duplicate), or a
//! FIFO queue drained by `workers` tasks (`ack = "on-receipt"`: answered 2xx at once, refused with
//! a real 503 when the model says the queue is full). It draws nothing and counts nothing: each
//! arrival is put to the row core ([`crate::engine::row::Row::admit_delivery`], on a row built
//! with a real pool) through the row's actor, which answers with an [`Admission`] carrying the
//! processing time the model drew; each finish is reported back as an input ([`Work::Done`]). Processing outlives the request: a sender that gave up does
//! not cancel the work it started.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::{oneshot, Mutex as AsyncMutex, Semaphore};

use crate::engine::processing::Admission;
use crate::live::clock::Clock;
use crate::live::lock;
use crate::model::capacity::{Ack, CapacityConfig};
use crate::model::receiver::Answer;
use crate::support::units::Micros;

/// What an endpoint's processing tells its row's actor.
#[derive(Debug)]
pub enum Work {
    /// A delivery of event `id` the faults let through arrived now: the row answers whether and
    /// how long to process it.
    Arrived {
        /// The event.
        id: u32,
        /// How the receiver's faults answered it.
        answer: Answer,
        /// Where the row's decision goes.
        reply: oneshot::Sender<Admission>,
    },
    /// The delivery of event `id` finished processing at scenario time `at` (taken where it
    /// finished, so the hop to the row's actor does not count).
    Done {
        /// The event.
        id: u32,
        /// When.
        at: Micros,
    },
}

/// A job: event `id`, arrived at scenario time `at`, taking `work`.
struct Job {
    id: u32,
    at: Micros,
    work: Micros,
}

/// One endpoint's processing.
pub struct Pool {
    clock: Clock,
    rows: UnboundedSender<Work>,
    /// After-processing with finite workers: one permit per worker, first come first served.
    permits: Option<Arc<Semaphore>>,
    /// The scenario time the last permit was handed back: a job that waited for a permit
    /// starts then, not when its task got round to it, so the hops do not add to the work.
    released: Arc<Mutex<Micros>>,
    /// On-receipt with finite workers: the FIFO queue the worker tasks drain.
    queue: Option<UnboundedSender<Job>>,
}

impl Pool {
    /// The processing of an endpoint whose row's actor listens on `rows`; starts the on-receipt
    /// worker tasks on the current runtime.
    pub fn new(cfg: &CapacityConfig, clock: Clock, rows: UnboundedSender<Work>) -> Arc<Self> {
        let (mut permits, mut queue) = (None, None);
        if let Some(c) = cfg.workers {
            match cfg.ack {
                Ack::AfterProcessing => permits = Some(Arc::new(Semaphore::new(c as usize))),
                Ack::OnReceipt => {
                    let (tx, rx) = unbounded_channel();
                    let rx = Arc::new(AsyncMutex::new(rx));
                    for _ in 0..c {
                        tokio::spawn(drain(rx.clone(), clock, rows.clone()));
                    }
                    queue = Some(tx);
                }
            }
        }
        Arc::new(Pool { clock, rows, permits, released: Arc::new(Mutex::new(0)), queue })
    }

    /// Asks the row what to make of a delivery of event `id` the faults answered `answer`
    /// (untouched if the row's actor has stopped), and notes the scenario time it arrived.
    pub async fn arrive(&self, id: u32, answer: Answer) -> (Admission, Micros) {
        let at = self.clock.now();
        let (reply, decided) = oneshot::channel();
        if self.rows.send(Work::Arrived { id, answer, reply }).is_err() {
            return (Admission::Untouched, at);
        }
        (decided.await.unwrap_or(Admission::Untouched), at)
    }

    /// Processes event `id`, arrived at `at`, for `work`: returns once the answer may go out — at
    /// once for an on-receipt receiver, after processing otherwise. The processing runs in its
    /// own task, so a sender that hangs up does not cancel it.
    pub async fn process(&self, id: u32, at: Micros, work: Micros, on_receipt: bool) {
        let job = Job { id, at, work };
        if on_receipt {
            self.start(job, None);
            return;
        }
        let (done, finished) = oneshot::channel();
        self.start(job, Some(done));
        let _ = finished.await;
    }

    /// Hands event `id`, fetched from the API at `at`, to the workers for `work`, without
    /// waiting: a poller hands its page over and goes on polling.
    pub fn hand_over(&self, id: u32, at: Micros, work: Micros) {
        self.start(Job { id, at, work }, None);
    }

    /// Starts `job`: onto the on-receipt queue when there is one and nobody waits for the job,
    /// else in a task of its own that takes a permit (when permits count the workers) and
    /// signals `done` once processed.
    fn start(&self, job: Job, done: Option<oneshot::Sender<()>>) {
        let (clock, rows) = (self.clock, self.rows.clone());
        let job = match (&self.queue, done.is_none()) {
            (Some(q), true) => match q.send(job) {
                Ok(()) => return,
                Err(e) => e.0, // the worker tasks are gone: processed on its own below
            },
            _ => job,
        };
        let (permits, released) = (self.permits.clone(), self.released.clone());
        tokio::spawn(async move {
            let permit = match permits {
                Some(p) => p.acquire_owned().await.ok(),
                None => None,
            };
            let freed = if permit.is_some() { *lock(&released) } else { 0 };
            let finish = serve(job, freed, clock, rows).await;
            let mut last = lock(&released);
            *last = (*last).max(finish);
            drop(permit);
            if let Some(done) = done {
                let _ = done.send(());
            }
        });
    }
}

/// One worker: takes jobs off the queue in order until it closes.
async fn drain(queue: Arc<AsyncMutex<UnboundedReceiver<Job>>>, clock: Clock, rows: UnboundedSender<Work>) {
    let mut free_at = 0;
    loop {
        let job = queue.lock().await.recv().await;
        match job {
            Some(job) => free_at = serve(job, free_at, clock, rows.clone()).await,
            None => return,
        }
    }
}

/// Processes one job on a worker free since `free_at`: it starts when it arrived or when the
/// worker freed, whichever is later, is held until its processing time is over, and is reported
/// done; returns when it was due to finish. Like the emitter's pacer, the worker keeps to its
/// schedule: a timer that fires a little late does not push the next job back, so the engine's
/// own lateness does not pile up in the queue.
async fn serve(job: Job, free_at: Micros, clock: Clock, rows: UnboundedSender<Work>) -> Micros {
    let finish = job.at.max(free_at).saturating_add(job.work);
    clock.sleep_until(finish).await;
    let _ = rows.send(Work::Done { id: job.id, at: finish });
    finish
}
