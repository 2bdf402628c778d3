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
//! Every strategy runs against the same arrival stream with its own random streams, on its own
//! thread; ties in time break by insertion order, so a seed gives byte-identical results.
//!
//! A long poll's answer is released when the API says (`hold`) and lands one round trip after
//! that. An event stream opened by a `Stream` request carries its first events one round trip
//! after the connect, then each event one one-way delay (a sampled round trip / 2) after it
//! becomes visible, in order, until the server's drop time; the drop reaches the client one
//! one-way delay later.

use std::time::Instant;

use crate::metrics::Recorder;
use crate::model::api::{Api, Body, Response};
use crate::model::dist::Rng;
use crate::model::emitter::{Emitter, Next, Outcome};
use crate::model::receiver::{Answer, Receiver};
use crate::model::source::EventLog;
use crate::model::wire;
use crate::queue::TimedQueue;
use crate::report::{secs_f, Report, RunInfo, StrategyReport, SCHEMA};
use crate::scenario::{Payload, Scenario};
use crate::strategy::{fate, Action, Cx, Spec, Strategy};
use crate::units::Micros;

/// A run failed an internal check: a bug, never a result.
#[derive(Debug, Clone, thiserror::Error)]
#[error("internal check failed for {label}: {what}")]
pub struct SimError {
    /// The row.
    pub label: String,
    /// What broke.
    pub what: String,
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Timer(u64),
    Answer { tag: u64, slot: u32 },
    Arrival(u32),
    Attempt { id: u32, n: u32 },
    StreamEvent { tag: u64, id: u32, until: Micros, retry: Micros },
    StreamClosed { tag: u64, retry: Micros },
    AttemptTimedOut { id: u32, n: u32 },
}

/// One strategy's run, settled.
pub struct RowResult {
    /// The row.
    pub report: StrategyReport,
    /// Steps processed.
    pub steps: u64,
}

/// The most simulation steps one run may take (a few minutes on one core).
pub const MAX_STEPS: f64 = 1e9;

/// A generous estimate of the steps `spec` will take on `scenario`, so that a run that would
/// not finish in reasonable time is refused up front rather than left to hang.
pub fn estimate_steps(scenario: &Scenario, spec: &Spec) -> f64 {
    use crate::strategy::StrategyKind as K;
    let span = scenario.duration.saturating_add(scenario.drain) as f64;
    let events = scenario.expected_events();
    let interval = spec.interval.unwrap_or(scenario.strategies.reconcile_interval).max(1) as f64;
    let per_cycle = match spec.kind {
        K::PollState => f64::from(scenario.events.resources),
        K::Webhook | K::Hybrid | K::Sse => 0.0,
        _ => 1.0,
    };
    let interval = match spec.kind {
        K::LongPoll => scenario.strategies.long_poll_wait.min(scenario.api.long_poll_max).max(1) as f64,
        K::PollAdaptive => scenario.strategies.adaptive.min.max(1) as f64,
        _ => interval,
    };
    let mut requests = span / interval * per_cycle;
    if let Some(q) = scenario.api.rate_limit {
        // Over quota, each window admits its limit plus the 429s of the requests in flight.
        let windows = span / q.window as f64 + 1.0;
        let cap = windows * (q.limit as f64 + 4.0 * f64::from(crate::strategy::poll_state::CONCURRENCY));
        requests = requests.min(cap.max(span / interval));
    }
    let pages = match spec.kind {
        K::Poll | K::PollEtag | K::HybridReconcile | K::PollAdaptive => {
            events / f64::from(scenario.api.page_size)
        }
        K::LongPoll | K::Sse => events,
        _ => 0.0,
    };
    let pushes = match spec.kind {
        K::Webhook => 2.0 * events,
        K::Hybrid => 4.0 * events,
        K::HybridReconcile => 3.0 * events,
        _ => 0.0,
    };
    2.0 * (requests + pages) + pushes + span / interval
}

/// Runs every spec on `scenario` and builds the report.
pub fn run(scenario: &Scenario, specs: &[Spec]) -> Result<Report, SimError> {
    let started = Instant::now();
    let log = EventLog::generate(scenario);
    let rows = run_rows(scenario, &log, specs)?;
    let steps = rows.iter().map(|r| r.steps).sum::<u64>() + log.len() as u64;
    Ok(Report {
        schema: SCHEMA,
        hookbench_version: env!("CARGO_PKG_VERSION").to_string(),
        engine: "sim".into(),
        seed: scenario.seed,
        scenario: scenario.clone(),
        wall_time_s: started.elapsed().as_secs_f64(),
        run: RunInfo {
            window_s: secs_f(scenario.duration),
            drain_s: secs_f(scenario.drain),
            events: log.len() as u64,
            steps,
        },
        live: None,
        strategies: rows.into_iter().map(|r| r.report).collect(),
    })
}

/// Runs every spec against one event log, each on its own thread, results in spec order.
pub fn run_rows(scenario: &Scenario, log: &EventLog, specs: &[Spec]) -> Result<Vec<RowResult>, SimError> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(specs.len()).max(1);
    let mut results: Vec<Option<Result<RowResult, SimError>>> = (0..specs.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let chunks: Vec<Vec<usize>> =
            (0..workers).map(|w| (w..specs.len()).step_by(workers).collect()).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|idx| {
                scope.spawn(move || {
                    idx.into_iter().map(|i| (i, run_one(scenario, log, &specs[i]))).collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            if let Ok(done) = h.join() {
                for (i, r) in done {
                    results[i] = Some(r);
                }
            }
        }
    });
    results
        .into_iter()
        .zip(specs)
        .map(|(r, s)| {
            r.unwrap_or_else(|| Err(SimError { label: s.label(), what: "its worker thread panicked".into() }))
        })
        .collect()
}

struct Sim<'a> {
    scenario: &'a Scenario,
    now: Micros,
    queue: TimedQueue<Micros, Step>,
    slots: Vec<Option<(Response, bool)>>,
    free: Vec<u32>,
    api: Api,
    log: &'a EventLog,
    emitter: Option<Emitter>,
    payload: Payload,
    receiver: Receiver,
    net: Rng,
    own: Rng,
    rec: Recorder<'a>,
    actions: Vec<Action>,
    steps: u64,
}

impl<'a> Sim<'a> {
    fn push(&mut self, at: Micros, step: Step) {
        self.queue.push(at, step);
    }

    /// Runs a strategy callback, then carries out the actions it asked for.
    fn with_strategy(
        &mut self,
        strategy: &mut dyn Strategy,
        f: impl FnOnce(&mut dyn Strategy, &mut Cx<'_, 'a>),
    ) {
        {
            let mut cx = Cx {
                now: self.now,
                window_end: self.scenario.duration,
                rng: &mut self.own,
                actions: &mut self.actions,
                rec: &mut self.rec,
            };
            f(strategy, &mut cx);
        }
        let mut actions = std::mem::take(&mut self.actions);
        for a in actions.drain(..) {
            match a {
                Action::Send { tag, req, billable } => {
                    let resp = self.api.handle(self.log, self.now, req, billable);
                    let rtt = self.scenario.api.rtt.sample(&mut self.net);
                    let answered = self.now + resp.hold + rtt;
                    if let (true, Body::Stream { from, until, retry }) = (resp.opens_stream(), resp.body) {
                        self.stream_next(tag, from, until, retry, answered);
                    }
                    let slot = match self.free.pop() {
                        Some(s) => {
                            self.slots[s as usize] = Some((resp, billable));
                            s
                        }
                        None => {
                            self.slots.push(Some((resp, billable)));
                            (self.slots.len() - 1) as u32
                        }
                    };
                    self.push(answered, Step::Answer { tag, slot });
                }
                Action::Wake { at, token } => self.push(at.max(self.now), Step::Timer(token)),
            }
        }
        self.actions = actions;
    }

    /// Schedules the next message of an open stream: event `id` if it becomes visible before the
    /// drop at `until`, else the drop itself; never before `earliest` (a stream keeps order).
    fn stream_next(&mut self, tag: u64, id: u32, until: Micros, retry: Micros, earliest: Micros) {
        let one_way = self.scenario.api.rtt.sample(&mut self.net) / 2;
        match self.log.events().get(id as usize) {
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

    fn attempt_outcome(&mut self, id: u32, n: u32, outcome: Outcome) {
        let Some(em) = self.emitter.as_mut() else { return };
        if outcome != Outcome::Success {
            self.rec.webhooks.failed += 1;
        }
        match em.on_outcome(id, n, outcome, self.now, &mut self.net) {
            Next::Done => {
                if outcome == Outcome::Success {
                    self.rec.webhooks.delivered += 1;
                }
            }
            Next::Retry { attempt, at } => self.push(at, Step::Attempt { id, n: attempt }),
            Next::DeadLetter => self.rec.webhooks.dead_lettered += 1,
        }
    }
}

/// Runs one strategy over the whole scenario.
pub fn run_one(scenario: &Scenario, log: &EventLog, spec: &Spec) -> Result<RowResult, SimError> {
    let label = spec.label();
    let mut strategy = spec.build(scenario);
    let subscription = strategy.subscription();
    let window_end = scenario.duration;
    let end = scenario.duration.saturating_add(scenario.drain);
    let mut sim = Sim {
        scenario,
        now: 0,
        queue: TimedQueue::with_capacity(1024),
        slots: Vec::new(),
        free: Vec::new(),
        api: Api::new(&scenario.api, scenario.events.payload_bytes),
        log,
        emitter: subscription.map(|_| Emitter::new(&scenario.webhook, log.len())),
        payload: subscription.unwrap_or(Payload::Fat),
        receiver: Receiver::new(&scenario.receiver),
        net: Rng::new(scenario.seed, &format!("net/{label}")),
        own: Rng::new(scenario.seed, &format!("strategy/{label}")),
        rec: Recorder::new(log, window_end),
        actions: Vec::with_capacity(64),
        steps: 0,
    };
    sim.with_strategy(strategy.as_mut(), |s, cx| s.start(cx));
    if sim.emitter.is_some() && !log.is_empty() {
        sim.push(log.get(0).at, Step::Arrival(0));
    }
    let body_bytes = match sim.payload {
        Payload::Fat => wire::event_json(scenario.events.payload_bytes),
        Payload::Thin => wire::THIN_BODY,
    };

    while let Some((at, step)) = sim.queue.pop() {
        if at > end {
            break;
        }
        if at < sim.now {
            sim.rec.violation(format!("time went back from {} to {at} µs", sim.now));
        }
        sim.now = at;
        sim.steps += 1;
        match step {
            Step::Timer(token) => sim.with_strategy(strategy.as_mut(), |s, cx| s.on_timer(cx, token)),
            Step::Answer { tag, slot } => {
                let Some((resp, billable)) = sim.slots[slot as usize].take() else {
                    sim.rec.violation(format!("answer slot {slot} was empty"));
                    continue;
                };
                sim.free.push(slot);
                let before = sim.rec.detected();
                sim.with_strategy(strategy.as_mut(), |s, cx| s.on_response(cx, tag, &resp));
                if billable {
                    sim.rec.account(&resp, before);
                }
            }
            Step::StreamEvent { tag, id, until, retry } => {
                if sim.now < window_end {
                    sim.rec.bytes_received += wire::sse_event(scenario.events.payload_bytes);
                }
                sim.with_strategy(strategy.as_mut(), |s, cx| s.on_stream_event(cx, tag, id));
                sim.stream_next(tag, id + 1, until, retry, sim.now);
            }
            Step::StreamClosed { tag, retry } => {
                sim.with_strategy(strategy.as_mut(), |s, cx| s.on_stream_closed(cx, tag, retry));
            }
            Step::Arrival(id) => {
                if let Some(em) = sim.emitter.as_mut() {
                    match em.on_event(id, sim.now, &mut sim.net) {
                        Some(at) => sim.push(at, Step::Attempt { id, n: 1 }),
                        None => sim.rec.webhooks.dead_lettered += 1,
                    }
                }
                if let Some(next) = (id as usize + 1 < log.len()).then(|| log.get(id + 1)) {
                    sim.push(next.at, Step::Arrival(id + 1));
                }
            }
            Step::Attempt { id, n } => {
                if let Some(em) = sim.emitter.as_mut() {
                    if !em.due(id) {
                        sim.rec.webhooks.dead_lettered += 1;
                        continue;
                    }
                }
                sim.rec.webhooks.attempts += 1;
                if n > 1 {
                    sim.rec.webhooks.retried += 1;
                }
                let answer = sim.receiver.answer(sim.now, &mut sim.net);
                if answer != Answer::Refused {
                    sim.rec.bytes_received += wire::WEBHOOK_HEADERS + body_bytes;
                    sim.rec.bytes_sent += wire::WEBHOOK_RESPONSE;
                }
                if answer.processed() {
                    sim.with_strategy(strategy.as_mut(), |s, cx| s.on_webhook(cx, id));
                }
                match answer {
                    Answer::Accept => sim.attempt_outcome(id, n, Outcome::Success),
                    Answer::Slow(d) if d <= scenario.webhook.timeout => {
                        sim.attempt_outcome(id, n, Outcome::Success)
                    }
                    Answer::Slow(_) => {
                        let at = sim.now + scenario.webhook.timeout;
                        sim.push(at, Step::AttemptTimedOut { id, n });
                    }
                    Answer::Refused | Answer::Error => sim.attempt_outcome(id, n, Outcome::Failure),
                    Answer::Gone => sim.attempt_outcome(id, n, Outcome::Gone),
                }
            }
            Step::AttemptTimedOut { id, n } => sim.attempt_outcome(id, n, Outcome::Failure),
        }
    }

    let effective = strategy.effective_interval();
    let peak = sim.api.peak_use();
    let emitter = sim.emitter;
    let outcome = sim
        .rec
        .finish(|id| fate(strategy.as_ref(), emitter.as_ref(), log, end, id))
        .map_err(|what| SimError { label: label.clone(), what })?;
    let report = StrategyReport::new(spec, scenario, &outcome, effective, peak);
    Ok(RowResult { report, steps: sim.steps })
}
