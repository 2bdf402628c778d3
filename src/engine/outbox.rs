//! The provider's side of a subscription: the sans-IO emitter, its pipeline and its counters.
//!
//! Owns, for one webhook subscription, the books the provider keeps — attempts, failures,
//! retries, deliveries, dead letters — behind three calls ([`Outbox::on_event`],
//! [`Outbox::begin`], [`Outbox::end`]) that both engines make, so neither counts anything of its
//! own. Split from the row core ([`crate::engine::row`]), which settles a row against it. It
//! never touches a socket, a clock or a thread.

use crate::model::capacity::Pipeline;
use crate::model::dist::Rng;
use crate::model::emitter::{AttemptOutcome, Emitter, Next};
use crate::model::network::Connections;
use crate::scenario::Scenario;
use crate::strategy::books::{TimelineBooks, WebhookCounts};
use crate::support::units::Micros;

/// The provider's side of one subscription: the sans-IO emitter and the webhook counters, kept
/// here and nowhere else. The random stream is the caller's (the sim shares one network stream
/// between round trips, the emitter and the receiver; the live emitter has its own).
#[derive(Debug)]
pub struct Outbox {
    /// The emitter.
    pub emitter: Emitter,
    /// Attempts, failures, retries, deliveries, dead letters.
    pub counts: WebhookCounts,
    /// The provider's delivery pipeline, when `max_in_flight` or `throughput` caps it.
    pub pipeline: Option<Pipeline>,
    /// Attempts, retries and failed attempts in time (the row's timeline merges it).
    pub timeline: TimelineBooks,
    /// The provider's connections to the receiver: which attempts open one first
    /// (`[webhook] connection` over `[network]`; nothing modelled without them).
    pub connections: Connections,
}

impl Outbox {
    /// An outbox for `events` events of `scenario`; `stream` names its connections' random
    /// stream (each row and engine its own).
    pub fn new(scenario: &Scenario, events: usize, stream: &str) -> Self {
        let wh = &scenario.webhook;
        let capped = wh.max_in_flight.is_some() || wh.throughput.is_some();
        Outbox {
            emitter: Emitter::new(wh, events),
            counts: WebhookCounts::default(),
            pipeline: capped.then(|| Pipeline::new(wh.max_in_flight, wh.throughput)),
            timeline: TimelineBooks::new(scenario.timeline_bucket()),
            connections: Connections::new(
                wh.connection,
                scenario.network.as_ref(),
                scenario.seed,
                &format!("handshake/{stream}"),
            ),
        }
    }

    /// Event `id` happened at `now`: when its first attempt is due, or `None` when the endpoint
    /// is disabled (dead-lettered at once).
    pub fn on_event(&mut self, id: u32, now: Micros, rng: &mut Rng) -> Option<Micros> {
        let first = self.emitter.on_event(id, now, rng);
        if first.is_none() {
            self.counts.dead_lettered += 1;
        }
        first
    }

    /// Attempt `n` of event `id` is due at `now`: true if it goes out (counted), false if the
    /// endpoint was disabled meanwhile (dead-lettered without being sent).
    pub fn begin(&mut self, id: u32, n: u32, now: Micros) -> bool {
        if !self.emitter.due(id) {
            self.counts.dead_lettered += 1;
            if let Some(p) = self.pipeline.as_mut() {
                p.ended(); // released by the pipeline, never sent
            }
            return false;
        }
        self.counts.attempts += 1;
        let b = self.timeline.at(now);
        b.attempts += 1;
        if n > 1 {
            self.counts.retried += 1;
            b.retries += 1;
        }
        true
    }

    /// Attempt `n` of event `id` ended at `now` with `outcome`: the next attempt and when it is
    /// due, if any.
    pub fn end(
        &mut self,
        id: u32,
        n: u32,
        outcome: AttemptOutcome,
        now: Micros,
        rng: &mut Rng,
    ) -> Option<(u32, Micros)> {
        if let Some(p) = self.pipeline.as_mut() {
            p.ended();
        }
        if outcome != AttemptOutcome::Success {
            self.counts.failed += 1;
            self.timeline.at(now).attempts_failed += 1;
        }
        match self.emitter.on_outcome(id, n, outcome, now, rng) {
            Next::Done => {
                if outcome == AttemptOutcome::Success {
                    self.counts.delivered += 1;
                }
                None
            }
            Next::Retry { attempt, at } => Some((attempt, at)),
            Next::DeadLetter => {
                self.counts.dead_lettered += 1;
                None
            }
        }
    }
}
