//! A consumer row over HTTP: the actor that carries real answers and deliveries into the row core.
//!
//! Owns one task per row. It feeds the [`Row`] — the same state machine and books the sim engine
//! drives — with what happens on real sockets: timers from the precise clock, API answers decoded
//! by [`client`](crate::live::client), stream messages framed by [`sse`], and the deliveries the
//! receiver hands over with its answer, and, for a finite receiver, its questions and reports
//! about processing ([`Work`]: whether and how long to hold a delivery, when one finished), which
//! only the row answers and books — so the actor builds the row with a real pool
//! ([`PoolMode::Real`]) when there is such a receiver, a modelled one otherwise. It turns the
//! row's actions into HTTP requests and timers. Past the window it checks every few milliseconds
//! whether the row is settled and stops as soon as it is (the configured drain is only the upper
//! bound), or stops when the engine is told to; either way the row settles itself at the time it
//! stopped. It counts nothing of the model's; it only notes how late its own timers came ([`Lag`]).

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::watch;

use crate::engine::processing::PoolMode;
use crate::engine::row::{ConservationBreach, Input, Row, RowOutcome};
use crate::live::client::ApiClient;
use crate::live::clock::{Clock, Lag};
use crate::live::emitter::LiveOutbox;
use crate::live::lock;
use crate::live::processing::{Pool, Work};
use crate::live::receiver::ReceivedDelivery;
use crate::live::sse::{self, StreamMsg};
use crate::model::api::{Request, Response};
use crate::model::source::EventLog;
use crate::scenario::Scenario;
use crate::strategy::{Action, Spec};
use crate::support::units::Micros;

/// What reaches the actor from its tasks.
enum Event {
    /// Timer `token`, due at scenario time `due`.
    Timer {
        token: u64,
        due: Micros,
    },
    Answer {
        tag: u64,
        resp: Response,
        billable: bool,
    },
    Stream {
        tag: u64,
        msg: StreamMsg,
    },
}

/// Everything one row needs.
pub struct RowTask {
    /// The row.
    pub spec: Spec,
    /// Its API client (its own key, hence its own quota).
    pub api: ApiClient,
    /// Its subscription's outbox, if it takes webhooks.
    pub outbox: Option<Arc<Mutex<LiveOutbox>>>,
    /// What the receiver answered to each of this row's deliveries.
    pub deliveries: UnboundedReceiver<ReceivedDelivery>,
    /// The receiver's processing, when it is finite: held for real, booked by the row.
    pub processing: Option<RealProcessing>,
}

/// A row's real processing: the pool its deliveries and fetched events go through, and the
/// questions and reports the pool sends the row.
pub struct RealProcessing {
    /// The pool.
    pub pool: Arc<Pool>,
    /// What it asks and reports.
    pub work: UnboundedReceiver<Work>,
}

/// Turns the row's actions into requests and timers.
fn dispatch(row: &mut Row, api: &ApiClient, clock: Clock, end: Micros, tx: &UnboundedSender<Event>) {
    while let Some(action) = row.poll_action() {
        let tx = tx.clone();
        match action {
            Action::Send { tag, req: Request::Stream { cursor }, billable } => {
                tokio::spawn(sse::stream(api.clone(), cursor, move |msg| {
                    let _ = match msg {
                        StreamMsg::Opened(resp) => tx.send(Event::Answer { tag, resp, billable }),
                        msg => tx.send(Event::Stream { tag, msg }),
                    };
                }));
            }
            Action::Send { tag, req, billable } => {
                let api = api.clone();
                tokio::spawn(async move {
                    let resp = api.fetch(req).await;
                    let _ = tx.send(Event::Answer { tag, resp, billable });
                });
            }
            Action::Wake { at, token } if at <= end => {
                tokio::spawn(async move {
                    clock.sleep_until(at).await;
                    let _ = tx.send(Event::Timer { token, due: at });
                });
            }
            Action::Wake { .. } => {}
        }
    }
}

/// The next message on `work`, or never when there is none.
async fn recv_work(processing: &mut Option<RealProcessing>) -> Option<Work> {
    match processing {
        Some(p) => p.work.recv().await,
        None => std::future::pending().await,
    }
}

/// How often, in wall time, a row past its window checks whether it is settled.
const SETTLE_CHECK: std::time::Duration = std::time::Duration::from_millis(10);

/// A row that stopped, settled.
pub struct RowEnd {
    /// The settled row.
    pub row: RowOutcome,
    /// The scenario time it stopped at and was settled with.
    pub ended: Micros,
    /// It stopped because the engine was told to stop, not because it was done.
    pub stopped: bool,
    /// How late its timers were handled (scenario time from due to handled).
    pub lag: Lag,
}

/// Runs one row until it is settled past the window, or virtual time `end`, then settles it.
pub async fn run(
    scenario: Arc<Scenario>,
    log: Arc<EventLog>,
    clock: Clock,
    end: Micros,
    task: RowTask,
) -> Result<RowOutcome, ConservationBreach> {
    let (_never, stop) = watch::channel(None);
    Ok(run_until(scenario, log, clock, end, task, stop).await?.row)
}

/// Like [`run`], and stops early at the scenario time sent on `stop`.
pub async fn run_until(
    scenario: Arc<Scenario>,
    log: Arc<EventLog>,
    clock: Clock,
    end: Micros,
    mut task: RowTask,
    mut stop: watch::Receiver<Option<Micros>>,
) -> Result<RowEnd, ConservationBreach> {
    // With the receiver's processing at hand, the row's pool is real: the workers hold each
    // delivery and fetched event for the time the row draws.
    let mode = if task.processing.is_some() { PoolMode::Real } else { PoolMode::Modelled };
    let mut row = Row::new(&scenario, &log, &task.spec, "live-strategy", mode);
    let (tx, mut rx) = unbounded_channel::<Event>();
    let deadline = tokio::time::Instant::from_std(clock.instant_at(end));
    // Past the window, whether the row is settled is checked every SETTLE_CHECK of wall time.
    let mut check = tokio::time::Instant::from_std(clock.instant_at(scenario.duration));
    let mut lag = Lag::default();
    let (mut ended, mut stopped) = (end, false);

    row.start(clock.now(), &log);
    dispatch(&mut row, &task.api, clock, end, &tx);
    loop {
        tokio::select! {
            biased;
            _ = tokio::time::sleep_until(deadline) => break,
            Ok(()) = stop.changed() => {
                if let Some(at) = *stop.borrow() {
                    (ended, stopped) = (at.min(end), true);
                    break;
                }
            }
            Some(event) = rx.recv() => {
                let now = clock.now();
                match event {
                    Event::Timer { token, due } => {
                        lag.record(due, now);
                        row.handle(now, Input::Timer(token), &log)
                    }
                    Event::Answer { tag, resp, billable } => {
                        row.handle(now, Input::Answer { tag, resp: &resp, billable }, &log)
                    }
                    Event::Stream { tag, msg: StreamMsg::Event(id) } => {
                        row.handle(now, Input::StreamEvent { tag, id }, &log)
                    }
                    Event::Stream { tag, msg: StreamMsg::Closed(retry) } => {
                        row.handle(now, Input::StreamClosed { tag, retry }, &log)
                    }
                    Event::Stream { msg: StreamMsg::Opened(_), .. } => {}
                }
            }
            Some(d) = task.deliveries.recv() => {
                let now = clock.now();
                // A receiver that does not hold deliveries for real (`hookbench receive`'s
                // wiring, or a test's): the delivery joins the processing model at its real
                // arrival time. Only hookbench's own events reach a row (its emitter always sends
                // their id).
                if let Some(id) = d.event {
                    if mode == PoolMode::Modelled {
                        let _ = row.admit_delivery(now, id, d.answer);
                    }
                    row.handle(now, Input::Delivery { id, answer: d.answer }, &log);
                }
            }
            Some(w) = recv_work(&mut task.processing) => {
                let now = clock.now();
                match w {
                    Work::Arrived { id, answer, reply } => {
                        let _ = reply.send(row.admit_delivery(now, id, answer));
                    }
                    Work::Done { id, at } => row.processing_done(at.min(now), id),
                }
            }
            // Last: whatever already reached the channels is handled before the check.
            _ = tokio::time::sleep_until(check) => {
                let now = clock.now();
                let settled = {
                    let ob = task.outbox.as_ref().map(|o| lock(o));
                    row.settled(ob.as_ref().map(|o| &o.outbox), now, &log)
                };
                if settled {
                    ended = now.min(end);
                    break;
                }
                check = tokio::time::Instant::now() + SETTLE_CHECK;
            }
        }
        if let Some(p) = &task.processing {
            // Events the consumer fetched go to the same workers as deliveries.
            let now = clock.now();
            for (id, work) in row.take_handover() {
                p.pool.hand_over(id, now, work);
            }
        }
        dispatch(&mut row, &task.api, clock, end, &tx);
    }

    // One lock for the whole settlement, not one per event.
    let settled = task.outbox.as_ref().map(|o| lock(o));
    let row = row.finish(settled.as_ref().map(|o| &o.outbox), ended, &log)?;
    Ok(RowEnd { row, ended, stopped, lag })
}
