//! The row core: one table row as a sans-IO state machine, the books kept once for both engines.
//!
//! ```text
//!             inputs (now, Input)                         outputs
//!  driver ──────────────────────────▶  Row  ──poll_action()──▶ Send / Wake  ──▶ driver
//!   (sim queue or live actor)          │ strategy, Books, rng
//!                                      └─ finish(outbox, end) ──▶ RowOutcome (settled, checked)
//!
//!  driver ── on_event / begin / end ──▶ Outbox (engine::outbox: emitter + webhook counts)
//!  driver ── admit_delivery / processing_done ──▶ Row ──▶ ReceiverPool (engine::processing)
//! ```
//!
//! Owns, for one row, everything that is counted: the strategy state machine, its [`Books`],
//! its own random stream, the billing of every API answer (wasted or not, 304s, 429s, bytes from
//! the one wire model), the bytes of stream messages and webhook deliveries, and the settlement
//! at the end (every event detected, missed or in flight, checked for conservation:
//! [`ConservationBreach`]). The provider's side of a subscription — its emitter and the webhook
//! counters — is an [`Outbox`], driven through three calls that keep its counts; a finite
//! receiver's processing is a [`ReceiverPool`], modelled or real as the driver chose when it built
//! the row, which the row feeds the deliveries it takes and the events first fetched. Modelled on
//! quinn-proto's `Connection`: inputs in, actions out, the statistics inside; the sim engine and
//! the live engine only carry inputs in and actions out and keep no books of their own. It never
//! touches a socket, a clock or a thread.
//!
//! The row does not own the event log: every call that needs it takes it, so the sim can hold a
//! window of the stream and grow it as time passes. Retirement ([`Row::retire`]) moves the
//! window's floor past the events the row can no longer be asked about — visible, settled in the
//! recorder (or out of the strategy's reach — and, for a row that reads resource states, with a
//! newer state of its resource on show and no answer in flight), not pending at the emitter, and
//! processed — folding their books into counts and histograms. It goes oldest first and stops at
//! the first event still needed, so the window is the row's backlog. One exception keeps a long
//! retry from pinning every event behind it: in a row that only takes fat webhooks (it never asks
//! the API), an event waiting only on the emitter's attempts or on a finite receiver's processing
//! is parked — the emitter keeps its id, the recorder its time, resource and version (all a later
//! delivery reads), the pool its processing time — and the window moves past it. Nothing retired
//! is ever asked about again except a parked event by its delivery, so results do not depend on
//! when retirement runs.

use crate::engine::processing::{Admission, PoolMode, ReceiverPool};
use crate::model::api::{Response, Status};
use crate::model::dist::Rng;
use crate::model::emitter::DeliveryState;
use crate::model::receiver::Answer;
use crate::model::source::EventLog;
use crate::model::wire;
use crate::scenario::{Payload, Scenario};
use crate::strategy::books::{Books, Fate, Outcome, Parked};
use crate::strategy::machine::Machine;
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
pub struct ConservationBreach {
    /// The row.
    pub label: String,
    /// What broke.
    pub what: String,
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
    strategy: Machine,
    subscription: Option<Payload>,
    rec: Books,
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
    pool: Option<ReceiverPool>,
    /// The circuit breaker on the row's API calls, if the scenario sets one.
    breaker: Option<Breaker>,
}

impl Row {
    /// The row `spec` over `log`; `stream` names its random stream (the sim's `strategy/…` and
    /// the live engine's `live-strategy/…` differ so each engine keeps its own reproducible draws);
    /// `mode` says who processes for a finite receiver: the model, or the driver's own workers.
    pub fn new(scenario: &Scenario, log: &EventLog, spec: &Spec, stream: &str, mode: PoolMode) -> Self {
        let label = spec.label();
        let strategy = Machine::new(spec, scenario);
        let subscription = strategy.subscription();
        let capacity = &scenario.receiver.capacity;
        let bucket = scenario.timeline_bucket();
        let pool = (!capacity.is_transparent())
            .then(|| ReceiverPool::new(capacity, scenario.seed, &label, mode, bucket));
        let mut rec = Books::new(log, scenario.duration);
        rec.keep_timeline(bucket);
        if pool.is_some() {
            rec.track_fresh();
        }
        Row {
            pool,
            breaker: scenario.strategies.circuit_breaker.map(Breaker::new),
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
    fn with_strategy(&mut self, now: Micros, log: &EventLog, f: impl FnOnce(&mut Machine, &mut Cx<'_, '_>)) {
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
        f(&mut self.strategy, &mut cx);
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
        if let Some(pool) = self.pool.as_mut() {
            let fresh = self.rec.take_fresh();
            if !matches!(input, Input::Delivery { .. }) {
                let floor = self.rec.offset();
                for id in fresh {
                    pool.fetched(now, id, floor);
                }
            }
        }
    }

    /// A delivery of event `id`, answered `answer` by the receiver's faults, reached the receiver
    /// at `now`. Only a fat delivery the receiver takes meets its processing pool (a thin one is
    /// acknowledged at once; its event is processed when the fetch brings it), and only when the
    /// pool is finite. A real pool's driver waits for a worker and for the drawn time, and
    /// reports the finish with [`Row::processing_done`]; the backlog and the processed latencies
    /// are kept here, from those real times.
    pub fn admit_delivery(&mut self, now: Micros, id: u32, answer: Answer) -> Admission {
        let fat = self.subscription == Some(Payload::Fat);
        let floor = self.rec.offset();
        match self.pool.as_mut() {
            Some(pool) if fat && answer.processed() => pool.admit(now, id, floor),
            _ => Admission::Untouched,
        }
    }

    /// A delivery or a handed-over event `id`, held by a real pool, finished processing at `now`.
    pub fn processing_done(&mut self, now: Micros, id: u32) {
        let floor = self.rec.offset();
        if let Some(pool) = self.pool.as_mut() {
            pool.done(now, id, floor);
        }
    }

    /// The fetched events a real pool hands to the driver's workers, in order, with their
    /// processing times (the poller is not held while they are processed).
    pub fn take_handover(&mut self) -> Vec<(u32, Micros)> {
        self.pool.as_mut().map(ReceiverPool::take_handover).unwrap_or_default()
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
                    self.rec.account(now, resp, before);
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
        if self.pool.as_ref().is_some_and(|p| p.busy(now)) {
            return false; // still processing
        }
        if outbox.is_some_and(|o| o.emitter.pending() > 0) {
            return false;
        }
        if self.rec.unsettled_count(log) == 0 {
            return true;
        }
        let strategy = &self.strategy;
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
    ) -> Result<RowOutcome, ConservationBreach> {
        if let Some(o) = outbox {
            self.rec.webhooks = o.counts;
            if let Some(t) = self.rec.timeline_mut() {
                t.merge(&o.timeline);
            }
        }
        let offset = self.rec.offset();
        // The held events that happened by the end count in the timeline (retired and parked
        // ones were counted as they left).
        for id in offset..log.len() as u32 {
            let at = log.get(id).at;
            if at <= end && !log.unwanted_id(id) {
                self.rec.happened(at);
            }
        }
        let (strategy, label) = (&self.strategy, self.label);
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
        let mut outcome = outcome.map_err(|what| ConservationBreach { label, what })?;
        outcome.events.total -= unborn;
        outcome.events.in_flight -= unborn;
        if let Some(pool) = self.pool {
            let (processed, timeline) = pool.finish(log, offset, end);
            outcome.processed = Some(processed);
            if let Some(t) = outcome.timeline.as_mut() {
                t.merge(&timeline);
            }
        }
        Ok(RowOutcome { outcome, effective: self.strategy.effective_interval(), steps: self.steps })
    }

    /// Retires, oldest first, the events the row can no longer be asked about at `now`, up to
    /// the first it may still need: the log, the recorder, the emitter and the processing pool
    /// drop them, their books folded into counts (a retired undetected event is missed, as
    /// [`Row::finish`] would have found). Returns the new floor. Results do not depend on when
    /// this is called.
    pub fn retire(&mut self, log: &mut EventLog, outbox: Option<&mut Outbox>, now: Micros) -> u32 {
        let mut id = self.rec.offset();
        let end = log.len() as u32;
        let may_park = self.may_park();
        while id < end {
            if log.get(id).visible_at > now {
                break;
            }
            let pending = outbox.as_deref().is_some_and(|o| o.emitter.state(id) == DeliveryState::Pending);
            let working = self.pool.as_ref().is_some_and(|p| p.processing_oldest(now));
            // Parked only once the emitter has heard of it (its arrival is handled) and it has
            // waited longer than a first attempt takes: a delivery on time costs no map entry.
            if (pending || working)
                && !(may_park
                    && outbox.as_deref().is_some_and(|o| o.emitter.heard(id))
                    && now - log.get(id).at > self.park_after)
            {
                break;
            }
            // An undetected event retires once nothing can reach it. Only a resource's state can
            // show an event the strategy has passed by: while it is still its resource's latest,
            // or while an answer that may carry it is on its way.
            if !self.rec.is_settled(id)
                && (self.strategy.can_still_detect(id, log.superseded(id, now))
                    || (self.reads_resources && (self.outstanding > 0 || !log.superseded_visibly(id, now))))
            {
                break;
            }
            if log.unwanted_id(id) {
                // Of a type nobody wants, and passed by (its emitter settled it unsent, no
                // answer or stream may still carry it): it counts nowhere.
                if let Some(p) = self.pool.as_mut() {
                    p.retire_oldest(id, log.get(id).at, false, now);
                }
                self.rec.retire_unwanted();
                id += 1;
                continue;
            }
            if let Some(p) = self.pool.as_mut() {
                p.retire_oldest(id, log.get(id).at, pending, now);
            }
            self.rec.happened(log.get(id).at);
            if pending && !self.rec.is_settled(id) {
                let e = log.get(id);
                self.rec.park(Parked { at: e.at, resource: e.resource, version: e.version });
            } else {
                self.rec.retire();
            }
            id += 1;
        }
        log.retire(id);
        if let Some(o) = outbox {
            o.emitter.retire(id);
            if self.rec.parked() > 0 {
                // A parked event whose delivery was dead-lettered is missed for good.
                self.rec.drop_parked(|p| o.emitter.state(p) == DeliveryState::Pending);
            }
            let parked_work = match self.pool.as_mut() {
                Some(p) => {
                    p.settle_parked(now, |p| o.emitter.state(p) == DeliveryState::Pending);
                    p.parked()
                }
                None => 0,
            };
            // Counted twice when both wait on one event: an upper bound on the events held.
            log.hold_parked(o.emitter.parked() + parked_work);
        }
        id
    }

    /// Whether an event waiting only on the emitter or on the receiver's processing may be
    /// parked: the row takes fat webhooks and has never asked the API, so nothing but a
    /// delivery can reach a retired event.
    fn may_park(&self) -> bool {
        self.subscription == Some(Payload::Fat) && !self.asks_api
    }
}

/// Tests of the row core: settling a partial run, and handing fetched events to real workers.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::StrategyKind;
    use crate::support::units::SECOND;

    /// A run stopped early settles its rows at the time it stopped: the events after it never
    /// happened, so they count neither in the total nor in flight — for every strategy, whatever
    /// its emitter would have said of them.
    #[test]
    fn a_row_settled_early_leaves_out_the_events_not_yet_happened() {
        let s =
            Scenario::from_toml("name = \"early\"\nduration = \"1h\"\n[events]\nrate = \"600/h\"\n", "test")
                .expect("a valid scenario");
        let log = EventLog::generate(&s);
        let end = 20 * 60 * SECOND;
        let happened = log.events().iter().filter(|e| e.at <= end).count();
        assert!(happened > 100 && happened < log.len() - 100, "{happened} of {}", log.len());
        for kind in [StrategyKind::Poll, StrategyKind::Webhook] {
            let spec = Spec { kind, interval: Some(30 * SECOND) };
            let row = Row::new(&s, &log, &spec, "test", PoolMode::Modelled);
            let outbox = row.subscription().map(|_| Outbox::new(&s, log.len(), "test"));
            let out = row.finish(outbox.as_ref(), end, &log).expect("conserved").outcome.events;
            assert_eq!(out.total, happened as u64, "{kind:?}");
            assert_eq!((out.detected, out.missed, out.in_flight), (0, 0, happened as u64), "{kind:?}");
        }
    }

    /// A driver that processes for real gets the events its poller fetched handed over, with the
    /// model's processing times, and the row counts them processed only when told they are.
    #[test]
    fn fetched_events_are_handed_over_when_the_driver_processes_for_real() {
        let s = Scenario::from_toml(
            "name = \"real\"\nduration = \"10m\"\n[events]\nrate = \"600/h\"\n\
             [receiver]\nworkers = 1\nprocess = \"1s\"\nack = \"on-receipt\"\n",
            "test",
        )
        .expect("a valid scenario");
        let log = EventLog::generate(&s);
        let spec = Spec { kind: StrategyKind::Poll, interval: Some(30 * SECOND) };
        let mut row = Row::new(&s, &log, &spec, "test", PoolMode::Real);
        let mut api = crate::model::api::Api::new(&s.api, s.events.payload_bytes);
        let mut wakes = std::collections::BTreeMap::new();
        let mut handed = Vec::new();
        row.start(0, &log);
        let mut now = 0;
        loop {
            while let Some(a) = row.poll_action() {
                match a {
                    Action::Send { tag, req, billable } => {
                        let resp = api.handle(&log, now, req, billable);
                        row.handle(now, Input::Answer { tag, resp: &resp, billable }, &log);
                    }
                    Action::Wake { at, token } => {
                        wakes.insert((at, token), ());
                    }
                }
            }
            handed.extend(row.take_handover());
            let Some((&(at, token), _)) = wakes.iter().next() else { break };
            if at > s.duration {
                break;
            }
            wakes.remove(&(at, token));
            now = at;
            row.handle(now, Input::Timer(token), &log);
        }
        assert!(handed.len() > 50, "{} handed over", handed.len());
        assert!(handed.iter().all(|&(_, work)| work == SECOND), "the model draws the work");
        assert!(!row.settled(None, now, &log), "held events are still being processed");
        for &(id, _) in &handed[..10] {
            row.processing_done(now, id);
        }
        let out = row.finish(None, now, &log).expect("conserved").outcome;
        assert_eq!(out.processed.expect("finite capacity").count, 10, "only what was reported done");
    }
}
