//! The provider's webhook emitter: when each attempt goes out and what happens after it fails.
//!
//! Owns the delivery state of every event: pending, delivered, or dead-lettered, and whether the
//! endpoint has been disabled (after a `410 Gone`). Given the outcome of an attempt it answers
//! with the next step — retry at a time (the schedule with jitter, or the receiver's
//! `Retry-After` if later, capped at [`MAX_SERVER_WAIT`]), or the dead-letter queue. It owns the
//! [`WebhookConfig`] (and the [`Payload`] shape) a scenario fills in. No sockets, no clock.
//!
//! States are held from the oldest event not yet retired on: the sim's row retires an event
//! ([`Emitter::retire`]) once nothing else needs it. A retired event whose delivery is still
//! pending is parked — its id kept in a side set until its delivery settles — so a long run
//! holds only the pending deliveries and a short window, not every event behind a long retry.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::model::dist::{Delay, Rng, Sampler};
use crate::model::retry::RetryPolicy;
use crate::support::ids::IdSet;
use crate::support::units::Micros;

/// Fat or thin webhook payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Payload {
    /// The whole event.
    Fat,
    /// Id and type only; the consumer fetches the rest.
    Thin,
}

/// The provider's webhook emitter.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookConfig {
    /// From the event to the attempt reaching the receiver (queueing plus network).
    #[serde(
        serialize_with = "crate::model::dist::delay_secs",
        deserialize_with = "crate::model::dist::de_delay_secs"
    )]
    pub delay: Delay,
    /// Per-attempt timeout.
    #[serde(
        rename = "timeout_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub timeout: Micros,
    /// Retry schedule.
    pub retry: RetryPolicy,
    /// Payload the `webhook` and `hybrid-reconcile` strategies receive (`hybrid` is always thin).
    pub payload: Payload,
    /// Attempts outstanding per endpoint at the provider; `None` is unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u32>,
    /// The provider's delivery pipeline for the endpoint; `None` is unlimited.
    #[serde(
        rename = "throughput_per_h",
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::support::units::opt_per_hour",
        deserialize_with = "crate::support::units::de_opt_per_hour"
    )]
    pub throughput: Option<crate::support::units::Rate>,
    /// Windows in which the provider's delivery pipeline is down: attempts due then go out when
    /// the window ends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outages: Vec<crate::model::window::Window>,
    /// How deliveries are signed (`standard` unless the scenario names another).
    #[serde(default, skip_serializing_if = "crate::model::signature::Scheme::is_standard")]
    pub scheme: crate::model::signature::Scheme,
    /// The event types the endpoint subscribes to (empty: every type). Only these are sent,
    /// and only these count for every row: they are the events the integration wants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscribe: Vec<String>,
    /// Whether each attempt opens a new connection or reuses a warm one; `None` (no `[network]`):
    /// no handshake is modelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<crate::model::network::Connection>,
}

/// The longest wait a server can ask for (`Retry-After`, `X-Poll-Interval`) that is honoured:
/// one day. A longer one is cut to it, so a huge value can neither overflow nor stall an
/// endpoint for ever; the retry schedule still applies when it is longer.
pub const MAX_SERVER_WAIT: Micros = 24 * 3600 * crate::support::units::SECOND;

/// Where one event's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not yet delivered; attempts remain (or one is in flight).
    Pending,
    /// A 2xx came back.
    Delivered,
    /// Attempts exhausted or the endpoint disabled: in the dead-letter queue.
    DeadLettered,
    /// Of a type the endpoint does not subscribe to: never sent.
    NotSubscribed,
}

/// How an attempt ended, as the emitter sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// 2xx.
    Success,
    /// Connection refused or reset, a timeout, or a 5xx.
    Failure,
    /// 429, 502 or 504 with an optional `Retry-After`: throttle.
    Throttled(Option<Micros>),
    /// 410: the endpoint is gone; disable it.
    Gone,
}

/// What the emitter does next for an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Nothing: delivered.
    Done,
    /// Send attempt `attempt` at `at`.
    Retry {
        /// 1-based attempt number.
        attempt: u32,
        /// When it is sent.
        at: Micros,
    },
    /// Into the dead-letter queue.
    DeadLetter,
}

/// The emitter for one subscription.
#[derive(Debug, Clone)]
pub struct Emitter {
    cfg: WebhookConfig,
    /// `cfg.delay`, ready to draw from.
    delay: Sampler,
    /// The states of events `offset..offset + states.len()`.
    states: VecDeque<DeliveryState>,
    offset: u32,
    /// Retired events (below `offset`) whose delivery is still pending.
    parked: IdSet,
    /// Events whose delivery is settled (delivered or dead-lettered), retired ones included.
    settled: usize,
    disabled: bool,
}

impl Emitter {
    /// An emitter for `events` events known up front (more join as [`Emitter::on_event`]
    /// hears of them).
    pub fn new(cfg: &WebhookConfig, events: usize) -> Self {
        Emitter {
            cfg: cfg.clone(),
            delay: cfg.delay.sampler(),
            states: VecDeque::from(vec![DeliveryState::Pending; events]),
            offset: 0,
            parked: IdSet::default(),
            settled: 0,
            disabled: false,
        }
    }

    /// Whether the endpoint was disabled by a 410.
    pub fn disabled(&self) -> bool {
        self.disabled
    }

    /// An event occurred at `now`: when its first attempt reaches the receiver, or `None` if the
    /// endpoint is disabled (then it is dead-lettered at once).
    pub fn on_event(&mut self, id: u32, now: Micros, rng: &mut Rng) -> Option<Micros> {
        self.hear(id);
        if self.disabled {
            self.settle(id, DeliveryState::DeadLettered);
            return None;
        }
        Some(now + self.delay.sample(rng))
    }

    /// An event of a type the endpoint does not subscribe to occurred: it is never sent.
    pub fn on_unsubscribed(&mut self, id: u32) {
        self.hear(id);
        self.settle(id, DeliveryState::NotSubscribed);
    }

    fn hear(&mut self, id: u32) {
        if let Some(i) = id.checked_sub(self.offset) {
            if i as usize >= self.states.len() {
                self.states.resize(i as usize + 1, DeliveryState::Pending);
            }
        }
    }

    /// Attempt `attempt` of event `id` ended at `now` with `outcome`.
    pub fn on_outcome(
        &mut self,
        id: u32,
        attempt: u32,
        outcome: AttemptOutcome,
        now: Micros,
        rng: &mut Rng,
    ) -> Next {
        if self.state(id) != DeliveryState::Pending {
            return Next::Done;
        }
        let retry_after = match outcome {
            AttemptOutcome::Success => {
                self.settle(id, DeliveryState::Delivered);
                return Next::Done;
            }
            AttemptOutcome::Gone => {
                self.disabled = true;
                self.settle(id, DeliveryState::DeadLettered);
                return Next::DeadLetter;
            }
            AttemptOutcome::Failure => None,
            AttemptOutcome::Throttled(after) => after,
        };
        if self.disabled {
            self.settle(id, DeliveryState::DeadLettered);
            return Next::DeadLetter;
        }
        match self.cfg.retry.next_delay(attempt, rng) {
            Some(backoff) => {
                // Never sooner than the schedule, never later than the cap.
                let wait = backoff.max(retry_after.unwrap_or(0).min(MAX_SERVER_WAIT));
                // The retry goes through the emitter's queue and the network again.
                let at = now.saturating_add(wait).saturating_add(self.delay.sample(rng));
                Next::Retry { attempt: attempt + 1, at }
            }
            None => {
                self.settle(id, DeliveryState::DeadLettered);
                Next::DeadLetter
            }
        }
    }

    /// An attempt of `id` is due. False if the endpoint was disabled meanwhile: the event goes
    /// to the dead-letter queue without being sent.
    pub fn due(&mut self, id: u32) -> bool {
        if self.disabled && self.state(id) == DeliveryState::Pending {
            self.settle(id, DeliveryState::DeadLettered);
            return false;
        }
        true
    }

    fn settle(&mut self, id: u32, to: DeliveryState) {
        match id.checked_sub(self.offset) {
            Some(i) => {
                if let Some(s) = self.states.get_mut(i as usize) {
                    *s = to;
                    self.settled += 1;
                }
            }
            None => {
                if self.parked.remove(&id) {
                    self.settled += 1;
                }
            }
        }
    }

    /// Events whose delivery is still pending: not yet delivered nor dead-lettered.
    pub fn pending(&self) -> usize {
        self.offset as usize + self.states.len() - self.settled
    }

    /// Where event `id` stands (`Pending` for one not heard of yet). A retired event (the sim
    /// only) is `Pending` while parked; once settled it is no longer held and reads as
    /// `Delivered`, so ask only whether an event is still pending.
    pub fn state(&self, id: u32) -> DeliveryState {
        match id.checked_sub(self.offset) {
            None if self.parked.contains(&id) => DeliveryState::Pending,
            None => DeliveryState::Delivered,
            Some(i) => self.states.get(i as usize).copied().unwrap_or(DeliveryState::Pending),
        }
    }

    /// Retires every event below `floor`, oldest first; one whose delivery is still pending is
    /// parked (its attempts go on, and [`Emitter::state`] still reads it as pending). Returns
    /// the new lowest id held.
    pub fn retire(&mut self, floor: u32) -> u32 {
        while self.offset < floor {
            let Some(s) = self.states.pop_front() else { break };
            if s == DeliveryState::Pending {
                self.parked.insert(self.offset);
            }
            self.offset += 1;
        }
        self.offset
    }

    /// Whether the emitter has heard of event `id` ([`Emitter::on_event`]), retired or not.
    pub fn heard(&self, id: u32) -> bool {
        (id as usize) < self.offset as usize + self.states.len()
    }

    /// Retired events whose delivery is still pending.
    pub fn parked(&self) -> usize {
        self.parked.len()
    }

    /// Events in the dead-letter queue and still held, in id order.
    pub fn dead_letters(&self) -> impl Iterator<Item = u32> + '_ {
        self.states
            .iter()
            .enumerate()
            .filter(|(_, s)| **s == DeliveryState::DeadLettered)
            .map(|(i, _)| self.offset + i as u32)
    }

    /// The per-attempt timeout.
    pub fn timeout(&self) -> Micros {
        self.cfg.timeout
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::units::SECOND;

    fn cfg(preset: &str) -> WebhookConfig {
        WebhookConfig {
            delay: Delay::Fixed(0),
            timeout: 15 * SECOND,
            retry: RetryPolicy::preset(preset, 0.0).unwrap(),
            payload: Payload::Fat,
            max_in_flight: None,
            throughput: None,
            outages: Vec::new(),
            scheme: Default::default(),
            subscribe: Vec::new(),
            connection: None,
        }
    }

    #[test]
    fn retries_follow_the_schedule_then_dead_letter() {
        let c = cfg("svix");
        let mut em = Emitter::new(&c, 1);
        let mut rng = Rng::new(1, "e");
        assert_eq!(em.on_event(0, 0, &mut rng), Some(0));
        let mut now = 0;
        for attempt in 1..=7 {
            match em.on_outcome(0, attempt, AttemptOutcome::Failure, now, &mut rng) {
                Next::Retry { attempt: a, at } => {
                    assert_eq!(a, attempt + 1);
                    assert_eq!(at - now, c.retry.schedule[attempt as usize - 1]);
                    now = at;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(em.on_outcome(0, 8, AttemptOutcome::Failure, now, &mut rng), Next::DeadLetter);
        assert_eq!(em.state(0), DeliveryState::DeadLettered);
    }

    #[test]
    fn retry_after_and_gone() {
        let c = cfg("svix");
        let mut em = Emitter::new(&c, 2);
        let mut rng = Rng::new(1, "e");
        let n = em.on_outcome(0, 1, AttemptOutcome::Throttled(Some(60 * SECOND)), 0, &mut rng);
        assert_eq!(n, Next::Retry { attempt: 2, at: 60 * SECOND });
        assert_eq!(em.on_outcome(0, 2, AttemptOutcome::Gone, 60 * SECOND, &mut rng), Next::DeadLetter);
        assert!(em.disabled());
        assert_eq!(em.on_event(1, 70 * SECOND, &mut rng), None);
        assert_eq!(em.state(1), DeliveryState::DeadLettered);
    }

    #[test]
    fn a_huge_retry_after_is_capped_and_never_beats_the_schedule() {
        let c = cfg("svix");
        let mut em = Emitter::new(&c, 1);
        let mut rng = Rng::new(1, "e");
        let now = 10 * SECOND;
        let n = em.on_outcome(0, 1, AttemptOutcome::Throttled(Some(Micros::MAX)), now, &mut rng);
        assert_eq!(n, Next::Retry { attempt: 2, at: now + MAX_SERVER_WAIT });
        // A Retry-After shorter than the schedule waits for the schedule.
        let n = em.on_outcome(0, 2, AttemptOutcome::Throttled(Some(1)), now, &mut rng);
        assert_eq!(n, Next::Retry { attempt: 3, at: now + c.retry.schedule[1] });
    }

    #[test]
    fn none_preset_gives_up_after_one_attempt() {
        let c = cfg("none");
        let mut em = Emitter::new(&c, 1);
        let mut rng = Rng::new(1, "e");
        assert_eq!(em.on_outcome(0, 1, AttemptOutcome::Failure, 0, &mut rng), Next::DeadLetter);
    }

    #[test]
    fn retiring_parks_the_pending_and_keeps_what_follows() {
        let c = cfg("svix");
        let mut em = Emitter::new(&c, 0);
        let mut rng = Rng::new(1, "e");
        for id in 0..4 {
            em.on_event(id, 0, &mut rng);
        }
        em.on_outcome(0, 1, AttemptOutcome::Success, 1, &mut rng);
        em.on_outcome(2, 1, AttemptOutcome::Success, 1, &mut rng);
        assert_eq!(em.pending(), 2);
        // Event 1 is still pending: retired past, it is parked, not dropped.
        assert_eq!(em.retire(3), 3);
        assert_eq!((em.parked(), em.pending()), (1, 2));
        assert_eq!(em.state(0), DeliveryState::Delivered);
        assert_eq!(em.state(1), DeliveryState::Pending);
        assert_eq!(em.state(3), DeliveryState::Pending);
        // Its retry still runs, and settling it lets it go.
        assert!(matches!(
            em.on_outcome(1, 1, AttemptOutcome::Failure, 2, &mut rng),
            Next::Retry { attempt: 2, .. }
        ));
        assert!(em.due(1));
        assert_eq!(em.on_outcome(1, 2, AttemptOutcome::Gone, 3, &mut rng), Next::DeadLetter);
        assert_eq!((em.parked(), em.pending(), em.state(1)), (0, 1, DeliveryState::Delivered));
        assert_eq!(em.dead_letters().count(), 0, "event 1 was retired");
    }
}
