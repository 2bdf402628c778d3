//! The sim engine: a deterministic discrete-event simulation in virtual time.
//!
//! ```text
//!   heap of (time, seq, step) ──pop──▶ strategy / api / emitter / receiver ──actions──▶ push
//! ```
//!
//! Owns the event queue and the wiring: a strategy's `Send` becomes an [`Api::handle`] call now
//! and an answer one sampled round trip later (the server's view is taken when the request
//! arrives; the whole modelled round trip — network both ways and server time — elapses before
//! the answer lands, so periodic polling's mean latency is T/2 plus the mean round trip); each
//! event reaches the emitter when it happens, and each attempt meets the receiver's faults.
//! Every strategy runs against the same arrival stream with its own random streams, as its own
//! job of the [`jobs`](super::jobs); ties in time break by insertion order, so a seed gives byte-identical results.
//!
//! Memory follows the backlog, not the run: each row draws the arrival stream itself from the
//! seed ([`Source`]), just ahead of virtual time, and every [`RETIRE_EVERY`] steps retires the
//! events it can no longer be asked about ([`Row::retire`]) — behind the slowest cursor it polls
//! with, past the last pending webhook attempt, settled in its books. The row's own draw of the
//! stream (rather than one log shared by every row's thread) keeps rows free of locks and of each
//! other's pace, and the stream is the same in every row, so results are byte-identical to a run
//! over the whole log. [`RowResult::peak_events`] is the most events a row held at once.
//!
//! A long poll's answer is released when the API says (`hold`) and lands one round trip after
//! that. An event stream opened by a `Stream` request carries its first events one round trip
//! after the connect, then each event one one-way delay (a sampled round trip / 2) after it
//! becomes visible, in order, until the server's drop time; the drop reaches the client one
//! one-way delay later.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::progress::{with_bar, Progress, PUBLISH_MASK};
use crate::engine::processing::{Admission, Finish, PoolMode};
use crate::engine::row::{Input, Outbox, Row};
use crate::model::api::{Api, Body, Request, Response};
use crate::model::dist::{DrawAhead, Rng, Sampler};
use crate::model::emitter::AttemptOutcome;
use crate::model::faults::provider_ready;
use crate::model::network::Connections;
use crate::model::receiver::{Answer, Receiver};
use crate::model::source::{EventLog, Source};
use crate::result::report::{Report, StrategyReport};
use crate::scenario::Scenario;
use crate::strategy::{Action, Spec};
use crate::support::queue::TimedQueue;
use crate::support::slots::Slots;
use crate::support::units::{Micros, SECOND};

/// A run failed an internal check: a bug, never a result.
pub use crate::engine::row::ConservationBreach as SimError;

#[derive(Debug, Clone, Copy)]
enum Step {
    Timer(u64),
    Answer {
        tag: u64,
        slot: u32,
        billable: bool,
    },
    Arrival(u32),
    Attempt {
        id: u32,
        n: u32,
    },
    StreamEvent {
        tag: u64,
        id: u32,
        until: Micros,
        retry: Micros,
    },
    StreamClosed {
        tag: u64,
        retry: Micros,
    },
    AttemptTimedOut {
        id: u32,
        n: u32,
    },
    AttemptAnswered {
        id: u32,
        n: u32,
    },
    /// An attempt that opened a connection reaches the receiver, its handshake done; `left` is
    /// what remains of its timeout.
    Reached {
        id: u32,
        n: u32,
        left: Micros,
    },
    Pump,
}

/// One strategy's run, settled.
pub struct RowResult {
    /// The row.
    pub report: StrategyReport,
    /// Steps processed.
    pub steps: u64,
    /// The most events the row held at once (its backlog; the run's event count never matters).
    pub peak_events: usize,
    /// The events of the whole stream (the row has drawn them all by its end).
    pub events: u64,
}

/// A row retires the events it no longer needs every this many steps, and whenever it has drawn
/// this many events since it last did (results do not depend on it; the peak held grows by at
/// most this many events beyond the backlog).
pub const RETIRE_EVERY: u64 = 64;

/// Runs every spec on `scenario` and builds the report (one replication, every core).
pub fn run(scenario: &Scenario, specs: &[Spec]) -> Result<Report, SimError> {
    run_plan(scenario, specs, Plan { replications: 1, jobs: super::jobs::default_jobs(), progress: false })
}

/// How a run is spread: replications of the whole scenario, and the workers of the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Independent replications (1: a single run with the scenario's own seed).
    pub replications: u32,
    /// Worker threads of the pool.
    pub jobs: usize,
    /// Show a progress bar on stderr if the run takes over ~2 s and stderr is a terminal.
    pub progress: bool,
}

/// Runs every spec on `scenario` as `plan` says. With one replication the report is the
/// single run's; with more, each replication runs with its own seed
/// ([`crate::result::replication::seed`]) and the report holds the means and their intervals. Every
/// row of every replication is one job of the pool; the result does not depend on `plan.jobs`.
pub fn run_plan(scenario: &Scenario, specs: &[Spec], plan: Plan) -> Result<Report, SimError> {
    let started = Instant::now();
    let reps = plan.replications.max(1) as usize;
    let progress = Progress::new(vec![scenario.duration.saturating_add(scenario.drain); reps * specs.len()]);
    with_bar(&progress, plan.progress, || run_jobs(scenario, specs, plan, &progress, started))
}

/// [`run_plan`]'s work: job `r × specs.len() + i` is row `i` of replication `r`.
fn run_jobs(
    scenario: &Scenario,
    specs: &[Spec],
    plan: Plan,
    progress: &Progress,
    started: Instant,
) -> Result<Report, SimError> {
    let job = |i: usize, s: &Scenario, spec: &Spec| {
        let r = run_counted(s, spec, progress.slot(i));
        progress.finish(i);
        r
    };
    if plan.replications <= 1 {
        let indexed: Vec<(usize, &Spec)> = specs.iter().enumerate().collect();
        let results = super::jobs::map(&indexed, plan.jobs, |&(i, spec)| job(i, scenario, spec));
        let rows = collect(results, specs.iter())?;
        return Ok(report_of(scenario, rows, started));
    }
    let scenarios: Vec<Scenario> = (0..plan.replications)
        .map(|i| {
            let mut s = scenario.clone();
            s.seed = crate::result::replication::seed(scenario.seed, i);
            s
        })
        .collect();
    let jobs: Vec<(usize, usize)> =
        (0..scenarios.len()).flat_map(|r| (0..specs.len()).map(move |i| (r, i))).collect();
    let results =
        super::jobs::map(&jobs, plan.jobs, |&(r, i)| job(r * specs.len() + i, &scenarios[r], &specs[i]));
    let mut results = collect(results, jobs.iter().map(|&(_, i)| &specs[i]))?.into_iter();
    let mut reports = Vec::with_capacity(scenarios.len());
    for s in &scenarios {
        let rows: Vec<RowResult> = results.by_ref().take(specs.len()).collect();
        reports.push(report_of(s, rows, started));
    }
    crate::result::replication::aggregate(&reports, scenario, started.elapsed().as_secs_f64())
        .map_err(|e| SimError { label: "replications".into(), what: format!("could not be merged: {e}") })
}

/// The report of one replication's rows (each drew the whole stream; with none, it is counted).
fn report_of(scenario: &Scenario, rows: Vec<RowResult>, started: Instant) -> Report {
    let events = rows.first().map_or_else(|| EventLog::count(scenario), |r| r.events);
    let steps = rows.iter().map(|r| r.steps).sum::<u64>() + events;
    let rows = rows.into_iter().map(|r| r.report).collect();
    super::assemble("sim", scenario, events, steps, started, None, rows)
}

/// The pool's results in job order; a panicked job is an error naming its row.
fn collect<'s>(
    results: Vec<Option<Result<RowResult, SimError>>>,
    specs: impl Iterator<Item = &'s Spec>,
) -> Result<Vec<RowResult>, SimError> {
    results
        .into_iter()
        .zip(specs)
        .map(|(r, s)| {
            r.unwrap_or_else(|| Err(SimError { label: s.label(), what: "its worker thread panicked".into() }))
        })
        .collect()
}

/// Runs every spec on a pool of `jobs` workers, results in spec order.
pub fn run_rows(scenario: &Scenario, specs: &[Spec], jobs: usize) -> Result<Vec<RowResult>, SimError> {
    collect(super::jobs::map(specs, jobs, |spec| run_one(scenario, spec)), specs.iter())
}

struct Sim<'a> {
    scenario: &'a Scenario,
    now: Micros,
    queue: TimedQueue<Micros, Step>,
    /// The answers on their way, each in a slot until it lands.
    slots: Slots<Response>,
    api: Api,
    src: Source<'a>,
    outbox: Option<Outbox>,
    receiver: Receiver,
    net: Rng,
    /// The API's round trip (`[api] rtt`), ready to draw from.
    rtt: RoundTrips,
    /// The consumer's connections to the API (`[api] connection`; nothing modelled without it).
    api_conns: Connections,
    row: Row,
    /// When a pump of the provider's pipeline is already queued.
    pump_at: Option<Micros>,
}

/// The API's round trips, drawn from the row's network stream (`net`): ahead, in batches, when
/// the row sends no webhooks — then the round trips are all that stream is drawn for (its other
/// draws are the deliveries' answers and retries) — else one at a time. Either way a round trip
/// is the same draw.
enum RoundTrips {
    One(Sampler),
    Ahead(DrawAhead),
}

impl RoundTrips {
    fn new(sampler: Sampler, alone: bool) -> Self {
        if alone {
            RoundTrips::Ahead(DrawAhead::new(sampler))
        } else {
            RoundTrips::One(sampler)
        }
    }

    #[inline]
    fn sample(&mut self, net: &mut Rng) -> Micros {
        match self {
            RoundTrips::One(s) => s.sample(net),
            RoundTrips::Ahead(a) => a.sample(net),
        }
    }
}

impl<'a> Sim<'a> {
    #[inline(always)]
    fn push(&mut self, at: Micros, step: Step) {
        self.queue.push(at, step);
    }

    /// Feeds the row one input now, then carries out the actions it asked for.
    fn feed(&mut self, input: Input<'_>) {
        self.row.handle(self.now, input, &self.src.log);
        self.dispatch();
    }

    /// Carries out the row's actions: a request is answered by the API now and lands one
    /// sampled round trip (plus any long-poll hold) later; a timer is queued.
    fn dispatch(&mut self) {
        while let Some(a) = self.row.poll_action() {
            match a {
                Action::Send { tag, req, billable } => {
                    if let Request::LongPoll { wait, .. } = req {
                        // Its answer is the page as of its release: the events up to then.
                        self.src.reach(self.now.saturating_add(wait.min(self.scenario.api.long_poll_max)));
                    }
                    // The answer waits in its slot until it lands and is read there (a `Response`
                    // is large: it is copied once, into its slot).
                    let (slot, resp) =
                        self.slots.insert(self.api.handle(&self.src.log, self.now, req, billable));
                    let hold = resp.hold;
                    let stream = match (resp.opens_stream(), resp.body) {
                        (true, Body::Stream { from, until, retry }) => Some((from, until, retry)),
                        _ => None,
                    };
                    let rtt = self.rtt.sample(&mut self.net);
                    // A request on a new connection waits for its handshake; the server's view is
                    // still taken at the send, so the answer lands the handshake later.
                    let handshake = self.api_conns.acquire(self.now);
                    let answered = self.now + hold + rtt + handshake;
                    self.api_conns.release(answered);
                    if let Some((from, until, retry)) = stream {
                        self.stream_next(tag, from, until, retry, answered);
                    }
                    self.push(answered, Step::Answer { tag, slot, billable });
                }
                Action::Wake { at, token } => self.push(at.max(self.now), Step::Timer(token)),
            }
        }
    }

    /// Schedules the next message of an open stream: event `id` if it becomes visible before the
    /// drop at `until`, else the drop itself; never before `earliest` (a stream keeps order).
    fn stream_next(&mut self, tag: u64, id: u32, until: Micros, retry: Micros, earliest: Micros) {
        let one_way = self.rtt.sample(&mut self.net) / 2;
        match self.src.log.try_get(id) {
            Some(e) if e.visible_at < until => {
                let at = earliest.max(e.visible_at + one_way);
                self.push(at, Step::StreamEvent { tag, id, until, retry });
            }
            _ if until != Micros::MAX => {
                self.push(earliest.max(until + one_way), Step::StreamClosed { tag, retry });
            }
            _ => {}
        }
    }

    /// Attempt `n` of event `id` ended with `outcome`: the outbox says whether and when the next
    /// one goes out.
    fn attempt_ended(&mut self, id: u32, n: u32, outcome: AttemptOutcome) {
        let Some(ob) = self.outbox.as_mut() else { return };
        let capped = ob.pipeline.is_some();
        if let Some((n, at)) = ob.end(id, n, outcome, self.now, &mut self.net) {
            self.push(at, Step::Attempt { id, n });
        }
        if capped {
            self.pump();
        }
    }

    /// Attempt `n` of event `id` is due: on a warm connection it reaches the receiver now; one
    /// that must open a connection reaches it its handshake later — or, when the handshake
    /// outlasts the timeout, never, and times out.
    fn attempt(&mut self, id: u32, n: u32) {
        let Some(ob) = self.outbox.as_mut() else { return };
        if !ob.begin(id, n, self.now) {
            self.pump();
            return;
        }
        let handshake = ob.connections.acquire(self.now);
        let timeout = self.scenario.webhook.timeout;
        if handshake == 0 {
            self.reached(id, n, timeout);
        } else if handshake >= timeout {
            ob.connections.close();
            self.push(self.now + timeout, Step::AttemptTimedOut { id, n });
        } else {
            self.push(self.now + handshake, Step::Reached { id, n, left: timeout - handshake });
        }
    }

    /// Attempt `n` of event `id` reaches the receiver with `timeout` left: it meets the
    /// receiver's faults, the row hears of it, and the sender sees an answer now or its timeout
    /// later (then its connection is freed, or closed when it timed out or was refused).
    fn reached(&mut self, id: u32, n: u32, timeout: Micros) {
        let mut answer = self.receiver.answer(self.now, &mut self.net);
        // A finite receiver: the delivery queues for a worker; the sender hears back when the
        // receiver answers (on receipt, or when processing is done), or times out.
        match self.row.admit_delivery(self.now, id, answer) {
            Admission::Untouched => {}
            Admission::Refused => answer = Answer::Error,
            Admission::Accepted { on_receipt, finish } => {
                let answered = match (on_receipt, finish) {
                    (true, _) => self.now,
                    (false, Finish::At(done)) => done,
                    // The sim builds its rows with a modelled pool, which always says when.
                    (false, Finish::After(work)) => {
                        self.row.violation("a modelled pool left its processing to the driver".into());
                        self.now + work
                    }
                };
                let slow = match answer {
                    Answer::Slow(d) => d,
                    _ => 0,
                };
                self.feed(Input::Delivery { id, answer });
                let reply = answered - self.now + slow;
                if reply <= timeout {
                    self.release(Some(self.now + reply));
                    self.push(self.now + reply, Step::AttemptAnswered { id, n });
                } else {
                    self.release(None);
                    self.push(self.now + timeout, Step::AttemptTimedOut { id, n });
                }
                return;
            }
        }
        self.feed(Input::Delivery { id, answer });
        match answer.outcome(timeout) {
            Some(outcome) => {
                let freed = match answer {
                    Answer::Refused => None,
                    Answer::Slow(d) => Some(self.now + d),
                    _ => Some(self.now),
                };
                self.release(freed);
                self.attempt_ended(id, n, outcome)
            }
            None => {
                self.release(None);
                let at = self.now + timeout;
                self.push(at, Step::AttemptTimedOut { id, n });
            }
        }
    }

    /// The attempt's connection is idle again from `freed`, or closed (`None`).
    fn release(&mut self, freed: Option<Micros>) {
        if let Some(ob) = self.outbox.as_mut() {
            match freed {
                Some(at) => ob.connections.release(at),
                None => ob.connections.close(),
            }
        }
    }

    /// An attempt is due: held while the provider's pipeline is down, then straight out, or into
    /// the pipeline's queue when it is capped.
    fn attempt_due(&mut self, id: u32, n: u32) {
        let ready = provider_ready(&self.scenario.webhook.outages, self.now);
        if ready > self.now {
            self.push(ready, Step::Attempt { id, n });
            return;
        }
        match self.outbox.as_mut().and_then(|ob| ob.pipeline.as_mut()) {
            Some(p) => {
                p.offer(self.now, id, n);
                self.pump();
            }
            None => self.attempt(id, n),
        }
    }

    /// Sends what the provider's pipeline lets out now; if its throughput holds the next attempt,
    /// comes back when it may go.
    fn pump(&mut self) {
        loop {
            let Some(p) = self.outbox.as_mut().and_then(|ob| ob.pipeline.as_mut()) else { return };
            match p.release(self.now) {
                Ok(Some((id, n))) => self.attempt(id, n),
                Ok(None) => return,
                Err(at) => {
                    if self.pump_at.is_none_or(|t| t <= self.now || t > at) {
                        self.pump_at = Some(at);
                        self.push(at, Step::Pump);
                    }
                    return;
                }
            }
        }
    }
}

/// Runs one strategy over the whole scenario.
pub fn run_one(scenario: &Scenario, spec: &Spec) -> Result<RowResult, SimError> {
    run_counted(scenario, spec, None)
}

/// [`run_one`] without ever retiring an event: it holds the whole stream. Its results are the
/// same as [`run_one`]'s (tests check that retirement never changes a figure).
pub fn run_one_holding_all(scenario: &Scenario, spec: &Spec) -> Result<RowResult, SimError> {
    run_with(scenario, spec, None, false)
}

/// [`run_one`], publishing its virtual time to `clock` now and then for a progress bar.
fn run_counted(scenario: &Scenario, spec: &Spec, clock: Option<&AtomicU64>) -> Result<RowResult, SimError> {
    run_with(scenario, spec, clock, true)
}

/// [`run_counted`], retiring the events the row no longer needs when `retire`.
fn run_with(
    scenario: &Scenario,
    spec: &Spec,
    clock: Option<&AtomicU64>,
    retire: bool,
) -> Result<RowResult, SimError> {
    let src = Source::new(scenario);
    let row = Row::new(scenario, &src.log, spec, "strategy", PoolMode::Modelled);
    let outbox = row.subscription().map(|_| Outbox::new(scenario, 0, row.label()));
    let end = scenario.duration.saturating_add(scenario.drain);
    let mut sim = Sim {
        scenario,
        now: 0,
        queue: TimedQueue::with_capacity(1024),
        slots: Slots::default(),
        api: Api::new(&scenario.api, scenario.events.payload_bytes)
            .with_faults(scenario.seed, &format!("api/{}", row.label())),
        src,
        rtt: RoundTrips::new(scenario.api.rtt.sampler(), outbox.is_none()),
        outbox,
        receiver: Receiver::new(&scenario.receiver),
        net: Rng::new(scenario.seed, &format!("net/{}", row.label())),
        api_conns: Connections::new(
            scenario.api.connection,
            scenario.network.as_ref(),
            scenario.seed,
            &format!("handshake-api/{}", row.label()),
        ),
        row,
        pump_at: None,
    };
    sim.src.reach(0);
    sim.row.start(0, &sim.src.log);
    sim.dispatch();
    if sim.outbox.is_some() && !sim.src.log.is_empty() {
        sim.push(sim.src.log.get(0).at, Step::Arrival(0));
    }
    let mut steps = 0u64;
    let mut retire_at = RETIRE_EVERY;
    // Past the window the drain ends as soon as the row is settled: checked at the window's end,
    // then at doubling distances, so a drain that must run long costs few checks.
    let (mut check_at, mut check_gap) = (scenario.duration, SECOND);
    let mut ended = end;
    while let Some((at, step)) = sim.queue.pop() {
        if at > end {
            break;
        }
        sim.src.reach(at);
        if at >= check_at {
            if sim.row.settled(sim.outbox.as_ref(), at, &sim.src.log) {
                ended = at;
                break;
            }
            check_at = at.saturating_add(check_gap);
            check_gap = check_gap.saturating_mul(2);
        }
        if at < sim.now {
            let what = format!("time went back from {} to {at} µs", sim.now);
            sim.row.violation(what);
        }
        sim.now = at;
        steps += 1;
        if retire && (steps.is_multiple_of(RETIRE_EVERY) || sim.src.log.len() as u64 >= retire_at) {
            sim.row.retire(&mut sim.src.log, sim.outbox.as_mut(), at);
            retire_at = sim.src.log.len() as u64 + RETIRE_EVERY;
        }
        if steps & PUBLISH_MASK == 0 {
            if let Some(c) = clock {
                c.store(at, Ordering::Relaxed);
            }
        }
        match step {
            Step::Timer(token) => sim.feed(Input::Timer(token)),
            Step::Answer { tag, slot, billable } => {
                // Read in place, then the slot is free again.
                let Some(resp) = sim.slots.get(slot) else {
                    sim.row.violation(format!("answer slot {slot} was empty"));
                    continue;
                };
                sim.row.handle(sim.now, Input::Answer { tag, resp, billable }, &sim.src.log);
                sim.slots.remove(slot);
                sim.dispatch();
            }
            Step::StreamEvent { tag, id, until, retry } => {
                sim.feed(Input::StreamEvent { tag, id });
                sim.stream_next(tag, id + 1, until, retry, sim.now);
            }
            Step::StreamClosed { tag, retry } => sim.feed(Input::StreamClosed { tag, retry }),
            Step::Arrival(id) => {
                // Only the subscribed types are sent.
                let wanted = !sim.src.log.unwanted_id(id);
                if let Some(ob) = sim.outbox.as_mut() {
                    if !wanted {
                        ob.emitter.on_unsubscribed(id);
                    } else if let Some(at) = ob.on_event(id, sim.now, &mut sim.net) {
                        sim.push(at, Step::Attempt { id, n: 1 });
                    }
                }
                if let Some(next) = sim.src.log.try_get(id + 1) {
                    sim.push(next.at, Step::Arrival(id + 1));
                }
            }
            Step::Attempt { id, n } => sim.attempt_due(id, n),
            Step::AttemptTimedOut { id, n } => sim.attempt_ended(id, n, AttemptOutcome::Failure),
            Step::AttemptAnswered { id, n } => sim.attempt_ended(id, n, AttemptOutcome::Success),
            Step::Reached { id, n, left } => sim.reached(id, n, left),
            Step::Pump => {
                sim.pump_at = None;
                sim.pump();
            }
        }
    }

    let peak = sim.api.peak_use();
    sim.src.reach(ended);
    sim.src.reach(scenario.duration);
    let (peak_events, events) = (sim.src.log.peak_retained(), sim.src.log.len() as u64);
    let done = sim.row.finish(sim.outbox.as_ref(), ended, &sim.src.log)?;
    let report = StrategyReport::new(spec, scenario, &done.outcome, done.effective, peak);
    Ok(RowResult { report, steps, peak_events, events })
}
