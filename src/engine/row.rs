//! The row core: one table row as a sans-IO state machine, the books kept once for both engines.
//!
//! ```text
//!             inputs (now, Input)                         outputs
//!  driver ──────────────────────────▶  Row  ──poll_action()──▶ Send / Wake  ──▶ driver
//!   (sim queue or live actor)          │ strategy, Recorder, rng
//!                                      └─ finish(outbox, end) ──▶ RowOutcome (settled, checked)
//!
//!  driver ── on_event / begin / end ──▶ Outbox (engine::outbox: emitter + webhook counts)
//! ```
//!
//! Owns, for one row, everything that is counted: the strategy state machine, its [`Recorder`],
//! its own random stream, the billing of every API answer (wasted or not, 304s, 429s, bytes from
//! the one wire model), the bytes of stream messages and webhook deliveries, and the settlement
//! at the end (every event detected, missed or in flight). The provider's side of a
//! subscription — its emitter and the webhook counters — is an [`Outbox`], driven through three
//! calls that keep its counts. Modelled on quinn-proto's `Connection`: inputs in, actions out, the
//! statistics inside; the sim engine and the live engine only carry inputs in and actions out and
//! keep no books of their own. It never touches a socket, a clock or a thread.
//!
//! The row does not own the event log: every call that needs it takes it, so the sim can hold a
//! window of the stream and grow it as time passes. [`Row::retire`] moves the window's floor past
//! the events the row can no longer be asked about — visible, settled in the recorder (or beyond
//! the strategy's reach with no answer in flight and a newer state of its resource on show), not
//! pending at the emitter (or, in a fat-webhook-only row, parked while it is), processed —
//! folding their books into counts and histograms.

use std::collections::{HashMap, VecDeque};

use crate::model::api::{Response, Status};
use crate::model::capacity::{Ack, Workers};
use crate::model::dist::Rng;
use crate::model::emitter::DeliveryState;
use crate::model::receiver::Answer;
use crate::model::source::EventLog;
use crate::model::wire;
use crate::scenario::{Payload, Scenario};
use crate::strategy::books::{Fate, Outcome, Processed, Recorder};
use crate::strategy::{Action, Breaker, Cx, Spec, Strategy};
use crate::support::units::Micros;

pub use crate::engine::outbox::Outbox;

/// Something that happened to a row.
#[derive(Debug, Clone, Copy)]
pub enum Input<'r> {
    /// A timer the strategy set fired.
    Timer(u64),
    /// The answer to a request sent with `tag` arrived; `billable` as the request was sent.
    Answer {
        /// The request's tag.
        tag: u64,
        /// The answer, with its bytes from the wire model.
        resp: &'r Response,
        /// Whether the request counts toward the window's cost.
        billable: bool,
    },
    /// Event `id` arrived on the stream opened with `tag`.
    StreamEvent {
        /// The stream's tag.
        tag: u64,
        /// The event.
        id: u32,
    },
    /// The server dropped the stream opened with `tag`, asking for `retry` before reconnecting.
    StreamClosed {
        /// The stream's tag.
        tag: u64,
        /// The `retry:` delay.
        retry: Micros,
    },
    /// A delivery attempt of event `id` reached the receiver and was answered `answer`.
    Delivery {
        /// The event.
        id: u32,
        /// How the receiver answered it.
        answer: Answer,
    },
}

/// A row broke a model invariant (conservation, time going back): a bug, never a result.
#[derive(Debug, Clone, thiserror::Error)]
#[error("internal check failed for {label}: {what}")]
pub struct Breach {
    /// The row.
    pub label: String,
    /// What broke.
    pub what: String,
}

/// What a finite receiver made of a delivery ([`Row::admit_delivery`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Not a delivery the processing pool sees (capacity unlimited, a fault, a thin payload).
    Untouched,
    /// An on-receipt queue was full: answered 503, nothing processed.
    Refused,
    /// Queued; the receiver answers at this time (at once on receipt, or when processed).
    AnswerAt(Micros),
}

/// What a receiver that holds deliveries for real (the live engine) must do with one
/// ([`Row::delivery_arrived`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Not a delivery the processing pool sees: answer as the faults say.
    Untouched,
    /// An on-receipt queue was full: answer 503, process nothing.
    Refused,
    /// Process it for `work`: wait for a worker first, then answer 2xx when done
    /// (`on_receipt` false) or at once, processing from the queue (`on_receipt` true); report
    /// the end with [`Row::processing_done`].
    Process {
        /// The processing time, drawn by the model.
        work: Micros,
        /// Answer on receipt rather than after processing.
        on_receipt: bool,
    },
}

/// A row, settled.
#[derive(Debug, Clone)]
pub struct RowOutcome {
    /// The settled counts and latencies.
    pub outcome: Outcome,
    /// The interval actually polled at.
    pub effective: Option<Micros>,
    /// Inputs handled.
    pub steps: u64,
}

/// One table row: a strategy and its books.
pub struct Row {
    label: String,
    window_end: Micros,
    payload_bytes: u32,
    strategy: Box<dyn Strategy>,
    subscription: Option<Payload>,
    rec: Recorder,
    rng: Rng,
    actions: Vec<Action>,
    /// Actions before this index were handed out by `poll_action`.
    next: usize,
    /// Requests handed out whose answers have not come back.
    outstanding: u32,
    /// Whether the row has asked for a resource's state (then the API may still show an
    /// undetected event while it is its resource's latest).
    reads_resources: bool,
    /// Whether the row has sent any request (then a retired event may not be parked).
    asks_api: bool,
    /// How long an event waits on the emitter before it may be parked: the webhook's timeout
    /// (by then a first attempt on time has come and gone).
    park_after: Micros,
    steps: u64,
    /// The receiver's processing pool, when its capacity is finite.
    workers: Option<Workers>,
    /// The draws of processing times.
    work_rng: Rng,
    /// When each held event was first processed (`Micros::MAX`: not yet), with a finite pool:
    /// events `rec.offset()..`; retired ones are folded into `processed`.
    processed_at: VecDeque<Micros>,
    /// The processing latencies of retired events.
    processed: Processed,
    /// Parked events (retired past while still pending or processing) whose processing is not
    /// folded yet: event time and when first processed (`Micros::MAX`: not yet).
    parked_work: HashMap<u32, (Micros, Micros)>,
    /// The circuit breaker on the row's API calls, if the scenario sets one.
    breaker: Option<Breaker>,
    /// `Some` when the driver processes for real ([`Row::hold_for_real`]): the events fetched
    /// from the API waiting to be handed to its workers, with their drawn processing times.
    handover: Option<Vec<(u32, Micros)>>,
}

impl Row {
    /// The row `spec` over `log`; `stream` names its random stream (the sim's `strategy/…` and
    /// the live engine's `live-strategy/…` differ so each engine keeps its own reproducible draws).
    pub fn new(scenario: &Scenario, log: &EventLog, spec: &Spec, stream: &str) -> Self {
        let label = spec.label();
        let strategy = spec.build(scenario);
        let subscription = strategy.subscription();
        let capacity = &scenario.receiver.capacity;
        let workers = (!capacity.is_transparent()).then(|| Workers::new(capacity));
        let mut rec = Recorder::new(log, scenario.duration);
        if workers.is_some() {
            rec.track_fresh();
        }
        Row {
            work_rng: Rng::new(scenario.seed, &format!("process/{label}")),
            processed_at: VecDeque::new(),
            parked_work: HashMap::new(),
            processed: Processed {
                hist: hdrhistogram::Histogram::new(3).expect("3 significant digits is a valid histogram"),
                sum_us: 0,
                max_us: 0,
                count: 0,
                peak_backlog: 0,
                rejected: 0,
            },
            workers,
            breaker: scenario.strategies.circuit_breaker.map(Breaker::new),
            handover: None,
            rng: Rng::new(scenario.seed, &format!("{stream}/{label}")),
            label,
            window_end: scenario.duration,
            payload_bytes: scenario.events.payload_bytes,
            strategy,
            subscription,
            rec,
            actions: Vec::with_capacity(64),
            next: 0,
            outstanding: 0,
            reads_resources: false,
            asks_api: false,
            park_after: scenario.webhook.timeout,
            steps: 0,
        }
    }

    /// The row's label, such as `poll@30s`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The webhook payload this row subscribes to, if it takes webhooks.
    pub fn subscription(&self) -> Option<Payload> {
        self.subscription
    }

    /// Runs one strategy callback with a context at `now`.
    fn with_strategy(
        &mut self,
        now: Micros,
        log: &EventLog,
        f: impl FnOnce(&mut dyn Strategy, &mut Cx<'_, '_>),
    ) {
        if self.next > 0 {
            self.actions.drain(..self.next);
            self.next = 0;
        }
        let mut cx = Cx {
            now,
            window_end: self.window_end,
            rng: &mut self.rng,
            actions: &mut self.actions,
            rec: &mut self.rec,
            log,
            breaker: &mut self.breaker,
        };
        f(self.strategy.as_mut(), &mut cx);
    }

    /// The run begins at `now` (0).
    pub fn start(&mut self, now: Micros, log: &EventLog) {
        self.with_strategy(now, log, |s, cx| s.start(cx));
    }

    /// Feeds one input at `now`; its actions are then ready in [`Row::poll_action`]. Events the
    /// consumer first got from the API are handed to the processing pool, if it is finite; a
    /// delivery was handed to it by [`Row::admit_delivery`].
    pub fn handle(&mut self, now: Micros, input: Input<'_>, log: &EventLog) {
        self.handle_input(now, input, log);
        if self.workers.is_some() {
            let fresh = self.rec.take_fresh();
            if !matches!(input, Input::Delivery { .. }) {
                for id in fresh {
                    match self.handover.is_some() {
                        true => self.hand_over(now, id),
                        false => {
                            self.process(now, id);
                        }
                    }
                }
            }
        }
    }

    /// The driver processes for real: deliveries through [`Row::delivery_arrived`], and the
    /// events the consumer fetches handed over through [`Row::take_handover`]; either way it
    /// reports each finish with [`Row::processing_done`]. Without this the pool is modelled.
    pub fn hold_for_real(&mut self) {
        if self.workers.is_some() {
            self.handover = Some(Vec::new());
        }
    }

    /// A fetched event joins the real pool at `now`: its processing time is drawn and it counts
    /// as held until its finish is reported.
    fn hand_over(&mut self, now: Micros, id: u32) {
        let (Some(w), Some(queue)) = (self.workers.as_mut(), self.handover.as_mut()) else { return };
        queue.push((id, w.arrive(now, &mut self.work_rng)));
    }

    /// The fetched events to hand to the real workers, in order, with their processing times
    /// (the poller is not held while they are processed).
    pub fn take_handover(&mut self) -> Vec<(u32, Micros)> {
        self.handover.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Hands event `id` to the pool at `now`; returns when its processing finishes.
    fn process(&mut self, now: Micros, id: u32) -> Micros {
        let Some(w) = self.workers.as_mut() else { return now };
        let finish = w.admit(now, &mut self.work_rng);
        if let Some(at) = self.processed_slot(id) {
            *at = (*at).min(finish);
        }
        finish
    }

    /// The processing pool a delivery answered `answer` meets: only a fat delivery the receiver
    /// takes, and only when the pool is finite.
    fn pool_for(&mut self, answer: Answer) -> Option<(&mut Workers, &mut Rng)> {
        let fat = self.subscription == Some(Payload::Fat);
        let Row { workers, work_rng, .. } = self;
        workers.as_mut().filter(|_| fat && answer.processed()).map(|w| (w, work_rng))
    }

    /// A delivery of event `id`, answered `answer` by the receiver's faults, reached the receiver
    /// at `now`. Only a fat delivery the receiver takes meets its processing pool (a thin one is
    /// acknowledged at once; its event is processed when the fetch brings it), and only when the
    /// pool is finite.
    pub fn admit_delivery(&mut self, now: Micros, id: u32, answer: Answer) -> Admission {
        let Some((w, _)) = self.pool_for(answer) else { return Admission::Untouched };
        if w.refuses(now) {
            return Admission::Refused;
        }
        let on_receipt = w.config().ack == Ack::OnReceipt;
        let finish = self.process(now, id);
        Admission::AnswerAt(if on_receipt { now } else { finish })
    }

    /// Like [`Row::admit_delivery`], for a driver that holds the delivery for real: the model
    /// decides whether it is refused and draws its processing time; the driver waits for a
    /// worker and for that time, and reports the finish with [`Row::processing_done`]. The
    /// backlog and the processed latencies are kept here, from those real times.
    pub fn delivery_arrived(&mut self, now: Micros, answer: Answer) -> Hold {
        let Some((w, rng)) = self.pool_for(answer) else { return Hold::Untouched };
        if w.refuses(now) {
            return Hold::Refused;
        }
        Hold::Process { work: w.arrive(now, rng), on_receipt: w.config().ack == Ack::OnReceipt }
    }

    /// A delivery of event `id` taken by [`Row::delivery_arrived`] finished processing at `now`.
    pub fn processing_done(&mut self, now: Micros, id: u32) {
        let Some(w) = self.workers.as_mut() else { return };
        w.depart();
        if let Some(at) = self.processed_slot(id) {
            *at = (*at).min(now);
        }
    }

    fn handle_input(&mut self, now: Micros, input: Input<'_>, log: &EventLog) {
        self.steps += 1;
        match input {
            Input::Timer(token) => self.with_strategy(now, log, |s, cx| s.on_timer(cx, token)),
            Input::Answer { tag, resp, billable } => {
                self.outstanding = self.outstanding.saturating_sub(1);
                if let Some(b) = self.breaker.as_mut() {
                    if resp.status == Status::Unavailable {
                        if b.failure(now) {
                            self.rec.requests.breaker_openings += 1;
                        }
                    } else {
                        b.success();
                    }
                }
                let before = self.rec.detected();
                self.with_strategy(now, log, |s, cx| s.on_response(cx, tag, resp));
                if billable {
                    self.rec.account(resp, before);
                }
            }
            Input::StreamEvent { tag, id } => {
                if now < self.window_end {
                    self.rec.bytes_received += wire::sse_event(self.payload_bytes);
                }
                self.with_strategy(now, log, |s, cx| s.on_stream_event(cx, tag, id));
            }
            Input::StreamClosed { tag, retry } => {
                self.with_strategy(now, log, |s, cx| s.on_stream_closed(cx, tag, retry));
            }
            Input::Delivery { id, answer } => {
                if answer != Answer::Refused {
                    let body = match self.subscription {
                        Some(Payload::Thin) => wire::THIN_BODY,
                        _ => wire::event_json(self.payload_bytes),
                    };
                    self.rec.bytes_received += wire::WEBHOOK_HEADERS + body;
                    self.rec.bytes_sent += wire::WEBHOOK_RESPONSE;
                }
                if answer.processed() {
                    self.with_strategy(now, log, |s, cx| s.on_webhook(cx, id));
                }
            }
        }
    }

    /// The next thing the row asks its driver to do, in the order asked.
    pub fn poll_action(&mut self) -> Option<Action> {
        match self.actions.get(self.next) {
            Some(&a) => {
                self.next += 1;
                if let Action::Send { req, .. } = a {
                    self.outstanding += 1;
                    self.asks_api = true;
                    self.reads_resources |= matches!(req, crate::model::api::Request::Resource(_));
                }
                Some(a)
            }
            None => {
                self.actions.clear();
                self.next = 0;
                None
            }
        }
    }

    /// The driver found the model broken (time going back, an answer with no request): recorded,
    /// and reported as an internal error when the row is settled.
    pub fn violation(&mut self, what: String) {
        self.rec.violation(what);
    }

    /// Whether nothing is in flight at `now`: no request awaiting its answer (it may still be
    /// billed), no delivery pending at the provider, and every
    /// event detected, or missed for good (neither the strategy nor a retry can still reach it).
    /// Past the window, a settled row has nothing left to measure, so its drain can end.
    pub fn settled(&self, outbox: Option<&Outbox>, now: Micros, log: &EventLog) -> bool {
        if self.outstanding > 0 {
            return false;
        }
        let working = |&at: &Micros| at != Micros::MAX && at > now;
        if self.processed_at.iter().any(working)
            || self.parked_work.values().any(|(_, at)| working(at))
            || self.workers.as_ref().is_some_and(|w| w.held() > 0)
        {
            return false; // still processing
        }
        if outbox.is_some_and(|o| o.emitter.pending() > 0) {
            return false;
        }
        if self.rec.unsettled_count(log) == 0 {
            return true;
        }
        let strategy = self.strategy.as_ref();
        self.rec.unsettled(log).all(|id| !strategy.can_still_detect(id, log.superseded(id, now)))
    }

    /// Settles the row at `end`: every undetected event is in flight while the strategy could
    /// still reach it or the subscription's emitter still has an attempt ahead, missed otherwise;
    /// then checks conservation.
    pub fn finish(
        mut self,
        outbox: Option<&Outbox>,
        end: Micros,
        log: &EventLog,
    ) -> Result<RowOutcome, Breach> {
        if let Some(o) = outbox {
            self.rec.webhooks = o.counts;
        }
        let offset = self.rec.offset();
        let (strategy, label) = (self.strategy.as_ref(), self.label);
        // A run stopped early covers [0, end): the undetected events after it never happened,
        // so they are neither produced nor in flight (settled in flight here, taken out below).
        let mut unborn = 0u64;
        let outcome = self.rec.finish(log, |id| {
            // A parked event (retired, still awaiting an attempt) happened before the end.
            let held = log.try_get(id).is_some();
            if held && log.get(id).at > end {
                unborn += 1;
                return Fate::InFlight;
            }
            let pending = outbox.is_some_and(|o| o.emitter.state(id) == DeliveryState::Pending);
            if pending || strategy.can_still_detect(id, held && log.superseded(id, end)) {
                Fate::InFlight
            } else {
                Fate::Missed
            }
        });
        let mut outcome = outcome.map_err(|what| Breach { label, what })?;
        outcome.events.total -= unborn;
        outcome.events.in_flight -= unborn;
        if let Some(w) = &self.workers {
            let mut p = self.processed;
            add_processed(&mut p, log, offset, &self.processed_at, &self.parked_work, end);
            p.peak_backlog = w.peak_backlog();
            p.rejected = w.rejected();
            outcome.processed = Some(p);
        }
        Ok(RowOutcome { outcome, effective: self.strategy.effective_interval(), steps: self.steps })
    }
}

#[path = "row_retire.rs"]
mod retire;
use retire::add_processed;

#[cfg(test)]
#[path = "row_tests.rs"]
mod tests;
